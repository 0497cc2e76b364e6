"""Every change to a conversation goes through one of these functions.

Each runs in a transaction, locks the conversation row, checks the move against
models.ALLOWED_ACTIONS, writes only the fields it changed and records exactly one Event.
A refused move raises a ServiceError and changes nothing. Side effects run after commit.
"""

import logging

from django.contrib.auth import get_user_model
from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from queues.models import (
    Action,
    Channel,
    Clipping,
    CloseReason,
    Conversation,
    EscalationReason,
    Event,
    Message,
    Note,
    Product,
    Queue,
    Stage,
    Status,
    Tag,
)
from queues.permissions import can_moderate, can_work
from queues.reply_limits import reply_problems

logger = logging.getLogger(__name__)
User = get_user_model()


class ServiceError(Exception):
    """A change was refused; nothing was written. The message is for the user."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionNotAllowed(ServiceError):
    pass


class InvalidInput(ServiceError):
    pass


class NotPermitted(ServiceError):
    pass


# Contributors do the rest of the process; these need a moderator.
MODERATOR_ACTIONS = frozenset({Action.MOVE, Action.REOPEN})


# How messages say where a conversation stands ("it is on hold"), here and in the admin's skip reasons.
STAGE_WORDS = {
    Stage.WORKING: gettext_lazy("in a working queue"),
    Stage.ON_HOLD: gettext_lazy("on hold"),
    Stage.ESCALATED: gettext_lazy("escalated"),
    Stage.CLOSED: gettext_lazy("closed"),
}


_RELATED = ("queue", "channel", "channel__working_queue", "channel__escalation_queue", "previous_queue")


def _locked(conversation_id: int) -> Conversation:
    # Lock first, read second. A FOR UPDATE query with joins that waits for another transaction
    # re-checks the join against the old queue row and loses a conversation whose queue just changed.
    Conversation.objects.select_for_update().filter(pk=conversation_id).values_list("pk", flat=True).get()
    return Conversation.objects.select_related(*_RELATED).get(pk=conversation_id)


def _authorise(actor, action: str) -> None:
    """The role check every door shares. actor None is the automation (or the customer)."""
    if actor is None:
        return
    if not can_work(actor):
        raise NotPermitted(_("Only agents can work conversations."))
    if action in MODERATOR_ACTIONS and not can_moderate(actor):
        raise NotPermitted(_("Only moderators can %(action)s.") % {"action": Action(action).label})


def _lock(conversation_id: int, action: str, actor) -> Conversation:
    _authorise(actor, action)
    convo = _locked(conversation_id)
    if not convo.allows(action):
        raise TransitionNotAllowed(
            _("Cannot %(action)s conversation #%(pk)s: it is %(stage)s.")
            % {
                "action": Action(action).label,
                "pk": convo.pk,
                "stage": STAGE_WORDS[convo.stage],
            }
        )
    return convo


def _save(convo: Conversation, *fields: str) -> None:
    convo.save(update_fields=[*fields, "updated_at"])


def _record(
    convo: Conversation,
    actor,
    kind: str,
    *,
    from_queue=None,
    to_queue=None,
    by_automation=None,
    **details,
) -> Event:
    """actor None is the automation, unless by_automation=False says it was the customer."""
    return Event.objects.create(
        conversation=convo,
        actor=actor,
        by_automation=actor is None if by_automation is None else by_automation,
        kind=kind,
        from_queue=from_queue,
        to_queue=to_queue,
        details=details,
    )


def _required(text: str, message: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(message, field=field)
    return text


def _queue_of_kind(queue_id: int, kind: str, message: str) -> Queue:
    queue = Queue.objects.active_of_kind(kind).filter(pk=queue_id).first()
    if queue is None:
        raise InvalidInput(message, field="queue")
    return queue


def _move(convo: Conversation, target: Queue) -> Queue:
    """Point the conversation at target; remember the working queue it leaves. Returns the old queue."""
    source = convo.queue
    if target.kind == Queue.Kind.WORKING:
        convo.previous_queue = None
    elif source.kind == Queue.Kind.WORKING:
        convo.previous_queue = source
    elif convo.previous_queue is None:
        convo.previous_queue = convo.channel.working_queue
    convo.queue = target
    convo.on_hold_since = None
    return source


@transaction.atomic
def create_conversation(*, channel_id: int, external_id: str, actor=None, **fields) -> Conversation:
    """A new conversation lands in its channel's working queue (with the channel's default product)."""
    channel = Channel.objects.select_related("working_queue", "default_product").get(pk=channel_id)
    external_id = _required(external_id, _("A conversation needs its id on the platform."), "external_id")
    if Conversation.objects.filter(channel=channel, external_id=external_id).exists():
        raise InvalidInput(
            _("%(channel)s already has conversation %(id)s.") % {"channel": channel, "id": external_id},
            field="external_id",
        )
    fields.setdefault("product", channel.default_product)
    convo = Conversation(channel=channel, queue=channel.working_queue, external_id=external_id, **fields)
    _land(convo)
    convo.save()
    _record(convo, actor, Event.Kind.CREATED, to_queue=convo.queue)
    return convo


def _land(convo: Conversation) -> None:
    """Where a new conversation starts: its channel's working queue, the customer's post its last message."""
    convo.queue_id = convo.channel.working_queue_id
    if convo.last_customer_message_at is None:
        convo.last_customer_message_at = convo.created_at


@transaction.atomic
def assign_conversation(*, conversation_id: int, actor, assignee_id: int) -> Conversation:
    assignee = User.objects.filter(pk=assignee_id).first()
    if assignee is None or not can_work(assignee):
        raise InvalidInput(_("Conversations can only be assigned to active agents."), field="assignee")
    convo = _lock(conversation_id, Action.ASSIGN, actor)
    if convo.assignee_id == assignee.pk:
        raise TransitionNotAllowed(
            _("Conversation #%(pk)s is already assigned to %(user)s.")
            % {"pk": convo.pk, "user": assignee.get_username()}
        )
    previous = convo.assignee_id
    convo.assignee = assignee
    _save(convo, "assignee")
    _record(
        convo,
        actor,
        Event.Kind.ASSIGNED,
        assignee=assignee.get_username(),
        previous_assignee_id=previous,
    )
    return convo


@transaction.atomic
def unassign_conversation(*, conversation_id: int, actor) -> Conversation:
    convo = _lock(conversation_id, Action.UNASSIGN, actor)
    if convo.assignee_id is None:
        raise TransitionNotAllowed(_("Conversation #%(pk)s is not assigned to anyone.") % {"pk": convo.pk})
    previous = convo.assignee_id
    convo.assignee = None
    _save(convo, "assignee")
    _record(convo, actor, Event.Kind.UNASSIGNED, previous_assignee_id=previous)
    return convo


@transaction.atomic
def take_next_conversation(*, queue_id: int, actor) -> Conversation | None:
    """Assign the oldest unassigned open conversation of a working queue to actor.

    SKIP LOCKED lets agents pressing "Next" at the same moment each get a different one.
    """
    if not can_work(actor):
        raise InvalidInput(_("Only agents can take conversations."))
    queue = _queue_of_kind(queue_id, Queue.Kind.WORKING, _("Choose an active working queue."))
    convo = (
        Conversation.objects.select_for_update(skip_locked=True)
        .filter(queue=queue, status=Status.OPEN, assignee__isnull=True)
        .order_by("received_at", "id")
        .first()
    )
    if convo is None:
        return None
    convo.assignee = actor
    _save(convo, "assignee")
    _record(
        convo,
        actor,
        Event.Kind.ASSIGNED,
        assignee=actor.get_username(),
        next_conversation=True,
    )
    return convo


@transaction.atomic
def move_to_queue(*, conversation_id: int, actor, queue_id: int) -> Conversation:
    target = _queue_of_kind(
        queue_id,
        Queue.Kind.WORKING,
        _("Conversations can only be moved to an active working queue."),
    )
    convo = _lock(conversation_id, Action.MOVE, actor)
    if convo.queue_id == target.pk:
        raise TransitionNotAllowed(
            _("Conversation #%(pk)s is already in %(queue)s.") % {"pk": convo.pk, "queue": target}
        )
    source = _move(convo, target)
    _save(convo, "queue", "previous_queue", "on_hold_since")
    _record(convo, actor, Event.Kind.MOVED, from_queue=source, to_queue=target)
    return convo


@transaction.atomic
def add_note(*, conversation_id: int, actor, body: str) -> Note:
    body = _required(body, _("A note cannot be empty."), "body")
    convo = _lock(conversation_id, Action.NOTE, actor)
    note = Note.objects.create(conversation=convo, author=actor, body=body)
    _record(convo, actor, Event.Kind.NOTE_ADDED, note_id=note.pk)
    return note


def _outbound(convo: Conversation, actor, body: str, clipping: Clipping | None) -> Message:
    problems = reply_problems(convo.channel.platform, body)
    if problems:
        raise InvalidInput(" ".join(problems), field="body")
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
    convo = _lock(conversation_id, Action.REPLY, actor)
    message = _outbound(convo, actor, body, clipping)
    _record(convo, actor, Event.Kind.REPLIED, message_id=message.pk, clipping_id=clipping_id)
    return message


@transaction.atomic
def set_product(*, conversation_id: int, actor, product_id: int | None) -> Conversation:
    product = None
    if product_id is not None:
        product = Product.objects.filter(pk=product_id).first()
        if product is None:
            raise InvalidInput(_("That product does not exist."), field="product")
    convo = _lock(conversation_id, Action.SET_PRODUCT, actor)
    if convo.product_id == product_id:
        return convo
    previous = convo.product_id
    convo.product = product
    _save(convo, "product")
    _record(
        convo,
        actor,
        Event.Kind.PRODUCT_SET,
        product=str(product or ""),
        previous_product_id=previous,
    )
    return convo


@transaction.atomic
def set_tags(*, conversation_id: int, actor, tag_ids: list[int], new_tag_names: list[str] = ()) -> Conversation:
    """Set the conversation's tags. Creating tags that do not exist yet is for moderators."""
    tags = list(Tag.objects.filter(pk__in=tag_ids))
    if len(tags) != len(set(tag_ids)):
        raise InvalidInput(_("One of those tags does not exist."), field="tags")
    slugs = {name: slugify(name) for name in sorted({name.strip() for name in new_tag_names if name.strip()})}
    if slugs and actor is not None and not can_moderate(actor):
        raise NotPermitted(_("Only moderators can create tags."), field="new_tags")
    for name, slug in slugs.items():
        if not slug:
            raise InvalidInput(_("“%(name)s” cannot be a tag name.") % {"name": name}, field="new_tags")
    convo = _lock(conversation_id, Action.SET_TAGS, actor)
    for name, slug in slugs.items():
        tags.append(Tag.objects.get_or_create(slug=slug[:50], defaults={"name": name[:50]})[0])
    before = set(convo.tags.values_list("pk", flat=True))
    if before == {tag.pk for tag in tags}:
        return convo
    convo.tags.set(tags)
    _save(convo)
    _record(convo, actor, Event.Kind.TAGS_SET, tags=sorted(tag.name for tag in tags))
    return convo


