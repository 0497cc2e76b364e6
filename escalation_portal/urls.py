from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from queues.forms import SignInForm

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("queues.urls")),
]
