from django.urls import path

from queues.sso import views

# The names are mozilla-django-oidc's, which its views and middleware reverse.
urlpatterns = [
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    path("oidc/authenticate/", views.StartView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", views.CallbackView.as_view(), name="oidc_authentication_callback"),
]
