"""What agents write on a conversation: internal notes, and replies to the customer through the outbox."""

from django.db import transaction
from django.utils import timezone
from django.utils.text import normalize_newlines
from django.utils.translation import gettext as _

from queues import outbox, platforms
from queues.models import Clipping, Conversation, Event, Message, Note
from queues.models.languages import clipping_text
from queues.process import Action
from queues.services.errors import InvalidInput
from queues.services.state import lock_for, record, required, save


@transaction.atomic
def add_note(*, conversation_id: int, actor, body: str) -> Note:
    body = required(body, _("A note cannot be empty."), "body")
    convo = lock_for(Action.NOTE, conversation_id, actor)
    note = Note.objects.create(conversation=convo, author=actor, body=body)
    save(convo)  # a new version: a page drawn before the note is stale (services/versions.py)
    record(convo, actor, Event.Kind.NOTE_ADDED, note_id=note.pk)
    return note


def check_reply(platform: str, body: str) -> None:
    """InvalidInput when the platform would refuse this text (queues/platforms/)."""
    problems = platforms.reply_problems(platform, body)
    if problems:
        if platforms.reply_length(platform, body) > platforms.MAX_LENGTH[platform]:
            reason = _("too long for %(platform)s") % {"platform": platforms.label(platform)}
        else:
            reason = None
        raise InvalidInput(" ".join(problems), field="body", reason=reason)


def queue_reply(convo: Conversation, actor, body: str, clipping: Clipping | None) -> Message:
    """A reply in the outbox, once its platform's rules accept the text."""
    check_reply(convo.channel.platform, body)
    now = timezone.now()
    transaction.on_commit(outbox.notify)
    return Message.objects.create(
        conversation=convo,
        direction=Message.Direction.OUTBOUND,
        author=actor,
        body=body,
        clipping=clipping,
        delivery=Message.Delivery.QUEUED,
        queued_at=now,
        next_attempt_at=now,
    )


@transaction.atomic
def reply(*, conversation_id: int, actor, body: str = "", clipping_id: int | None = None) -> Message:
    """Queue a reply to the customer: the typed text, or the clipping's text when none is typed."""
    clipping = None
    if clipping_id is not None:
        clipping = Clipping.objects.filter(pk=clipping_id, is_active=True).first()
        if clipping is None:
            raise InvalidInput(_("That clipping does not exist or is not active."), field="clipping")
    convo = lock_for(Action.REPLY, conversation_id, actor)
    # No text typed: the clipping in the customer's language when it has that translation, else its own.
    body = normalize_newlines((body or "").strip()) or (clipping_text(clipping, convo.language) if clipping else "")
    message = queue_reply(convo, actor, body, clipping)
    save(convo)  # a new version: a page drawn before the reply is stale (services/versions.py)
    record(convo, actor, Event.Kind.REPLIED, message_id=message.pk, clipping_id=clipping_id)
    return message


@transaction.atomic
def record_sent_replies_bulk(*, messages: list[Message], details: dict | None = None) -> list[Message]:
    """Replies already sent outside the portal (a developer reply in the Play Console, a brand post on X, the
    Page's comment on Facebook): outbound messages marked sent, each with a REPLIED event. Nothing is sent and no
    state changes: it happened on the platform whatever stage the conversation is in.

    A reply the portal has on the same conversation with the same text and no platform id yet (queued, failed,
    an attempt whose answer was lost, or sent by a platform that gives no id) is that reply: it is marked sent
    with the platform's id instead of being recorded a second time."""
    messages = _adopt_portal_replies(messages, details)
    for message in messages:
        message.direction, message.delivery = Message.Direction.OUTBOUND, Message.Delivery.SENT
    Message.objects.bulk_create(messages)
    Event.objects.bulk_create(
        Event(
            conversation_id=message.conversation_id,
            by_automation=True,
            kind=Event.Kind.REPLIED,
            details={"message_id": message.pk, **(details or {})},
        )
        for message in messages
    )
    return messages


def _same_text(text: str) -> str:
    return " ".join(text.split())


def _adopt_portal_replies(messages: list[Message], details: dict | None) -> list[Message]:
    """The messages that are not a portal reply seen on the platform; those that are mark it sent."""
    waiting: dict[tuple[int, str], list[Message]] = {}
    # One query for the chunk; a portal reply without a platform id is rare, so this reads few rows.
    for portal in Message.objects.filter(
        conversation_id__in={m.conversation_id for m in messages}, direction=Message.Direction.OUTBOUND, external_id=""
    ).order_by("created_at", "pk"):
        waiting.setdefault((portal.conversation_id, _same_text(portal.body)), []).append(portal)
    if not waiting:
        return messages
    remaining = []
    for message in messages:
        candidates = waiting.get((message.conversation_id, _same_text(message.body)))
        if not candidates:
            remaining.append(message)
            continue
        portal = candidates.pop(0)
        portal.external_id, portal.delivery = message.external_id, Message.Delivery.SENT
        portal.sent_at, portal.delivery_reason = portal.sent_at or message.created_at, ""
        portal.save(update_fields=["external_id", "delivery", "sent_at", "delivery_reason"])
        Event.objects.create(
            conversation_id=portal.conversation_id,
            by_automation=True,
            kind=Event.Kind.REPLIED,
            details={"message_id": portal.pk, "seen_on_platform": True, **(details or {})},
        )
    return remaining
