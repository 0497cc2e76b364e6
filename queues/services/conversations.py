"""Who has a conversation and where it is: assign, take the next one, move, hold, close, reopen, product, tags."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from queues.models import CloseReason, Conversation, Event, Product, Queue, Status, Tag
from queues.notices import outbox as notices
from queues.permissions import can_moderate, can_work
from queues.process import Action
from queues.services.errors import InvalidInput, NothingToChange, NotPermitted
from queues.services.state import MOVE_FIELDS, REOPEN_FIELDS, lock_for, move, queue_of_kind, record, reopen, save


@transaction.atomic
def assign_conversation(*, conversation_id: int, actor, assignee_id: int) -> Conversation:
    assignee = get_user_model().objects.filter(pk=assignee_id).first()
    if assignee is None or not can_work(assignee):
        raise InvalidInput(_("Conversations can only be assigned to active agents."), field="assignee")
    convo = lock_for(Action.ASSIGN, conversation_id, actor)
    if convo.assignee_id == assignee.pk:
        raise NothingToChange(
            _("Conversation #%(pk)s is already assigned to %(user)s.") % {"pk": convo.pk, "user": assignee},
            reason=_("already assigned to %(user)s") % {"user": assignee.get_username()},
        )
    previous = convo.assignee_id
    convo.assignee = assignee
    save(convo, "assignee")
    record(convo, actor, Event.Kind.ASSIGNED, assignee=assignee.get_username(), previous_assignee_id=previous)
    return convo


@transaction.atomic
def unassign_conversation(*, conversation_id: int, actor) -> Conversation:
    convo = lock_for(Action.UNASSIGN, conversation_id, actor)
    if convo.assignee_id is None:
        raise NothingToChange(
            _("Conversation #%(pk)s is not assigned to anyone.") % {"pk": convo.pk}, reason=_("not assigned")
        )
    previous = convo.assignee_id
    convo.assignee = None
    save(convo, "assignee")
    record(convo, actor, Event.Kind.UNASSIGNED, previous_assignee_id=previous)
    return convo


@transaction.atomic
def take_next_conversation(*, queue_id: int, actor) -> Conversation | None:
    """Assign the oldest unassigned open conversation of a working queue to actor.

    SKIP LOCKED lets agents pressing "Next" at the same moment each get a different one."""
    if not can_work(actor):
        raise NotPermitted(_("Only agents can take conversations."))
    queue = queue_of_kind(queue_id, Queue.Kind.WORKING, _("Choose an active working queue."))
    convo = (
        Conversation.objects.select_for_update(skip_locked=True)
        .open()
        .in_queue(queue)
        .filter(assignee__isnull=True)
        .order_by("received_at", "id")
        .first()
    )
    if convo is None:
        return None
    convo.assignee = actor
    save(convo, "assignee")
    record(convo, actor, Event.Kind.ASSIGNED, assignee=actor.get_username(), next_conversation=True)
    return convo


@transaction.atomic
def move_to_queue(*, conversation_id: int, actor, queue_id: int) -> Conversation:
    target = queue_of_kind(
        queue_id, Queue.Kind.WORKING, _("Conversations can only be moved to an active working queue.")
    )
    convo = lock_for(Action.MOVE, conversation_id, actor)
    if convo.queue_id == target.pk:
        raise NothingToChange(
            _("Conversation #%(pk)s is already in %(queue)s.") % {"pk": convo.pk, "queue": target},
            reason=_("already in %(queue)s") % {"queue": target},
        )
    source = move(convo, target)
    save(convo, *MOVE_FIELDS)
    record(convo, actor, Event.Kind.MOVED, from_queue=source, to_queue=target)
    _tell_the_team(convo, source, actor, _("moved to %(queue)s") % {"queue": target})
    return convo


@transaction.atomic
def set_product(*, conversation_id: int, actor, product_id: int | None) -> Conversation:
    product = None
    if product_id is not None:
        product = Product.objects.filter(pk=product_id).first()
        if product is None:
            raise InvalidInput(_("That product does not exist."), field="product")
    convo = lock_for(Action.SET_PRODUCT, conversation_id, actor)
    if convo.product_id == product_id:
        raise NothingToChange(
            _("Conversation #%(pk)s already has that product.") % {"pk": convo.pk}, reason=_("product unchanged")
        )
    previous = convo.product_id
    convo.product = product
    save(convo, "product")
    record(convo, actor, Event.Kind.PRODUCT_SET, product=str(product or ""), previous_product_id=previous)
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
    convo = lock_for(Action.SET_TAGS, conversation_id, actor)
    for name, slug in slugs.items():
        tags.append(Tag.objects.get_or_create(slug=slug[:50], defaults={"name": name[:50]})[0])
    if set(convo.tags.values_list("pk", flat=True)) == {tag.pk for tag in tags}:
        raise NothingToChange(
            _("Conversation #%(pk)s already has those tags.") % {"pk": convo.pk}, reason=_("tags unchanged")
        )
    convo.tags.set(tags)
    save(convo)
    record(convo, actor, Event.Kind.TAGS_SET, tags=sorted(tag.name for tag in tags))
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
        target = queue_of_kind(queue_id, Queue.Kind.ON_HOLD, _("Choose an active on hold queue."))
    convo = lock_for(Action.PUT_ON_HOLD, conversation_id, actor)
    source = move(convo, target)
    convo.on_hold_since = timezone.now()
    save(convo, *MOVE_FIELDS)
    record(convo, actor, Event.Kind.PUT_ON_HOLD, from_queue=source, to_queue=target)
    _tell_the_team(convo, source, actor, _("put on hold, waiting on the customer"))
    return convo


@transaction.atomic
def close_conversation(*, conversation_id: int, actor, reason: str) -> Conversation:
    """Close a conversation from any queue. actor None means the automation."""
    if reason not in CloseReason.values:
        raise InvalidInput(_("Choose why this conversation is closed."), field="reason")
    convo = lock_for(Action.CLOSE, conversation_id, actor)
    convo.status, convo.closed_at, convo.close_reason = Status.CLOSED, timezone.now(), reason
    save(convo, "status", "closed_at", "close_reason")
    record(convo, actor, Event.Kind.CLOSED, from_queue=convo.queue, reason=reason)
    _tell_the_team(convo, convo.queue, actor, _("closed (%(reason)s)") % {"reason": CloseReason(reason).label})
    return convo


def _tell_the_team(convo: Conversation, source: Queue, actor, what: str) -> None:
    """An escalation the product team was told of is handled: say so in the thread of each notice."""
    if source.kind == Queue.Kind.ESCALATION:
        who = actor.get_username() if actor else _("the automation")
        notices.handled(convo, what=_("%(what)s by %(who)s") % {"what": what, "who": who})


@transaction.atomic
def reopen_conversation(*, conversation_id: int, actor) -> Conversation:
    """Reopen a closed conversation into its channel's working queue."""
    convo = lock_for(Action.REOPEN, conversation_id, actor)
    source = reopen(convo)
    save(convo, *REOPEN_FIELDS)
    record(convo, actor, Event.Kind.REOPENED, from_queue=source, to_queue=convo.queue)
    return convo
