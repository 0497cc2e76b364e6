"""Forms drawn in Python with the markup crispy-forms' Bootstrap 5 pack gives them: {% bootstrap_form form %}.

The conversation page draws up to eight action forms on every request. crispy-forms draws each field through half a
dozen templates, and Django each option of a select through one more: most of the page's server time. Here a form
is drawn from what Django works out for it (each widget's context: attributes, value, options, ids) with a few
format_html calls, in the markup crispy drew: a label, the control, its errors, its help text; the helper's submit
button last. Widgets other than inputs, textareas, selects and lists of checkboxes are left to Django to draw.
The forms keep their FormHelper, so that {% crispy form %} draws them alike where a page is not drawn all day.
"""

from django import template
from django.forms import CheckboxInput, CheckboxSelectMultiple, Select
from django.forms.models import ModelChoiceIterator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def bootstrap_form(form):
    """What {% crispy form %} draws for a helper without <form> tag or CSRF token: errors not tied to a field, each
    field in order, the helper's inputs."""
    parts = []
    errors = form.non_field_errors()
    if errors:
        parts.append(
            format_html(
                '<div class="alert alert-block alert-danger"><ul class="m-0">{}</ul></div>',
                format_html_join("", "<li>{}</li>", ((error,) for error in errors)),
            )
        )
    parts += (field(bound) for bound in form)
    parts += (_button(submit) for submit in form.helper.inputs)
    return joined(parts, " ")


def _button(submit) -> str:
    return format_html(
        '<div class="mb-3"> <div class=""> <input type="{}" name="{}" value="{}" class="{}" id="{}" /> </div> </div>',
        submit.input_type,
        submit.name,
        submit.value,
        submit.field_classes,
        submit.id or f"{submit.input_type}-id-{submit.name}",
    )


def field(bound) -> str:
    """One field, as crispy's bootstrap5/field.html draws it."""
    widget = bound.field.widget
    if bound.is_hidden:
        return control(bound)
    required = bound.field.required
    asterisk = mark_safe('<span class="asteriskField">*</span>') if required else ""
    if isinstance(widget, CheckboxInput):
        return format_html(
            '<div class="mb-3"> <div id="div_{}" class="form-check"> {} <label for="{}" class="form-check-label{}"> '
            "{}{} </label> {}{} </div> </div>",
            bound.auto_id,
            control(bound, "form-check-input"),
            bound.id_for_label,
            " requiredField" if required else "",
            bound.label,
            asterisk,
            _errors(bound, "span"),
            _help(bound),
        )
    label_class = "form-label" + (" requiredField" if required else "")
    if isinstance(widget, CheckboxSelectMultiple):
        described = format_html(' aria-describedby="{}"', bound.aria_describedby) if bound.aria_describedby else ""
        label = format_html(
            '<fieldset{}> <legend class="{} fs-6"> {}{} </legend>', described, label_class, bound.label, asterisk
        )
        return format_html(
            '<div id="div_{}" class="mb-3"> {} {} </fieldset> </div>', bound.auto_id, label, _checkboxes(bound)
        )
    label = format_html(
        '<label for="{}" class="{}"> {}{} </label> ', bound.id_for_label, label_class, bound.label, asterisk
    )
    kind = "form-select" if isinstance(widget, Select) else "form-control"
    return format_html(
        '<div id="div_{}" class="mb-3"> {}{} {}{} </div>',
        bound.auto_id,
        label if bound.label else "",
        control(bound, kind),
        _errors(bound, "span"),
        _help(bound),
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
    draw = _DRAWN.get(widget.template_name)
    if draw is None:
        return bound.as_widget(attrs=attrs)
    return draw(widget.get_context(bound.html_name, bound.value(), attrs)["widget"])


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html"""
    return joined(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget) -> str:
    value = widget["value"]
    shown = format_html(' value="{}"', value) if value is not None else ""
    attrs = _attrs(widget["attrs"])
    return format_html('<input type="{}" name="{}"{}{}>', widget["type"], widget["name"], shown, attrs)


def _textarea(widget) -> str:
    return format_html(
        '<textarea name="{}"{}>\n{}</textarea>', widget["name"], _attrs(widget["attrs"]), widget["value"] or ""
    )


def _select(widget) -> str:
    options = []
    for group, choices, _index in widget["optgroups"]:
        drawn = format_html_join(
            "",
            '\n  <option value="{}"{}>{}</option>',
            ((option["value"], _attrs(option["attrs"]), option["label"]) for option in choices),
        )
        options.append(format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group, drawn) if group else drawn)
    return format_html('<select name="{}"{}>{}\n</select>', widget["name"], _attrs(widget["attrs"]), joined(options))


_INPUTS = ("text", "hidden", "number", "email", "url", "password", "checkbox", "date", "datetime", "time", "search")
_DRAWN = {f"django/forms/widgets/{name}.html": _input for name in _INPUTS} | {
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/widgets/select.html": _select,
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
            boxes.append(format_html("<strong>{}</strong>", group))
        for position, option in enumerate(options):
            errors = _errors(bound, "p") if number == last and position == len(options) - 1 else ""
            boxes.append(
                format_html(
                    '<div class="form-check"> <input type="{}" class="form-check-input{}" name="{}" value="{}"{}> '
                    '<label for="{}" class="form-check-label"> {} </label> {}</div>',
                    option["type"],
                    invalid,
                    bound.html_name,
                    option["value"],
                    _attrs(option["attrs"]),
                    option["attrs"].get("id", ""),
                    option["label"],
                    errors,
                )
            )
    return format_html("<div> {} </div>{}", joined(boxes, " "), _help(bound))


def _errors(bound, tag: str) -> str:
    """crispy's field_errors.html (tag "span") or field_errors_block.html ("p")."""
    if not bound.errors:
        return ""
    return format_html(
        '<div id="{}_error" class="invalid-feedback">{}</div> ',
        getattr(bound.errors, "field_id", None) or bound.auto_id,
        format_html_join(
            "",
            "<" + tag + ' id="error_{}_{}"><strong>{}</strong></' + tag + ">",
            ((number, bound.auto_id, error) for number, error in enumerate(bound.errors, 1)),
        ),
    )


def _help(bound) -> str:
    if not bound.help_text:
        return ""
    # Our own text, drawn unescaped as crispy draws it (its |safe).
    text = mark_safe(bound.help_text)  # noqa: S308
    return format_html('<div id="{}_helptext" class="form-text">{}</div>', bound.auto_id, text)


def joined(parts, separator: str = "") -> str:
    """Drawn parts put together, escaped if any part was not drawn by format_html."""
    return format_html_join(separator, "{}", ((part,) for part in parts))
