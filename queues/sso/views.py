"""The sign-in and sign-out pages, and the doors to and from the identity provider.

Built on mozilla-django-oidc's views, with the provider read from config.py on each request and every refusal
answered with a page that says what happened (never a bare 400 or a 500): a callback with junk, a state this
browser never started, an ID token for someone else, expired, or signed by a key the provider does not publish.
"""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc import middleware as oidc_middleware
from mozilla_django_oidc import views as oidc_views

from queues.forms import SignInForm
from queues.sso import config
from queues.sso.backend import OIDCBackend

log = logging.getLogger(__name__)

REASONS = {
    "not_configured": _("Single sign-on is not set up on this portal. Sign in with your password."),
    "unavailable": _("The identity provider cannot be reached just now. Try again in a few minutes."),
    "denied": _("The identity provider did not sign you in."),
    "incomplete": _(
        "This address is where the identity provider sends you back after signing in; it was opened "
        "without a sign-in answer."
    ),
    "state": _("This sign-in answer does not belong to a sign-in started in this browser, or it was used already."),
    "nonce": _("The identity provider's answer does not belong to this sign-in attempt."),
    "audience": _("The identity provider's answer was meant for another application."),
    "expired": _("The identity provider's answer has expired. If this keeps happening, check the clocks."),
    "key": _("The identity provider's answer is not signed with a key it publishes."),
    "token": _("The identity provider's answer is not valid."),
    "code": _("The identity provider refused this sign-in answer; it may have been used already."),
    "inactive": _("Your account on this portal is switched off. Ask an admin."),
}
STATUS = {"not_configured": 404, "unavailable": 503}


def failure_page(request, reason: str):
    """What a refused single sign-on shows: what happened, that nothing changed, and a way to start again."""
    return render(
        request,
        "registration/sso_failed.html",
        {"reason": REASONS.get(reason, REASONS["token"])},
        status=STATUS.get(reason, 403),
    )


class SignInView(auth_views.LoginView):
    """The provider first when it is configured; the password form below it, or, with LOCAL_PASSWORDS off, only for
    admins who ask for it (?local=1: break-glass)."""

    authentication_form = SignInForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso"] = config.enabled()
        context["sso_name"] = settings.OIDC_PROVIDER_NAME
        context["show_passwords"] = config.local_passwords() or self.request.GET.get("local") == "1"
        return context


class StartView(oidc_views.OIDCAuthenticationRequestView):
    """Send the browser to the provider (state, nonce and PKCE kept in the session)."""

    def __init__(self, *args, **kwargs):
        super(oidc_views.OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not config.enabled():
            return failure_page(request, "not_configured")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = config.provider().authorization_endpoint
        except config.ProviderUnavailable as error:
            log.warning("single sign-on: %s", error)
            return failure_page(request, "unavailable")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class CallbackView(oidc_views.OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: the code is exchanged and checked (backend.OIDCBackend)."""

    def get(self, request):
        if not config.enabled():
            return failure_page(request, "not_configured")
        try:
            return super().get(request)
        except SuspiciousOperation:
            # mozilla-django-oidc's words for a state that is not in this session: tampered, replayed, or stale.
            return failure_page(request, "state")

    def login_failure(self):
        request = self.request
        if getattr(request, "sso_failure", None):
            return failure_page(request, request.sso_failure)
        if request.GET.get("error"):
            log.info("single sign-on: the provider answered %s", request.GET.get("error")[:100])
            return failure_page(request, "denied")
        if "code" not in request.GET or "state" not in request.GET:
            return failure_page(request, "incomplete")
        if getattr(self, "user", None) is not None and not self.user.is_active:
            return failure_page(request, "inactive")
        return failure_page(request, "state")


class SignOutView(auth_views.LogoutView):
    """Sign out here, and at the provider too when it says where (its end_session_endpoint): otherwise the next
    "Sign in with …" would sign the same person straight back in."""

    def post(self, request, *args, **kwargs):
        stored = request.session  # a dictionary read, not a network call
        id_token = stored.get("oidc_id_token")
        end_session = ""
        if id_token and config.enabled():
            try:
                end_session = config.provider().end_session_endpoint
            except config.ProviderUnavailable:
                end_session = ""
        response = super().post(request, *args, **kwargs)
        if not end_session:
            return response
        query = urlencode(
            {
                "id_token_hint": id_token,
                "client_id": settings.OIDC_RP_CLIENT_ID,
                "post_logout_redirect_uri": request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL)),
            }
        )
        return HttpResponseRedirect(f"{end_session}?{query}")


class SessionRefresh(oidc_middleware.SessionRefresh):
    """Every OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS, a GET from a user who signed in through the provider goes back to
    it silently (prompt=none): the roles are set again from its answer, and someone it no longer signs in is
    signed out here. Does nothing while single sign-on is off."""

    def __init__(self, get_response):
        super(oidc_middleware.SessionRefresh, self).__init__(get_response)

    @property
    def exempt_urls(self):
        return {reverse(name) for name in ("oidc_authentication_init", "oidc_authentication_callback", "logout")}

    @property
    def exempt_url_patterns(self):
        return set()

    def process_request(self, request):
        stored = request.session  # a dictionary read, not a network call
        if not config.enabled() or stored.get(auth.BACKEND_SESSION_KEY) != _BACKEND:
            return None
        try:
            self.OIDC_OP_AUTHORIZATION_ENDPOINT = config.provider().authorization_endpoint
        except config.ProviderUnavailable as error:
            # The provider's outage should not lock agents out mid-shift; try again at the next request.
            log.warning("single sign-on: cannot renew (%s)", error)
            return None
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_STATE_SIZE = 32
        self.OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
        self.OIDC_RP_SCOPES = settings.OIDC_RP_SCOPES
        self.OIDC_USE_NONCE = True
        self.OIDC_NONCE_SIZE = 32
        return super().process_request(request)


_BACKEND = f"{OIDCBackend.__module__}.{OIDCBackend.__qualname__}"
