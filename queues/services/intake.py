"""What arrives from the customer's side: new conversations, and the customer writing again."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from queues.models import Channel, Conversation, Event, Message
from queues.process import Stage
from queues.services.errors import InvalidInput
from queues.services.state import REOPEN_FIELDS, lock_then_read, move, record, reopen, required, save


def _land(convo: Conversation) -> None:
    """Where a new conversation starts: its channel's working queue, the customer's post its last message."""
    convo.queue_id = convo.channel.working_queue_id
    if convo.last_customer_message_at is None:
        convo.last_customer_message_at = convo.created_at


@transaction.atomic
def create_conversation(*, channel_id: int, external_id: str, actor=None, **fields) -> Conversation:
    """A new conversation lands in its channel's working queue (with the channel's default product)."""
    channel = Channel.objects.select_related("working_queue", "default_product").get(pk=channel_id)
    external_id = required(external_id, _("A conversation needs its id on the platform."), "external_id")
    if Conversation.objects.filter(channel=channel, external_id=external_id).exists():
        raise InvalidInput(
            _("%(channel)s already has conversation %(id)s.") % {"channel": channel, "id": external_id},
            field="external_id",
        )
    fields.setdefault("product", channel.default_product)
    convo = Conversation(channel=channel, queue=channel.working_queue, external_id=external_id, **fields)
    _land(convo)
    convo.save()
    record(convo, actor, Event.Kind.CREATED, to_queue=convo.queue)
    return convo


@transaction.atomic
def create_conversations_bulk(*, conversations: list[Conversation], details: dict | None = None) -> list[Conversation]:
    """create_conversation for imports: one INSERT per table instead of a few queries per row.

    Takes unsaved conversations whose channel is set. Each lands in its channel's working queue with the
    channel's default product and gets a CREATED event. The caller has checked that the external ids are
    new; the unique constraint backs that up."""
    for convo in conversations:
        _land(convo)
        if convo.product_id is None:
            convo.product_id = convo.channel.default_product_id
    Conversation.objects.bulk_create(conversations)
    Event.objects.bulk_create(
        Event(
            conversation=convo,
            by_automation=True,
            kind=Event.Kind.CREATED,
            to_queue_id=convo.queue_id,
            details=details or {},
        )
        for convo in conversations
    )
    return conversations


@transaction.atomic
def record_customer_message(
    *,
    conversation_id: int,
    body: str,
    external_id: str = "",
    author_name: str = "",
    sent_at=None,
    rating: int | None = None,
) -> Message:
    """The customer wrote again. On hold: back to the working queue it came from, clock stopped.
    Closed: reopened into the channel's working queue. Escalated or working: stays where it is.
    rating: the stars of a review as it stands now (a Play review updated with new stars).
    A message whose external id is already recorded is returned as it is (imports run twice)."""
    convo = lock_then_read(conversation_id)
    if external_id:
        existing = convo.messages.filter(external_id=external_id).first()
        if existing is not None:
            return existing
    sent_at = sent_at or timezone.now()
    message = Message.objects.create(
        conversation=convo,
        direction=Message.Direction.INBOUND,
        external_id=external_id,
        author_name=author_name or convo.author_name,
        body=body,
        created_at=sent_at,
    )
    stage, source, target = convo.stage, convo.queue, None
    if stage == Stage.ON_HOLD:
        target = convo.previous_queue or convo.channel.working_queue
        move(convo, target)
    elif stage == Stage.CLOSED:
        reopen(convo)
        target = convo.queue
    if convo.last_customer_message_at is None or sent_at > convo.last_customer_message_at:
        convo.last_customer_message_at = sent_at
    rated = {}
    if rating is not None and rating != convo.rating:
        rated = {"rating": rating, "previous_rating": convo.rating}
        convo.rating = rating
    save(convo, "last_customer_message_at", "rating", *REOPEN_FIELDS)
    record(
        convo,
        None,
        Event.Kind.CUSTOMER_MESSAGE,
        by_automation=False,
        from_queue=source if target else None,
        to_queue=target,
        message_id=message.pk,
        reopened=stage == Stage.CLOSED,
        **rated,
    )
    return message
