from django import template
from django.contrib.admin.templatetags.admin_list import admin_list_filter
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext

from queues.admin.rows import result_list
from queues.drawing import esc, safe

register = template.Library()


@register.tag(name="large_result_list")
def large_result_list(parser, token):
    """{% result_list cl %}, its rows drawn by queues/admin/rows.py (admin/queues/large_change_list_results.html)."""
    return InclusionAdminNode(
        parser, token, func=result_list, template_name="large_change_list_results.html", takes_context=False
    )


@register.simple_tag
def large_list_filter(cl, spec):
    """{% admin_list_filter cl spec %}: a filter drawn as admin/filter.html draws it, without a template render and
    a loop of lookups per choice. A filter with a template of its own is left to Django."""
    if spec.template != "admin/filter.html":
        return admin_list_filter(cl, spec)
    selected = ' class="selected"'
    choices = "".join(
        f"\n    <li{selected if choice['selected'] else ''}>\n"
        f'    <a href="{esc(iri_to_uri(choice["query_string"]))}">{esc(choice["display"])}</a></li>\n'
        for choice in spec.choices(cl)
    )
    title = esc(spec.title)
    by = gettext(" By %(filter_title)s ") % {"filter_title": title}
    return safe(
        f'<details data-filter-title="{title}" open>\n  <summary>\n    {by}\n  </summary>\n  <ul>{choices}\n  </ul>\n'
        "</details>\n"
    )
