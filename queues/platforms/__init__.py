"""Everything the portal knows about each platform, one package per platform: its reply rules (replies.py), its
file importer (importer.py) and its API client (client.py). This registry, keyed by Channel.Platform, is how the
rest of the portal asks; nothing platform-specific lives outside this package.

queues/platforms/importing.py is what the file importers share; transport.py is what every API client speaks;
fetching.py is what the fetchers (<platform>/fetch.py, facebook/webhook.py) add to importing: API pages through the
importers' checks and writes, cursors, the cron command.
"""

from django.utils.translation import gettext

from queues.models import Channel
from queues.platforms.facebook import replies as facebook_replies
from queues.platforms.google_play import replies as google_play_replies
from queues.platforms.x import counting as x_counting
from queues.platforms.x import replies as x_replies

Platform = Channel.Platform

REPLY_RULES = {
    Platform.X: x_replies,
    Platform.GOOGLE_PLAY: google_play_replies,
    Platform.FACEBOOK: facebook_replies,
}

MAX_LENGTH = {platform: rules.MAX_LENGTH for platform, rules in REPLY_RULES.items()}

# Far above any reply a platform takes (X's 280 weighted characters can hold long URLs; Facebook takes 8,000): a
# longer text is refused before anything counts it, so its cost never depends on what it holds.
MAX_CHARACTERS = x_counting.MAX_INPUT


def label(platform: str) -> str:
    return Platform(platform).label


def reply_length(platform: str, text: str) -> int | None:
    """The length the platform counts: X's weighted characters, others' characters after NFC. None for a text
    over MAX_CHARACTERS, which nothing counts."""
    if len(text) > MAX_CHARACTERS:
        return None
    return REPLY_RULES[platform].length(text)


def reply_problems(platform: str, text: str) -> list[str]:
    """Why this text cannot be sent on this platform; empty when it can."""
    if len(text) > MAX_CHARACTERS:
        return [
            gettext("A reply can have at most %(limit)s characters; this one has %(length)s.")
            % {"limit": MAX_CHARACTERS, "length": len(text)}
        ]
    found = [] if text.strip() else [gettext("The reply is empty.")]
    return found + REPLY_RULES[platform].problems(text)


def limits_summary(text: str) -> str:
    """The text's length against each platform's limit, for admins: "X 212/280 ✓, Facebook 212/8000 ✓, …"."""
    return ", ".join(
        f"{platform.label} {reply_length(platform, text) or f'>{MAX_CHARACTERS}'}/{MAX_LENGTH[platform]} "
        + ("✗" if reply_problems(platform, text) else "✓")
        for platform in Platform
    )
