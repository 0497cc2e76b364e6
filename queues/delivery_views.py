"""The page that sends a failed or unknown reply again (a confirmation step: no script needed)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from queues import services
from queues.forms import SendAgainForm
from queues.models import Conversation, Message
from queues.views import agent_required


def _reply(request, pk) -> Message:
    visible = Conversation.objects.visible_to(request.user)
    message = (
        Message.objects.select_related("conversation__channel")
        .filter(pk=pk, direction=Message.Direction.OUTBOUND, conversation__in=visible)
        .first()
    )
    if message is None:
        raise Http404(_("No reply #%(pk)s.") % {"pk": pk})
    return message


@agent_required
@require_http_methods(["GET", "POST"])
def send_again(request, pk):
    message = _reply(request, pk)
    if not message.is_undelivered:
        messages.info(
            request,
            _("That reply is %(state)s: there is nothing to send again.")
            % {"state": message.get_delivery_display().lower()},
        )
        return redirect("conversation-detail", pk=message.conversation_id)
    form = SendAgainForm(request.POST if request.method == "POST" else None, message=message)
    if request.method == "POST" and form.is_valid():
        try:
            form.save(actor=request.user)
        except services.NotPermitted:
            raise PermissionDenied from None
        except services.ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _("The reply will be sent to %(platform)s again in a moment.")
                % {"platform": message.conversation.channel.get_platform_display()},
            )
            return redirect("conversation-detail", pk=message.conversation_id)
    status = 400 if form.errors else 200
    return render(request, "queues/send_again.html", {"message": message, "form": form}, status=status)
