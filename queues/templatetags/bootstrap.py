"""Forms drawn in Python with the markup crispy-forms' Bootstrap 5 pack gives them: {% bootstrap_form form %}.

The conversation page draws up to eight action forms on every request. crispy-forms draws each field through half a
dozen templates, and Django each option of a select through one more: most of the page's server time. Here a form
is drawn from what Django works out for it (each widget's attributes, value, choices, ids) in the markup crispy drew:
a label, the control, its errors, its help text; the helper's submit button last (queues/drawing.py puts it
together). Widgets other than inputs, textareas, selects and lists of checkboxes are left to Django to draw.
The forms keep their FormHelper, so that {% crispy form %} draws them alike where a page is not drawn all day.
"""

from django import template
from django.forms import CheckboxInput, CheckboxSelectMultiple, Select
from django.forms.models import ModelChoiceIterator

from queues.drawing import attributes, esc, safe, select

register = template.Library()


@register.simple_tag
def bootstrap_form(form):
    """What {% crispy form %} draws for a helper without <form> tag or CSRF token: errors not tied to a field, each
    field in order, the helper's inputs."""
    parts = []
    errors = form.non_field_errors()
    if errors:
        items = "".join(f"<li>{esc(error)}</li>" for error in errors)
        parts.append(f'<div class="alert alert-block alert-danger"><ul class="m-0">{items}</ul></div>')
    parts += (field(bound) for bound in form)
    parts += (_button(submit) for submit in form.helper.inputs)
    return safe(" ".join(parts))


def _button(submit) -> str:
    return (
        f'<div class="mb-3"> <div class=""> <input type="{esc(submit.input_type)}" name="{esc(submit.name)}" '
        f'value="{esc(submit.value)}" class="{esc(submit.field_classes)}" '
        f'id="{esc(submit.id or f"{submit.input_type}-id-{submit.name}")}" /> </div> </div>'
    )


def field(bound) -> str:
    """One field, as crispy's bootstrap5/field.html draws it."""
    widget = bound.field.widget
    if bound.is_hidden:
        return control(bound)
    required = bound.field.required
    label = esc(bound.label) + ('<span class="asteriskField">*</span>' if required else "")
    needed = " requiredField" if required else ""
    if isinstance(widget, CheckboxInput):
        return (
            f'<div class="mb-3"> <div id="div_{esc(bound.auto_id)}" class="form-check"> '
            f"{control(bound, 'form-check-input')} "
            f'<label for="{esc(bound.id_for_label)}" class="form-check-label{needed}"> {label} </label> '
            f"{_errors(bound, 'span')}{_help(bound)} </div> </div>"
        )
    if isinstance(widget, CheckboxSelectMultiple):
        described = f' aria-describedby="{esc(bound.aria_describedby)}"' if bound.aria_describedby else ""
        return (
            f'<div id="div_{esc(bound.auto_id)}" class="mb-3"> <fieldset{described}> '
            f'<legend class="form-label{needed} fs-6"> {label} </legend> {_checkboxes(bound)} </fieldset> </div>'
        )
    shown = (
        f'<label for="{esc(bound.id_for_label)}" class="form-label{needed}"> {label} </label> ' if bound.label else ""
    )
    kind = "form-select" if isinstance(widget, Select) else "form-control"
    return (
        f'<div id="div_{esc(bound.auto_id)}" class="mb-3"> {shown}{control(bound, kind)} '
        f"{_errors(bound, 'span')}{_help(bound)} </div>"
    )


def control(bound, bootstrap_class: str = "") -> str:
    """The widget as Django draws it ({{ field }}), with crispy's classes: the widget's kind ("select", "textarea")
    and Bootstrap's, "is-invalid" too when the field has errors."""
    widget = bound.field.widget
    if bootstrap_class:
        kind = type(widget).__name__.lower()
        classes = widget.attrs.get("class", "").split()
        wanted = [kind] + bootstrap_class.split() + (["is-invalid"] if bound.errors else [])
        widget.attrs["class"] = " ".join(classes + [name for name in wanted if name not in classes])
    if isinstance(getattr(widget, "choices", None), ModelChoiceIterator):
        # The rows once: Django reads them twice (for the "required" attribute, then the options). Not list(): it
        # would ask the database for their count first.
        widget.choices = [choice for choice in widget.choices]  # noqa: C416
    attrs = bound.build_widget_attrs({}, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    if isinstance(widget, Select) and type(widget).template_name == Select.template_name:
        return select(widget, bound.html_name, bound.value(), attrs)
    draw = _DRAWN.get(widget.template_name)
    if draw is None:
        return bound.as_widget(attrs=attrs)
    return draw(widget.get_context(bound.html_name, bound.value(), attrs)["widget"])


def _input(widget) -> str:
    value = widget["value"]
    shown = f' value="{esc(value)}"' if value is not None else ""
    return f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"{shown}{attributes(widget["attrs"])}>'


def _textarea(widget) -> str:
    return (
        f'<textarea name="{esc(widget["name"])}"{attributes(widget["attrs"])}>\n{esc(widget["value"] or "")}</textarea>'
    )


_INPUTS = ("text", "hidden", "number", "email", "url", "password", "checkbox", "date", "datetime", "time", "search")
_DRAWN = {f"django/forms/widgets/{name}.html": _input for name in _INPUTS} | {
    "django/forms/widgets/textarea.html": _textarea,
}


def _checkboxes(bound) -> str:
    """crispy's bootstrap5/layout/radio_checkbox_select.html: a checkbox and its label per choice."""
    widget = bound.field.widget
    auto_id = widget.attrs.get("id") or bound.auto_id
    attrs = bound.build_widget_attrs({"id": auto_id} if auto_id else {})
    invalid = " is-invalid" if bound.errors else ""
    boxes = []
    groups = widget.optgroups(bound.html_name, widget.format_value(bound.value()), attrs)
    last = len(groups) - 1
    for number, (group, options, _index) in enumerate(groups):
        if group:
            boxes.append(f"<strong>{esc(group)}</strong>")
        for position, option in enumerate(options):
            errors = _errors(bound, "p") if number == last and position == len(options) - 1 else ""
            boxes.append(
                f'<div class="form-check"> <input type="{esc(option["type"])}" class="form-check-input{invalid}" '
                f'name="{esc(bound.html_name)}" value="{esc(option["value"])}"{attributes(option["attrs"])}> '
                f'<label for="{esc(option["attrs"].get("id", ""))}" class="form-check-label"> {esc(option["label"])} '
                f"</label> {errors}</div>"
            )
    return f"<div> {' '.join(boxes)} </div>{_help(bound)}"


def _errors(bound, tag: str) -> str:
    """crispy's field_errors.html (tag "span") or field_errors_block.html ("p")."""
    if not bound.errors:
        return ""
    field_id = esc(getattr(bound.errors, "field_id", None) or bound.auto_id)
    messages = "".join(
        f'<{tag} id="error_{number}_{esc(bound.auto_id)}"><strong>{esc(error)}</strong></{tag}>'
        for number, error in enumerate(bound.errors, 1)
    )
    return f'<div id="{field_id}_error" class="invalid-feedback">{messages}</div> '


def _help(bound) -> str:
    # Our own text, drawn unescaped as crispy draws it (its |safe).
    if not bound.help_text:
        return ""
    return f'<div id="{esc(bound.auto_id)}_helptext" class="form-text">{bound.help_text}</div>'