@transaction.atomic
def put_on_hold(*, conversation_id: int, actor, queue_id: int | None = None) -> Conversation:
    """Wait on the customer: the on-hold queue's automation closes it if they stay silent."""
    if queue_id is None:
        on_hold = list(Queue.objects.active_of_kind(Queue.Kind.ON_HOLD)[:2])
        if len(on_hold) != 1:
            raise InvalidInput(_("Choose the on hold queue to put it in."), field="queue")
        target = on_hold[0]
    else:
        target = _queue_of_kind(queue_id, Queue.Kind.ON_HOLD, _("Choose an active on hold queue."))
    convo = _lock(conversation_id, Action.PUT_ON_HOLD, actor)
    source = _move(convo, target)
    convo.on_hold_since = timezone.now()
    _save(convo, "queue", "previous_queue", "on_hold_since")
    _record(convo, actor, Event.Kind.PUT_ON_HOLD, from_queue=source, to_queue=target)
    return convo


@transaction.atomic
def escalate_conversation(
    *, conversation_id: int, actor, reason: str, note: str, other_reason: str = ""
) -> Conversation:
    """The escalation of the process document, all or nothing: the internal note, the escalation
    statement as a reply, and the move to the channel's escalation queue."""
    if reason not in EscalationReason.values:
        raise InvalidInput(_("Choose why this conversation is escalated."), field="reason")
    other_reason = (other_reason or "").strip()
    if reason == EscalationReason.OTHER and not other_reason:
        raise InvalidInput(_("Say what the other reason is."), field="other_reason")
    note = _required(
        note,
        _("Describe the problem and the steps you suggested to the customer."),
        "note",
    )
    statement = Clipping.objects.filter(is_escalation_statement=True).first()
    if statement is None:
        raise InvalidInput(_("No escalation statement is configured; ask an admin to set one."))
    convo = _lock(conversation_id, Action.ESCALATE, actor)
    target = convo.channel.escalation_queue
    if target.kind != Queue.Kind.ESCALATION or not target.is_active:
        raise InvalidInput(_("The channel %(channel)s has no active escalation queue.") % {"channel": convo.channel})
    written_note = Note.objects.create(conversation=convo, author=actor, body=note)
    message = _outbound(convo, actor, statement.body, statement)
    source = _move(convo, target)
    convo.escalation_reason = reason
    convo.escalation_reason_other = other_reason if reason == EscalationReason.OTHER else ""
    convo.escalated_at = timezone.now()
    _save(
        convo,
        "queue",
        "previous_queue",
        "on_hold_since",
        "escalation_reason",
        "escalation_reason_other",
        "escalated_at",
    )
    _record(
        convo,
        actor,
        Event.Kind.ESCALATED,
        from_queue=source,
        to_queue=target,
        reason=reason,
        other_reason=convo.escalation_reason_other,
        note_id=written_note.pk,
        message_id=message.pk,
    )
    if reason == EscalationReason.OTHER:
        transaction.on_commit(lambda: _tell_admins_about_other_reason(convo, actor, other_reason))
    return convo


