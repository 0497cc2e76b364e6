from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from queues import timing

register = template.Library()


@register.filter
def auto_close(convo) -> str:
    return timing.auto_close_text(convo)


@register.filter
def ago(moment) -> str:
    return timing.ago(moment) if moment else ""


@register.filter
def first_response(convo) -> str:
    return timing.first_response_text(convo)


@register.simple_tag
def reply_heading(message):
    """Who replied: the agent; a developer reply imported from the Play Console; a name the platform gave; or a user
    deleted since."""
    if message.author_id:
        name = message.author.get_full_name() or message.author.get_username()
    elif message.external_id.startswith("devreply:"):
        return format_html("<strong>{}</strong>", _("Developer reply (Play Console)"))
    else:
        name = message.author_name or _("deleted user")
    return format_html("<strong>{}</strong> {}", name, _("replied"))
