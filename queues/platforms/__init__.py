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

# No platform takes a reply this long (Facebook's 8,000 is the most). Anything longer is refused before a
# platform's rules count it: counting is the costly part, and a 100 KB body must not cost a server worker.
MAX_REPLY_CHARACTERS = x_counting.MAX_INPUT


def normalize_newlines(text: str) -> str:
    """Line breaks as LF. Browsers submit a textarea's line breaks as CRLF; the platforms, and the live counter,
    count one character per line break."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def too_long(text: str) -> str | None:
    """Why the text is refused before any platform counts it, or None."""
    if len(text) > MAX_REPLY_CHARACTERS:
        return gettext("A reply can have at most %(limit)s characters; this one has %(length)s.") % {
            "limit": f"{MAX_REPLY_CHARACTERS:,}",
            "length": f"{len(text):,}",
        }
    return None


def label(platform: str) -> str:
    return Platform(platform).label


def reply_length(platform: str, text: str) -> int:
    """The length the platform counts: X's weighted characters, others' characters after NFC.

    Past MAX_REPLY_CHARACTERS, the characters themselves, uncounted: more than any platform takes either way."""
    text = normalize_newlines(text)
    if too_long(text):
        return len(text)
    return REPLY_RULES[platform].length(text)


def reply_problems(platform: str, text: str) -> list[str]:
    """Why this text cannot be sent on this platform; empty when it can."""
    text = normalize_newlines(text)
    if refused := too_long(text):
        return [refused]
    found = [] if text.strip() else [gettext("The reply is empty.")]
    return found + REPLY_RULES[platform].problems(text)


def limits_summary(text: str) -> str:
    """The text's length against each platform's limit, for admins: "X 212/280 ✓, Facebook 212/8000 ✓, …"."""
    if refused := too_long(normalize_newlines(text)):
        return refused
    return ", ".join(
        f"{platform.label} {reply_length(platform, text)}/{MAX_LENGTH[platform]} "
        + ("✗" if reply_problems(platform, text) else "✓")
        for platform in Platform
    )
