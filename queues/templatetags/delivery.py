from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from queues.drawing import esc, safe
from queues.platforms.links import post_url

register = template.Library()


@register.simple_tag
def delivery_state(message, platform: str, platform_label: str):
    """What became of a reply, on the conversation's timeline and on the page that sends it again: its state's
    badge, the post on the platform once sent, the reason it failed or waits, and "Send again" where that is
    allowed."""
    state = message.delivery
    reason = esc(message.delivery_reason)
    if state == "sent":
        sent = ""
        if message.sent_at:
            local = timezone.localtime(message.sent_at)
            sent = f' <time datetime="{local.isoformat()}">{local.strftime("%H:%M")}</time>'
        shown = f'<span class="badge text-bg-success">{esc(_("Sent"))}{sent}</span>'
        url = post_url(platform, message.external_id)
        if url:
            link = esc(_("see it on %(platform_label)s") % {"platform_label": platform_label})
            shown += f' <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{link}</a>'
    elif state == "failed":
        shown = f'<span class="badge text-bg-danger">{esc(_("Failed"))}</span> <q dir="auto">{reason}</q>'
    elif state == "unknown":
        check = esc(_("check on %(platform_label)s before sending again") % {"platform_label": platform_label})
        shown = f'<span class="badge text-bg-warning">{esc(_("Unknown"))}</span> {check}'
    elif state == "sending":
        shown = f'<span class="badge text-bg-info">{esc(_("Sending"))}</span>'
    else:
        shown = f'<span class="badge text-bg-light border">{esc(_("Queued"))}</span>'
        if reason:
            shown += f' <span dir="auto">{reason}</span>'
    if state in ("failed", "unknown"):
        shown += f' · <a href="{esc(reverse("reply-send-again", args=[message.pk]))}">{esc(_("Send again"))}</a>'
    return safe(f'<span class="delivery-state" id="delivery-{message.pk}">\n{shown}\n</span>')
