"""Each signed-in user's own language and time zone, for every request.

Their Preferences are copied into the session when they sign in or save them (queues/preferences.py), so a request
costs no query for them. Without a choice of their own: the browser's language (LocaleMiddleware, before this one)
and the portal's time zone."""

import contextlib
import zoneinfo

from django.core.signals import request_finished
from django.dispatch import receiver
from django.utils import timezone, translation

LANGUAGE_SESSION_KEY = "portal_language"
TIME_ZONE_SESSION_KEY = "portal_time_zone"


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None) or {}
        language = session.get(LANGUAGE_SESSION_KEY) if request.user.is_authenticated else None
        if language and translation.check_for_language(language):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        zone = session.get(TIME_ZONE_SESSION_KEY) if request.user.is_authenticated else None
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
