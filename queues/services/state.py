"""The steps every change to a conversation takes: check the role, lock the row, check the stage against
queues/process.py, write only the fields that changed, record one Event."""

from django.utils import timezone

from queues import process
from queues.models import Conversation, Event, Queue, Status
from queues.services.errors import InvalidInput, NotPermitted, TransitionNotAllowed

_RELATED = ("queue", "channel", "channel__working_queue", "channel__escalation_queue", "previous_queue")


def lock_then_read(conversation_id: int) -> Conversation:
    """The conversation, locked for this transaction, with what the services read of it.

    Lock first, read second: a FOR UPDATE query with joins that waits for another transaction re-checks the join
    against the old queue row and loses a conversation whose queue just changed."""
    Conversation.objects.select_for_update().filter(pk=conversation_id).values_list("pk", flat=True).get()
    return Conversation.objects.select_related(*_RELATED).get(pk=conversation_id)


def check_role(actor, action: str) -> None:
    refused = process.role_refusal(actor, action)
    if refused is not None:
        raise NotPermitted(refused.message)


def lock_for(action: str, conversation_id: int, actor) -> Conversation:
    """lock_then_read, once the process allows actor to take action on the conversation now."""
    check_role(actor, action)
    convo = lock_then_read(conversation_id)
    refused = process.stage_refusal(convo, action)
    if refused is not None:
        raise TransitionNotAllowed(refused.message, reason=refused.reason)
    return convo


def save(convo: Conversation, *fields: str) -> None:
    convo.save(update_fields=[*fields, "updated_at"])


def record(convo, actor, kind: str, *, from_queue=None, to_queue=None, by_automation=None, **details) -> Event:
    """One Event. actor None is the automation, unless by_automation=False says it was the customer."""
    return Event.objects.create(
        conversation=convo,
        actor=actor,
        by_automation=actor is None if by_automation is None else by_automation,
        kind=kind,
        from_queue=from_queue,
        to_queue=to_queue,
        details=details,
    )


def required(text: str, message: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(message, field=field)
    return text


def queue_of_kind(queue_id: int, kind: str, message: str) -> Queue:
    queue = Queue.objects.active_of_kind(kind).filter(pk=queue_id).first()
    if queue is None:
        raise InvalidInput(message, field="queue")
    return queue


def move(convo: Conversation, target: Queue) -> Queue:
    """Point the conversation at target; remember the working queue it leaves. Returns the old queue."""
    source = convo.queue
    if target.kind == Queue.Kind.WORKING:
        convo.previous_queue = None
    elif source.kind == Queue.Kind.WORKING:
        convo.previous_queue = source
    elif convo.previous_queue is None:
        convo.previous_queue = convo.channel.working_queue
    convo.queue = target
    convo.queue_entered_at = timezone.now()
    convo.on_hold_since = None
    return source


def reopen(convo: Conversation) -> Queue:
    """Open again, in the channel's working queue. Returns the queue it was closed in."""
    convo.status, convo.closed_at, convo.close_reason = Status.OPEN, None, ""
    return move(convo, convo.channel.working_queue)


# What reopen() and a customer's message may change.
REOPEN_FIELDS = ("status", "closed_at", "close_reason", "queue", "queue_entered_at", "previous_queue", "on_hold_since")

# What move() changes.
MOVE_FIELDS = ("queue", "queue_entered_at", "previous_queue", "on_hold_since")