def _tell_admins_about_other_reason(convo: Conversation, actor, other_reason: str) -> None:
    who = actor.get_username() if actor else _("the automation")
    mail_admins(
        _("Conversation #%(pk)s escalated for another reason") % {"pk": convo.pk},
        _("%(who)s escalated conversation #%(pk)s (%(channel)s) for this reason:\n\n%(reason)s")
        % {
            "who": who,
            "pk": convo.pk,
            "channel": convo.channel,
            "reason": other_reason,
        },
        fail_silently=True,
    )
    logger.info("conversation %s escalated for another reason by %s", convo.pk, who)


@transaction.atomic
def close_conversation(*, conversation_id: int, actor, reason: str) -> Conversation:
    """Close a conversation from any queue. actor None means the automation."""
    if reason not in CloseReason.values:
        raise InvalidInput(_("Choose why this conversation is closed."), field="reason")
    convo = _lock(conversation_id, Action.CLOSE, actor)
    convo.status, convo.closed_at, convo.close_reason = (
        Status.CLOSED,
        timezone.now(),
        reason,
    )
    _save(convo, "status", "closed_at", "close_reason")
    _record(convo, actor, Event.Kind.CLOSED, from_queue=convo.queue, reason=reason)
    return convo


def _reopen(convo: Conversation) -> Queue:
    convo.status, convo.closed_at, convo.close_reason = Status.OPEN, None, ""
    return _move(convo, convo.channel.working_queue)


