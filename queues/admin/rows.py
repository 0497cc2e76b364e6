"""The rows of a big table's change list, drawn with the same markup as Django's result_list tag at a fraction of
its cost: Django works out for every cell of every row what kind of column it is (lookup_field, the field's type,
its empty value, whether it links); here that is worked out once per column and each row is a few format_html calls.

Used by LargeTableAdmin's change list template (admin/queues/large_change_list.html) through {% large_result_list %}.
"""

from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_list import _boolean_icon, _coerce_field_name, result_headers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, display_for_value, quote
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext

from queues import timing
from queues.drawing import esc, safe


def result_list(cl) -> dict:
    """The context Django's result_list gives admin/change_list_results.html, with the rows drawn here, all of them
    one string (admin/queues/large_change_list_results.html draws them as they are)."""
    headers = list(result_headers(cl))
    columns = list(_columns(cl))
    link = _link(cl)
    results = [_row(cl, columns, link, obj) for obj in cl.result_list]
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": results,
        "rows": safe("\n".join(f"<tr>{row}</tr>" for row in results)),
    }


def _link(cl):
    """obj → the address of its change page with the list's filters kept: worked out once for a marker object and
    filled in for each (Django resolves and parses it again for every row)."""
    marker = "2147483647"
    context = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
    before, after = add_preserved_filters(context, cl.url_for_result(_Marker(cl.pk_attname, marker))).split(marker, 1)
    return lambda obj: f"{before}{quote(getattr(obj, cl.pk_attname))}{after}"


class _Marker:
    def __init__(self, attribute: str, value: str):
        setattr(self, attribute, value)


def _columns(cl):
    """(cell's class attribute, the escaped content of an object's cell, whether it links to the object) for each
    column."""
    admin, opts = cl.model_admin, cl.model._meta
    empty = admin.get_empty_value_display()
    linked = False
    for index, name in enumerate(cl.list_display):
        if name == "action_checkbox":
            label = gettext("Select this object for an action - {}")
            yield ' class="action-checkbox"', lambda obj, label=label: checkbox(obj, label), False
            continue
        classes = [f"field-{_coerce_field_name(name, index)}"]
        link = not linked and (name in cl.list_display_links if cl.list_display_links else True)
        linked = linked or link
        value = _value_of(name, admin, opts, empty, classes, cl.filter_specs)
        yield f' class="{esc(" ".join(classes))}"', value, link


def _value_of(name, admin, opts, empty, classes, filters):
    try:
        field = opts.get_field(name) if isinstance(name, str) else None
    except FieldDoesNotExist:
        field = None
    if field is not None and not field.auto_created and not field.is_relation or isinstance(field, models.ForeignKey):
        if isinstance(field, models.DateField | models.TimeField | models.ForeignKey):
            classes.append("nowrap")
        if isinstance(field, models.ForeignKey):
            # Rows share their related objects (a handful of queues and channels): each drawn once. A filter of the
            # list on the same field has read every related row and its str() already: its labels serve, and the
            # rows need not join that table (the model admin leaves it out of list_select_related).
            shown = {
                pk: esc(label)
                for spec in filters
                if isinstance(spec, RelatedFieldListFilter) and spec.field_path == field.name
                for pk, label in spec.lookup_choices
            }

            def related(obj):
                key = getattr(obj, field.attname)
                if key not in shown:
                    shown[key] = esc(_or_empty(getattr(obj, field.name), empty))
                return shown[key]

            return related
        if isinstance(field, models.DateTimeField) and not field.flatchoices:
            # display_for_field's localize(template_localtime(value)), through queues/timing.py.
            return lambda obj: esc(_when(getattr(obj, field.attname), empty))
        return lambda obj: esc(display_for_field(getattr(obj, field.attname), field, empty))
    if callable(name):
        getter = name
    elif hasattr(admin, name) and name != "__str__":
        getter = getattr(admin, name)
    else:

        def getter(obj):
            attribute = getattr(obj, name)
            return attribute() if callable(attribute) else attribute

    boolean = getattr(getter, "boolean", False)
    translated = {}

    def value(obj):
        result = getter(obj)
        if isinstance(result, Promise):
            # A translated label (the same few for every row): translated once a page, where Django would translate
            # it again for each empty value it compares it with.
            if id(result) not in translated:
                translated[id(result)] = (result, str(result))
            result = translated[id(result)][1]
        if isinstance(result, str) and not result.strip():
            result = ""
        if boolean:
            return esc(_boolean_icon(result))
        return esc(display_for_value(result, empty))

    return value


def checkbox(obj, label: str) -> str:
    """A row's box of the bulk actions, as Django's ModelAdmin.action_checkbox draws it through a widget template
    (label: "Select this object for an action - {}", translated once a page)."""
    return (
        f'<input type="checkbox" name="{ACTION_CHECKBOX_NAME}" value="{esc(obj.pk)}" class="action-select"'
        f' aria-label="{label.format(esc(obj))}">'
    )


def _when(value, empty) -> str:
    return empty if value is None else timing.date_text(timezone.template_localtime(value))


def _or_empty(related, empty):
    return empty if related is None else related


def _row(cl, columns, address, obj) -> str:
    """A row's cells."""
    cells = []
    for attributes, value, link in columns:
        content = value(obj)
        if link:
            popup = ""
            if cl.is_popup:
                popup = f' data-popup-opener="{esc(obj.serializable_value(cl.to_field or cl.pk_attname))}"'
            cells.append(f'<th{attributes}><a href="{esc(address(obj))}"{popup}>{content}</a></th>')
        else:
            cells.append(f"<td{attributes}>{content}</td>")
    return "".join(cells)
