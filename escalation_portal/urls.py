from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from queues.forms import SignInForm
from queues.views import agent_required

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # No self-service password reset: volunteers' accounts are handed out and reset by admins.
    path(
        "accounts/password_change/",
        agent_required(auth_views.PasswordChangeView.as_view()),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        agent_required(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("", include("queues.urls")),
]

handler500 = "queues.middleware.server_error"
