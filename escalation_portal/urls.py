from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from queues.admin import guard_every_admin
from queues.platforms.facebook import webhook as facebook_webhook
from queues.views import agent_required

# After every app's admin module registered its model admins (the admin app's ready()).
guard_every_admin()

urlpatterns = [
    # Sign-in and sign-out, with a password or through the identity provider (queues/sso/).
    path("", include("queues.sso.urls")),
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
    # The one URL without sign-in or CSRF token: Facebook signs what it sends (tests/test_security.py).
    path("hooks/facebook/", facebook_webhook.receive, name="facebook-hook"),
    path("", include("queues.urls")),
]

handler500 = "queues.middleware.server_error"
