from datetime import UTC

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def person(user) -> str:
    """A user as people know them; users deleted since are "deleted user"."""
    if user is None:
        return _("deleted user")
    return user.get_full_name() or user.get_username()


@register.filter
def event_actor(event) -> str:
    if event.actor_id:
        return person(event.actor)
    if event.by_automation:
        return _("Automation")
    if event.kind == "customer_message":
        return _("Customer")
    return _("deleted user")


@register.inclusion_tag("queues/includes/stars.html")
def stars(rating):
    return {"rating": rating, "filled": "★" * (rating or 0), "empty": "☆" * (5 - (rating or 0))}


@register.filter
def reason_label(event) -> str:
    """The human label of the reason an escalation or close event recorded."""
    from queues.models import CloseReason, EscalationReason

    reason = (event.details or {}).get("reason", "")
    choices = EscalationReason if event.kind == "escalated" else CloseReason
    return choices(reason).label if reason in choices.values else reason


@register.filter
def web_url(value) -> str:
    """The URL if it is http(s), else nothing: a customer-supplied javascript: link must never be clickable."""
    value = (value or "").strip()
    return value if value.lower().startswith(("https://", "http://")) else ""


def _local(value) -> tuple:
    """The time in the user's zone and how to show it. In UTC, said so, when the zone cannot hold it: a stored
    9999-12-31 23:00 UTC is in year 10000 east of UTC, which Python cannot represent, and the page must still draw."""
    try:
        local = timezone.localtime(value)
    except (OverflowError, ValueError):
        local = value.astimezone(UTC)
        return local, formats.date_format(local, "DATETIME_FORMAT") + " UTC"
    return local, formats.date_format(local, "DATETIME_FORMAT")


@register.filter(expects_localtime=False)
def when(value) -> str:
    """A time as {{ value }} shows it, in the user's zone; one the zone cannot hold is shown in UTC."""
    if not value:
        return ""
    return _local(value)[1]


@register.simple_tag
def moment(value):
    """<time> in the user's zone, as {{ value }} shows it: one conversion where {{ value|date:"c" }} and {{ value }}
    make two (a long timeline has hundreds)."""
    local, shown = _local(value)
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), shown)
