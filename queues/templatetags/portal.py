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


@register.simple_tag
def moment(value):
    """<time> in the user's zone, as {{ value }} shows it: one conversion where {{ value|date:"c" }} and {{ value }}
    make two (a long timeline has hundreds)."""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}">{}</time>', local.isoformat(), formats.date_format(local, "DATETIME_FORMAT")
    )
