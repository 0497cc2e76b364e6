"""Collision detection: an action taken on a page that no longer shows the conversation as it is is refused.

Every page form carries the conversation's version: its updated_at, which every service bumps when it changes the
conversation (state.save(), notes and replies too). The view locks the row and calls check_unchanged() in the same
transaction as the service, so two submissions of one page cannot both pass.

A double click or a resubmitted form is told apart from someone else's change by the latest Event: if the conversation
changed since the page was drawn and the latest change is this very action by this very user, the first submission
did it and the repeat is the same success, not an error. No token per rendered form is needed: the version already
identifies the page, and the Event says who did what after it.
"""

from datetime import UTC, datetime, timedelta

from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from queues.models import Conversation, Event
from queues.process import Action
from queues.services.errors import ServiceError

# The Event each page action records (services/).
ACTION_EVENT = {
    Action.ASSIGN: Event.Kind.ASSIGNED,
    Action.UNASSIGN: Event.Kind.UNASSIGNED,
    Action.MOVE: Event.Kind.MOVED,
    Action.NOTE: Event.Kind.NOTE_ADDED,
    Action.REPLY: Event.Kind.REPLIED,
    Action.SET_PRODUCT: Event.Kind.PRODUCT_SET,
    Action.SET_TAGS: Event.Kind.TAGS_SET,
    Action.PUT_ON_HOLD: Event.Kind.PUT_ON_HOLD,
    Action.ESCALATE: Event.Kind.ESCALATED,
    Action.CLOSE: Event.Kind.CLOSED,
    Action.REOPEN: Event.Kind.REOPENED,
}


# How a change reads after its author's name ("Bob escalated it").
CHANGE_WORDS = {
    Event.Kind.CREATED: _lazy("brought it in"),
    Event.Kind.ASSIGNED: _lazy("assigned it"),
    Event.Kind.UNASSIGNED: _lazy("unassigned it"),
    Event.Kind.MOVED: _lazy("moved it"),
    Event.Kind.NOTE_ADDED: _lazy("added a note"),
    Event.Kind.REPLIED: _lazy("replied to the customer"),
    Event.Kind.PRODUCT_SET: _lazy("set its product"),
    Event.Kind.TAGS_SET: _lazy("set its tags"),
    Event.Kind.PUT_ON_HOLD: _lazy("put it on hold"),
    Event.Kind.ESCALATED: _lazy("escalated it"),
    Event.Kind.CLOSED: _lazy("closed it"),
    Event.Kind.REOPENED: _lazy("reopened it"),
    Event.Kind.CUSTOMER_MESSAGE: _lazy("wrote again"),
}


class Stale(ServiceError):
    """The conversation changed since the page was drawn; nothing was done. version: what it is now."""

    def __init__(self, message: str, *, version: int):
        super().__init__(message, reason=_("changed meanwhile"))
        self.version = version


class Repeated(Exception):
    """The same user's same action already went through since this page was drawn: a double click or a resubmitted
    form. Nothing more was done; the first submission's result stands."""


def version_of(updated_at: datetime) -> int:
    """A conversation's version as forms carry it: updated_at in microseconds since the epoch."""
    delta = updated_at - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def moment_of(version: int) -> datetime:
    """The updated_at a version stands for."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=version)


def taken_next_since(actor, version: int) -> int | None:
    """The conversation "and next" gave actor after the page of `version` was drawn, if any: where a double-clicked
    "Put on hold and next" should land a second time."""
    for event in Event.objects.filter(
        actor=actor, kind=Event.Kind.ASSIGNED, created_at__gte=moment_of(version)
    ).order_by("-created_at", "-id")[:5]:
        if (event.details or {}).get("next_conversation"):
            return event.conversation_id
    return None


def describe(event: Event | None, *, now=None) -> str:
    """ "Bob escalated it 2 minutes ago": who changed what, from an Event."""
    if event is None:
        return _("Someone changed it meanwhile.")
    if event.actor_id:
        who = event.actor.get_full_name() or event.actor.get_username()
    elif event.by_automation:
        who = _("The automation")
    elif event.kind == Event.Kind.CUSTOMER_MESSAGE:
        who = _("The customer")
    else:
        who = _("A deleted user")
    what = CHANGE_WORDS.get(event.kind) or event.get_kind_display()
    return _("%(who)s %(what)s %(ago)s ago.") % {"who": who, "what": what, "ago": timesince(event.created_at, now)}


def check_unchanged(*, conversation_id: int, version: int | None, action: str, actor) -> None:
    """Raise Stale when the conversation changed since `version`, Repeated when that change was this same action by
    actor. Call it in the transaction of the action, after locking the row (lock_row). version None: not checked
    (the admin's bulk actions, which have no page version)."""
    if version is None:
        return
    updated_at = Conversation.objects.filter(pk=conversation_id).values_list("updated_at", flat=True).first()
    if updated_at is None or version_of(updated_at) == version:
        return
    latest = (
        Event.objects.filter(conversation_id=conversation_id)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    if (
        latest is not None
        and actor is not None
        and latest.actor_id == actor.pk
        and latest.kind == ACTION_EVENT.get(action)
        and version_of(latest.created_at) >= version
    ):
        raise Repeated
    message = _("Nothing was done: this conversation changed since you opened it. %(change)s Here it is as it is now.")
    raise Stale(message % {"change": describe(latest)}, version=version_of(updated_at))


def lock_row(conversation_id: int) -> None:
    """Hold the conversation's row until the transaction ends (PostgreSQL). SQLite's immediate transactions already
    hold the whole database."""
    Conversation.objects.select_for_update().filter(pk=conversation_id).values_list("pk", flat=True).first()
