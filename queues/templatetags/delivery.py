from django import template

from queues.platforms.links import post_url as platform_post_url

register = template.Library()


@register.filter
def post_url(message, platform) -> str:
    return platform_post_url(platform, message.external_id)
