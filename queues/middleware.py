"""Middleware of our own.

- A request id that the logs and the error page share, and no caching of what a signed-in person sees. Imported by
  the logging configuration before the apps load: no models here.
- Each signed-in user's own language and time zone, for every request. Their Preferences are copied into the session
  when they sign in or save them (queues/preferences.py), so a request costs no query for them. Without a choice of
  their own: the browser's language (LocaleMiddleware, before it) and the portal's time zone.
"""

import contextlib
import contextvars
import logging
import re
import uuid
import zoneinfo

from django.core.signals import request_finished
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers

# A proxy's id is kept when it looks like one (letters, digits, - . _): it then names the same request in the
# proxy's log and ours. Anything else, or nothing, gets a new one.
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_current_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestIdMiddleware:
    """request.id, from X-Request-ID or a new uuid; sent back in X-Request-ID. First in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = _current_id.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            _current_id.reset(token)
        response["X-Request-ID"] = request.id
        return response


class RequestIdFilter(logging.Filter):
    """Adds record.request_id: the id of the request being answered, "-" outside one."""

    def filter(self, record):
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "id", None) or _current_id.get()
        return True


class NoStoreWhenSignedInMiddleware:
    """Pages of a signed-in person are never stored by the browser or a proxy: the portal is used on shared
    computers in community spaces, where Back after signing out must not show the last person's conversations.
    After AuthenticationMiddleware. Static files never get here: WhiteNoise answers them further out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


def server_error(request, *args, **kwargs):
    """The 500 page, with the request id the log line carries, so that a person can say which error they saw.
    Rendered without context processors: whatever failed (the database?) must not fail the error page too."""
    return render(None, "500.html", {"request_id": getattr(request, "id", "")}, status=500)


LANGUAGE_SESSION_KEY = "portal_language"
TIME_ZONE_SESSION_KEY = "portal_time_zone"


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The user's choices as sign-in copied them into the session (nothing for anonymous visitors).
        chosen = (getattr(request, "session", None) or {}) if request.user.is_authenticated else {}
        language = chosen.get(LANGUAGE_SESSION_KEY)
        if language and translation.check_for_language(language):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        zone = chosen.get(TIME_ZONE_SESSION_KEY)
        # Always one or the other: the active zone is per thread and would otherwise leak into the next request.
        timezone.deactivate()
        # A zone the system no longer knows stays the portal's.
        with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError):
            if zone:
                timezone.activate(zoneinfo.ZoneInfo(zone))
        return self.get_response(request)


@receiver(request_finished)
def _forget_the_requests_language(**kwargs):
    """The active language and zone are per thread: once a response is done, back to the portal's own, so that
    whatever runs next on this thread outside a request (a notice, a command, a test) is not in the last user's."""
    translation.deactivate()
    timezone.deactivate()
