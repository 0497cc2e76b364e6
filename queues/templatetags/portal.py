from datetime import UTC

from django import template
from django.forms import CheckboxInput, CheckboxSelectMultiple, Select
from django.utils import timezone
from django.utils.translation import gettext as _

from queues import timing
from queues.drawing import esc, safe

register = template.Library()


@register.filter
def person(user) -> str:
    """A user as people know them; users deleted since are "deleted user"."""
    if user is None:
        return _("deleted user")
    return name_of(user.first_name, user.last_name, user.get_username())


def name_of(first_name: str, last_name: str, username: str) -> str:
    """What person() shows of a user from their names: their full name, else their username."""
    return f"{first_name} {last_name}".strip() or username


@register.simple_tag
def stars(rating):
    """A rating as five stars, read out as "3 of 5 stars"; nothing when there is none."""
    if not rating:
        return ""
    label = esc(_("%(rating)s of 5 stars") % {"rating": rating})
    return safe(
        f'<span class="stars" role="img" aria-label="{label}" title="{label}"><span aria-hidden="true">'
        f'{"★" * rating}</span><span class="stars-empty" aria-hidden="true">{"☆" * (5 - rating)}</span></span>'
    )


@register.filter
def language_name(tag: str) -> str:
    from queues.models.languages import language_name

    return language_name(tag)


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
        return local, timing.date_text(local) + " UTC"
    return local, timing.date_text(local)


@register.filter(expects_localtime=False)
def when(value) -> str:
    """A time as {{ value }} shows it, in the user's zone; one the zone cannot hold is shown in UTC."""
    if not value:
        return ""
    return _local(value)[1]


@register.simple_tag
def moment(value, zone=False):
    """<time> in the user's zone, in their language's format, as {{ value }} shows it: one conversion where
    {{ value|date:"c" }} and {{ value }} make two (a long timeline has hundreds). zone=True names the zone too,
    where a reader in another zone must not misread it (a deadline)."""
    local, shown = _local(value)
    if zone and not shown.endswith(" UTC"):
        shown = f"{shown} ({local.tzname()})"
    return safe(f'<time datetime="{local.isoformat()}">{esc(shown)}</time>')


@register.filter
def hold_deadline(conversation):
    """When an on-hold conversation closes by itself if the customer stays silent; None when it never does."""
    after = conversation.queue.auto_close_after if conversation.queue_id else None
    if conversation.on_hold_since is None or after is None or conversation.status == "closed":
        return None
    return conversation.on_hold_since + after


@register.simple_tag
def filter_panel(filterset):
    """The list's filter form, drawn here rather than by crispy-forms: crispy draws each control through several
    templates and each option through another, most of the list page's drawing for a panel that is usually closed.
    The markup is Bootstrap's, as crispy's bootstrap5 pack draws it."""
    form = filterset.form
    rows = "\n".join(
        f'<div class="row">{"".join(_filter_column(form[name], width) for name, width in row)}</div>'
        for row in filterset.LAYOUT
    )
    return safe(
        f'<form id="conversation-filters" method="get">{rows}\n'
        f'<input type="submit" value="{esc(_("Filter"))}" class="btn btn-primary"></form>'
    )


def _filter_column(field, width: str) -> str:
    widget = field.field.widget
    name, auto_id, label = esc(field.html_name), esc(field.auto_id), esc(field.label)
    errors = "".join(f'<div class="invalid-feedback d-block">{esc(error)}</div>' for error in field.errors)
    invalid = " is-invalid" if field.errors else ""
    help_text = (
        f'<div id="{auto_id}_helptext" class="form-text">{esc(field.help_text)}</div>' if field.help_text else ""
    )
    described = f' aria-describedby="{auto_id}_helptext"' if field.help_text else ""
    value = field.value()
    if isinstance(widget, CheckboxInput):
        checked = " checked" if value else ""
        control = (
            f'<div class="form-check"><input type="checkbox" name="{name}" class="form-check-input" id="{auto_id}"'
            f'{checked}><label for="{auto_id}" class="form-check-label">{label}</label></div>'
        )
    elif isinstance(widget, CheckboxSelectMultiple):
        chosen = {str(v) for v in value or ()}
        boxes = "".join(
            f'<div class="form-check"><input type="checkbox" class="form-check-input" name="{name}" value="{esc(v)}" '
            f'id="{auto_id}_{i}"{" checked" if str(v) in chosen else ""}><label for="{auto_id}_{i}" '
            f'class="form-check-label">{esc(text)}</label></div>'
            for i, (v, text) in enumerate(field.field.choices)
        )
        control = f'<fieldset><legend class="form-label fs-6">{label}</legend>{boxes}</fieldset>'
    else:
        if isinstance(widget, Select):
            chosen = {str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v not in (None, "")}
            options = "".join(
                f'<option value="{esc(v)}"{" selected" if str(v) in chosen or (str(v) == "" and not chosen) else ""}>'
                f"{esc(text)}</option>"
                for v, text in field.field.choices
            )
            tag = f'<select name="{name}" class="form-select{invalid}" id="{auto_id}"{described}>{options}</select>'
        else:
            kind = esc(getattr(widget, "input_type", "text"))
            shown = f' value="{esc(value)}"' if value not in (None, "") else ""
            tag = f'<input type="{kind}" name="{name}"{shown} class="form-control{invalid}" id="{auto_id}"{described}>'
        control = f'<label for="{auto_id}" class="form-label">{label}</label>{tag}'
    return f'<div class="{esc(width)}"><div class="mb-3">{control}{help_text}{errors}</div></div>'
