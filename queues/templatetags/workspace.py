from django import template

from queues import timing

register = template.Library()


@register.filter
def auto_close(convo) -> str:
    return timing.auto_close_text(convo)


@register.filter
def ago(moment) -> str:
    return timing.ago(moment) if moment else ""


@register.filter
def first_response(convo) -> str:
    return timing.first_response_text(convo)
