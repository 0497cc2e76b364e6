"""Where an agent sees what the portal posted."""

from queues.models import Channel


def post_url(platform: str, external_id: str) -> str:
    """The public page of a posted reply; empty when there is none (a Play review has one reply, no page of its
    own)."""
    if not external_id:
        return ""
    if platform == Channel.Platform.X:
        return f"https://x.com/i/web/status/{external_id}"
    if platform == Channel.Platform.FACEBOOK:
        return f"https://www.facebook.com/{external_id}"
    return ""
