"""Escalating, as the process document describes it: one action, all or nothing."""

import logging

from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from queues.models import Clipping, Conversation, EscalationReason, Event, Note, Queue
from queues.process import Action
from queues.services.errors import InvalidInput
from queues.services.replies import queue_reply
from queues.services.state import lock_for, move, record, required, save

logger = logging.getLogger(__name__)


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
    message = queue_reply(convo, actor, statement.body, statement)
    source = move(convo, target)
    convo.escalation_reason, convo.escalation_reason_other, convo.escalated_at = reason, other_reason, timezone.now()
    save(
        convo,
        "queue",
        "previous_queue",
        "on_hold_since",
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
    if reason == EscalationReason.OTHER:
        transaction.on_commit(lambda: _tell_admins_about_other_reason(convo, actor, other_reason))
    return convo


def _tell_admins_about_other_reason(convo: Conversation, actor, other_reason: str) -> None:
    who = actor.get_username() if actor else _("the automation")
    mail_admins(
        _("Conversation #%(pk)s escalated for another reason") % {"pk": convo.pk},
        _("%(who)s escalated conversation #%(pk)s (%(channel)s) for this reason:\n\n%(reason)s")
        % {"who": who, "pk": convo.pk, "channel": convo.channel, "reason": other_reason},
        fail_silently=True,
    )
    logger.info("conversation %s escalated for another reason by %s", convo.pk, who)
