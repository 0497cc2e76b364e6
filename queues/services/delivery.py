"""What agents and admins do about replies that did not arrive: send them again."""

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from queues import history, outbox
from queues.models import Event, Message
from queues.outbox.models import Delivery
from queues.process import Action
from queues.services.errors import InvalidInput, TransitionNotAllowed
from queues.services.replies import check_reply
from queues.services.state import lock_for, record


@transaction.atomic
def send_again(*, message_id: int, actor, confirmed: bool = False, body: str | None = None) -> Message:
    """Queue a failed or unknown reply again. An unknown one may already be posted: sending it again needs
    confirmed=True. A failed one may go with a new text (body), checked against its platform's rules."""
    convo_id = Message.objects.filter(pk=message_id, direction=Message.Direction.OUTBOUND).values_list(
        "conversation_id", flat=True
    )
    convo_id = convo_id.first()
    if convo_id is None:
        raise InvalidInput(_("No reply #%(pk)s.") % {"pk": message_id})
    convo = lock_for(Action.REPLY, convo_id, actor)
    message = Message.objects.select_for_update().get(pk=message_id)
    if message.delivery not in (Delivery.FAILED, Delivery.UNKNOWN):
        raise TransitionNotAllowed(
            _("Reply #%(pk)s is %(state)s: only failed and unknown replies can be sent again.")
            % {"pk": message.pk, "state": message.get_delivery_display().lower()},
            reason=_("not failed or unknown"),
        )
    if message.delivery == Delivery.UNKNOWN and not confirmed:
        raise InvalidInput(
            _("This reply may already be on %(platform)s: check there, then confirm that it may be posted twice.")
            % {"platform": convo.channel.get_platform_display()},
            field="confirmed",
            reason=_("unknown and not confirmed"),
        )
    fields = ["delivery", "delivery_reason", "queued_at", "next_attempt_at", "lease_owner", "lease_expires_at"]
    body = (body or "").strip()
    details = {}
    if body and body != message.body:
        if message.delivery != Delivery.FAILED:
            raise InvalidInput(_("Only a failed reply can be edited before it is sent again."), field="body")
        check_reply(convo.channel.platform, body)
        details["previous_body"] = message.body
        message.body = body
        fields.append("body")
    previous = message.delivery
    now = timezone.now()
    message.delivery, message.delivery_reason = Delivery.QUEUED, ""
    message.queued_at = message.next_attempt_at = now
    message.lease_owner, message.lease_expires_at = "", None
    if "body" in fields:
        # A refused reply was never posted: changing its text rewrites nothing anyone saw, and the Event keeps the
        # text the platform refused. The append-only trigger otherwise guards a message's text.
        with history.rewritable(connection):
            message.save(update_fields=fields)
    else:
        message.save(update_fields=fields)
    record(convo, actor, Event.Kind.SENT_AGAIN, message_id=message.pk, was=previous, edited="body" in fields, **details)
    transaction.on_commit(outbox.notify)
    return message
