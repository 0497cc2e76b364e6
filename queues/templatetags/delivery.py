from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from queues.platforms.links import post_url

register = template.Library()


@register.simple_tag
def delivery_state(message, platform: str, platform_label: str):
    """What became of a reply, on the conversation's timeline and on the page that sends it again: its state's
    badge, the post on the platform once sent, the reason it failed or waits, and "Send again" where that is
    allowed."""
    state = message.delivery
    if state == "sent":
        sent = ""
        if message.sent_at:
            local = timezone.localtime(message.sent_at)
            sent = format_html(' <time datetime="{}">{}</time>', local.isoformat(), local.strftime("%H:%M"))
        shown = format_html('<span class="badge text-bg-success">{}{}</span>', _("Sent"), sent)
        url = post_url(platform, message.external_id)
        if url:
            link = _("see it on %(platform_label)s") % {"platform_label": platform_label}
            shown = format_html('{} <a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', shown, url, link)
    elif state == "failed":
        shown = format_html(
            '<span class="badge text-bg-danger">{}</span> <q dir="auto">{}</q>', _("Failed"), message.delivery_reason
        )
    elif state == "unknown":
        shown = format_html(
            '<span class="badge text-bg-warning">{}</span> {}',
            _("Unknown"),
            _("check on %(platform_label)s before sending again") % {"platform_label": platform_label},
        )
    elif state == "sending":
        shown = format_html('<span class="badge text-bg-info">{}</span>', _("Sending"))
    else:
        shown = format_html('<span class="badge text-bg-light border">{}</span>', _("Queued"))
        if message.delivery_reason:
            shown = format_html('{} <span dir="auto">{}</span>', shown, message.delivery_reason)
    if state in ("failed", "unknown"):
        shown = format_html(
            '{} · <a href="{}">{}</a>', shown, reverse("reply-send-again", args=[message.pk]), _("Send again")
        )
    return format_html('<span class="delivery-state" id="delivery-{}">\n{}\n</span>', message.pk, shown)
