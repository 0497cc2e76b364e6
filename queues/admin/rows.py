"""The rows of a big table's change list, drawn with the same markup as Django's result_list tag at a fraction of
its cost: Django works out for every cell of every row what kind of column it is (lookup_field, the field's type,
its empty value, whether it links); here that is worked out once per column and each row is a few format_html calls.

Used by LargeTableAdmin's change list template (admin/queues/large_change_list.html) through {% large_result_list %}.
"""

from django.contrib.admin.templatetags.admin_list import _boolean_icon, _coerce_field_name, result_headers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, display_for_value
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.html import format_html


def result_list(cl) -> dict:
    """The context Django's result_list gives admin/change_list_results.html, with the rows drawn here."""
    headers = list(result_headers(cl))
    columns = list(_columns(cl))
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": [_row(cl, columns, obj) for obj in cl.result_list],
    }


def _columns(cl):
    """(cell's class attribute, value of an object's cell, whether it links to the object) for each column."""
    admin, opts = cl.model_admin, cl.model._meta
    empty = admin.get_empty_value_display()
    linked = False
    for index, name in enumerate(cl.list_display):
        if name == "action_checkbox":
            yield format_html(' class="{}"', "action-checkbox"), admin.action_checkbox, False
            continue
        classes = [f"field-{_coerce_field_name(name, index)}"]
        link = not linked and (name in cl.list_display_links if cl.list_display_links else True)
        linked = linked or link
        value = _value_of(name, admin, opts, empty, classes)
        yield format_html(' class="{}"', " ".join(classes)), value, link


def _value_of(name, admin, opts, empty, classes):
    try:
        field = opts.get_field(name) if isinstance(name, str) else None
    except FieldDoesNotExist:
        field = None
    if field is not None and not field.auto_created and not field.is_relation or isinstance(field, models.ForeignKey):
        if isinstance(field, models.DateField | models.TimeField | models.ForeignKey):
            classes.append("nowrap")
        if isinstance(field, models.ForeignKey):
            return lambda obj: _or_empty(getattr(obj, field.name), empty)
        return lambda obj: display_for_field(getattr(obj, field.attname), field, empty)
    if callable(name):
        getter = name
    elif hasattr(admin, name) and name != "__str__":
        getter = getattr(admin, name)
    else:

        def getter(obj):
            attribute = getattr(obj, name)
            return attribute() if callable(attribute) else attribute

    boolean = getattr(getter, "boolean", False)

    def value(obj):
        result = getter(obj)
        if isinstance(result, str) and not result.strip():
            result = ""
        if boolean:
            return _boolean_icon(result)
        return display_for_value(result, empty)

    return value


def _or_empty(related, empty):
    return empty if related is None else related


def _row(cl, columns, obj) -> list:
    cells = []
    for attributes, value, link in columns:
        content = value(obj)
        if link:
            url = add_preserved_filters(
                {"preserved_filters": cl.preserved_filters, "opts": cl.opts}, cl.url_for_result(obj)
            )
            popup = format_html(' data-popup-opener="{}"', obj.serializable_value(cl.to_field or cl.pk_attname))
            content = format_html('<a href="{}"{}>{}</a>', url, popup if cl.is_popup else "", content)
            cells.append(format_html("<th{}>{}</th>", attributes, content))
        else:
            cells.append(format_html("<td{}>{}</td>", attributes, content))
    return cells
