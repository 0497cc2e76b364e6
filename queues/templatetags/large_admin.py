from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from queues.admin.rows import result_list

register = template.Library()


@register.tag(name="large_result_list")
def large_result_list(parser, token):
    """{% result_list cl %}, its rows drawn by queues/admin/rows.py."""
    return InclusionAdminNode(
        parser, token, func=result_list, template_name="change_list_results.html", takes_context=False
    )
