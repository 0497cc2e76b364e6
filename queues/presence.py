"""Who else is on a conversation now: the page asks every few seconds (static/queues/workspace.js) whether the
conversation changed since it was drawn and who is writing in it, and says so ("Bob is replying", "changed since
you opened it: reload").

Typing is a ping the page sends while an agent writes a reply or a note, kept in the cache for TYPING_TTL seconds.
The default cache is per process: with several server processes, set CACHES to a shared one (Redis, or Django's
database cache) or an agent sees only the typists that hit the same process. Without JavaScript none of this runs;
the version check of services/versions.py still refuses an action on a stale page."""

import time

from django.core.cache import cache
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from queues.models import Conversation, Event
from queues.services.versions import describe, version_of
from queues.views import agent_required

TYPING_TTL = 20  # seconds a ping counts as "is writing"
WHAT = {"reply": _lazy("is replying"), "note": _lazy("is writing a note")}


def _key(pk: int) -> str:
    return f"typing:{pk}"


def ping(pk: int, user, what: str) -> None:
    now = time.time()
    typing = {uid: entry for uid, entry in (cache.get(_key(pk)) or {}).items() if entry[2] > now}
    typing[user.pk] = (user.get_full_name() or user.get_username(), what, now + TYPING_TTL)
    cache.set(_key(pk), typing, TYPING_TTL)


def typists(pk: int, *, besides) -> list[str]:
    """ "Bob is replying" for everyone writing in the conversation now, except `besides` (the user asking)."""
    now = time.time()
    return [
        f"{name} {WHAT.get(what, WHAT['reply'])}"
        for uid, (name, what, until) in sorted((cache.get(_key(pk)) or {}).items())
        if until > now and uid != besides.pk
    ]


@never_cache
@agent_required
@require_http_methods(["GET", "POST"])
def presence(request, pk):
    """GET ?version=N: {"changed", "change", "version", "typing"}. POST what=reply|note: the user is writing."""
    updated_at = (
        Conversation.objects.visible_to(request.user).filter(pk=pk).values_list("updated_at", flat=True).first()
    )
    if updated_at is None:
        raise Http404
    if request.method == "POST":
        ping(pk, request.user, request.POST.get("what", "reply"))
        return JsonResponse({"ok": True})
    try:
        shown = int(request.GET.get("version", ""))
    except ValueError:
        return JsonResponse({"error": _("version must be a number")}, status=400)
    current = version_of(updated_at)
    change = ""
    if current != shown:
        latest = Event.objects.filter(conversation_id=pk).select_related("actor").order_by("-created_at", "-id")
        change = describe(latest.first())
    typing = typists(pk, besides=request.user)
    return JsonResponse({"version": current, "changed": current != shown, "change": change, "typing": typing})
