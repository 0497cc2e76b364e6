"""Markup put together in Python, for what pages repeat: the list's rows, the timeline's entries, the conversation
page's forms (queues/templatetags/rows.py, bootstrap.py, delivery.py).

format_html escapes each value through Django's lazy-aware wrappers and marks each piece safe: for a row of twenty
values that costs more than the row. Here a drawing escapes each value with esc() (conditional_escape's rule, at the
cost of html.escape), joins the pieces with f-strings, and marks the whole safe once with safe().
"""

import html

from django import forms
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe


def esc(value) -> str:
    """conditional_escape(value) as a plain str: what is marked safe stays as it is, anything else is escaped."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def safe(markup: str) -> SafeString:
    """Markup whose every value went through esc() (or is our own literal markup): safe to put in a page."""
    return mark_safe(markup)  # noqa: S308 - see above


def attributes(attrs: dict) -> str:
    """An element's attributes as Django's widgets draw them (django/forms/widgets/attrs.html): True as the name
    alone, False left out."""
    return "".join(
        f" {esc(name)}" if value is True else f' {esc(name)}="{esc(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def select(widget, name: str, value, attrs: dict) -> str:
    """django/forms/widgets/select.html, from the widget's choices as Select.optgroups() reads them (a single select
    marks its first match only), without the dictionary Django builds for every option first."""
    chosen = set(widget.format_value(value))
    any_chosen = False
    options = []
    for option_value, label in widget.choices:
        group = isinstance(label, list | tuple)
        drawn = []
        for choice, text in label if group else [("" if option_value is None else option_value, label)]:
            selected = (not any_chosen or widget.allow_multiple_selected) and str(choice) in chosen
            any_chosen |= selected
            drawn.append(f'\n  <option value="{esc(choice)}"{" selected" if selected else ""}>{esc(text)}</option>')
        if group:
            options.append(f'\n  <optgroup label="{esc(option_value)}">{"".join(drawn)}\n  </optgroup>')
        else:
            options += drawn
    attrs = widget.build_attrs(widget.attrs, attrs)
    if widget.allow_multiple_selected:
        attrs["multiple"] = True
    return f'<select name="{esc(name)}"{attributes(attrs)}>{"".join(options)}\n</select>'


class DrawnSelect(forms.Select):
    """A select drawn by select() rather than by a template per option: for a form Django's own templates show."""

    def render(self, name, value, attrs=None, renderer=None):
        return safe(select(self, name, value, attrs or {}))
