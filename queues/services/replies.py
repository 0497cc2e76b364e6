"""What agents write on a conversation: internal notes, and replies to the customer through the outbox."""

from django.db import transaction
from django.utils.translation import gettext as _

from queues import platforms
from queues.models import Clipping, Conversation, Event, Message, Note
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
    return Message.objects.create(
        conversation=convo,
        direction=Message.Direction.OUTBOUND,
        author=actor,
        body=body,
        clipping=clipping,
        delivery=Message.Delivery.QUEUED,
    )


@transaction.atomic
def reply(*, conversation_id: int, actor, body: str = "", clipping_id: int | None = None) -> Message:
    """Queue a reply to the customer: the typed text, or the clipping's text when none is typed."""
    clipping = None
    if clipping_id is not None:
        clipping = Clipping.objects.filter(pk=clipping_id, is_active=True).first()
        if clipping is None:
            raise InvalidInput(_("That clipping does not exist or is not active."), field="clipping")
    body = (body or "").strip() or (clipping.body if clipping else "")
    convo = lock_for(Action.REPLY, conversation_id, actor)
    message = queue_reply(convo, actor, body, clipping)
    save(convo)  # a new version: a page drawn before the reply is stale (services/versions.py)
    record(convo, actor, Event.Kind.REPLIED, message_id=message.pk, clipping_id=clipping_id)
    return message


@transaction.atomic
def record_sent_replies_bulk(*, messages: list[Message], details: dict | None = None) -> list[Message]:
    """Replies already sent outside the portal (a developer reply in the Play Console, a brand post on X):
    outbound messages marked sent, each with a REPLIED event. Nothing is sent and no state changes: it
    happened on the platform whatever stage the conversation is in."""
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
