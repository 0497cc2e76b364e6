"""What X accepts as a reply: at most 280 weighted characters as twitter-text v3 counts them, and none of the
characters X refuses. The counting is counting.py's (and, in the browser, x-counting.js's: the same rules)."""

from django.utils.translation import gettext as _

from queues.platforms.x import counting

MAX_LENGTH = counting.MAX_WEIGHTED_LENGTH


def length(text: str) -> int:
    """The weighted length. Callers have refused texts over queues.platforms.MAX_REPLY_CHARACTERS first."""
    return counting.weighted_length(text)


def problems(text: str) -> list[str]:
    parsed = counting.parse(text)
    found = []
    if counting.INVALID_CHARACTER in parsed.problems:
        found.append(_("X refuses replies that contain U+FFFE, U+FEFF or U+FFFF; remove them."))
    if counting.TOO_LONG in parsed.problems:
        found.append(
            _("X replies can have at most %(limit)s weighted characters; this one has %(length)s.")
            % {"limit": MAX_LENGTH, "length": parsed.weighted_length}
        )
    return found
