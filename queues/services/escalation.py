"""Escalating, as the process document describes it: one action, all or nothing."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from queues.models import Clipping, Conversation, EscalationReason, Event, Note, Queue
from queues.models.languages import clipping_text
from queues.notices import outbox as notices
from queues.process import Action
from queues.services.errors import InvalidInput
from queues.services.replies import queue_reply
from queues.services.state import MOVE_FIELDS, lock_for, move, record, required, save


def check_reason(reason: str, other_reason: str) -> str:
    """The reason's rules, for the forms as for the service: a known reason, and words for "other".
    Returns the other reason as it is kept (empty unless the reason is "other")."""
    if reason not in EscalationReason.values:
        raise InvalidInput(_("Choose why this conversation is escalated."), field="reason")
    other_reason = (other_reason or "").strip()
    if reason == EscalationReason.OTHER and not other_reason:
        raise InvalidInput(_("Say what the other reason is."), field="other_reason")
    return other_reason if reason == EscalationReason.OTHER else ""


@transaction.atomic
def escalate_conversation(
    *, conversation_id: int, actor, reason: str, note: str, other_reason: str = ""
) -> Conversation:
    """The internal note, the escalation statement as a reply, and the move to the channel's escalation queue."""
    other_reason = check_reason(reason, other_reason)
    note = required(note, _("Describe the problem and the steps you suggested to the customer."), "note")
    statement = Clipping.objects.filter(is_escalation_statement=True).first()
    if statement is None:
        raise InvalidInput(_("No escalation statement is configured; ask an admin to set one."))
    if not statement.is_active:
        # The admin keeps it active; one deactivated before that rule, or in the database, must not be sent.
        raise InvalidInput(
            _("The escalation statement “%(title)s” is inactive, so it cannot be sent; ask an admin to activate it.")
            % {"title": statement.title}
        )
    convo = lock_for(Action.ESCALATE, conversation_id, actor)
    target = convo.channel.escalation_queue
    if target.kind != Queue.Kind.ESCALATION or not target.is_active:
        raise InvalidInput(_("The channel %(channel)s has no active escalation queue.") % {"channel": convo.channel})
    written_note = Note.objects.create(conversation=convo, author=actor, body=note)
    # In the customer's language when the statement has that translation; its limits are checked on that text.
    message = queue_reply(convo, actor, clipping_text(statement, convo.language), statement)
    source = move(convo, target)
    convo.escalation_reason, convo.escalation_reason_other, convo.escalated_at = reason, other_reason, timezone.now()
    if convo.assignee_id is None and actor is not None:
        # Someone must close it once it is resolved: the agent who escalated it, unless someone has it already.
        convo.assignee = actor
    save(
        convo,
        *MOVE_FIELDS,
        "assignee",
        "escalation_reason",
        "escalation_reason_other",
        "escalated_at",
    )
    record(
        convo,
        actor,
        Event.Kind.ESCALATED,
        from_queue=source,
        to_queue=target,
        reason=reason,
        other_reason=other_reason,
        note_id=written_note.pk,
        message_id=message.pk,
    )
    # The product team's rooms, and for "other" the admins: posted by the outbox once this commits.
    notices.escalated(convo, actor=actor, note=note)
    return convo