_REOPEN_FIELDS = (
    "status",
    "closed_at",
    "close_reason",
    "queue",
    "previous_queue",
    "on_hold_since",
)


@transaction.atomic
def reopen_conversation(*, conversation_id: int, actor) -> Conversation:
    """Reopen a closed conversation into its channel's working queue."""
    convo = _lock(conversation_id, Action.REOPEN, actor)
    source = _reopen(convo)
    _save(convo, *_REOPEN_FIELDS)
    _record(convo, actor, Event.Kind.REOPENED, from_queue=source, to_queue=convo.queue)
    return convo


@transaction.atomic
def record_customer_message(
    *,
    conversation_id: int,
    body: str,
    external_id: str = "",
    author_name: str = "",
    sent_at=None,
) -> Message:
    """The customer wrote again. On hold: back to the working queue it came from, clock stopped.
    Closed: reopened into the channel's working queue. Escalated or working: stays where it is.
    A message whose external id is already recorded is returned as it is (imports run twice)."""
    convo = _locked(conversation_id)
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
        _move(convo, target)
    elif stage == Stage.CLOSED:
        _reopen(convo)
        target = convo.queue
    if convo.last_customer_message_at is None or sent_at > convo.last_customer_message_at:
        convo.last_customer_message_at = sent_at
    _save(convo, "last_customer_message_at", *_REOPEN_FIELDS)
    _record(
        convo,
        None,
        Event.Kind.CUSTOMER_MESSAGE,
        by_automation=False,
        from_queue=source if target else None,
        to_queue=target,
        message_id=message.pk,
        reopened=stage == Stage.CLOSED,
    )
    return message


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
