"""What X accepts as a reply: at most 280 weighted characters, counted as twitter-text v3 does. The text is
NFC-normalised first, every URL counts 23, an emoji sequence counts 2, code points in the Latin and general
punctuation ranges count 1 and every other code point (CJK …) counts 2.

The live counter in queues/static/queues/portal.js mirrors this module.
"""

import re
import unicodedata

from django.utils.translation import gettext as _

MAX_LENGTH = 280
X_URL_LENGTH = 23

# twitter-text v3: code points in these ranges weigh 1, all others 2.
_X_LIGHT_RANGES = (
    (0x0000, 0x10FF),
    (0x2000, 0x200D),
    (0x2010, 0x201F),
    (0x2032, 0x2037),
)

_TLDS = (
    "com|org|net|edu|gov|io|co|me|ly|app|dev|info|biz|tv|gl|gg|la|to|be|de|fr|es|it|nl|eu|uk|ca|au|"
    "jp|cn|kr|ru|br|in|us|ch|at|se|no|fi|dk|pl|cz|pt|mx|ar|nz|ie"
)
_URL_RE = re.compile(
    r"(?:https?://[^\s<>\"]+"
    r"|www\.[^\s<>\"]+"
    r"|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:" + _TLDS + r")\b(?::\d+)?(?:/[^\s<>\"]*)?)",
    re.IGNORECASE,
)
_URL_TRAILING_PUNCTUATION = ".,;:!?)]}'\""

_EMOJI_BASE = (
    r"(?:[\U0001F1E6-\U0001F1FF]{2}"  # a flag: two regional indicators
    r"|[0-9#*]\uFE0F?\u20E3"  # a keycap
    r"|[\u00A9\u00AE\u203C\u2049\u2122\u2139]\uFE0F"
    r"|[\u2190-\u21FF\u2300-\u23FF\u2460-\u27BF\u2900-\u297F\u2B00-\u2BFF\u3030\u303D\u3297\u3299"
    r"\U0001F000-\U0001FAFF])"
)
_EMOJI_MODIFIERS = r"(?:\uFE0F|[\U0001F3FB-\U0001F3FF]|[\U000E0020-\U000E007F])*"
_EMOJI_RE = re.compile(_EMOJI_BASE + _EMOJI_MODIFIERS + r"(?:\u200D" + _EMOJI_BASE + _EMOJI_MODIFIERS + r")*")


def _code_point_weight(char: str) -> int:
    code = ord(char)
    return 1 if any(start <= code <= end for start, end in _X_LIGHT_RANGES) else 2


def _url_spans(text: str):
    for match in _URL_RE.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _URL_TRAILING_PUNCTUATION:
            end -= 1
        yield start, end


def length(text: str) -> int:
    text = unicodedata.normalize("NFC", text)
    total, position = 0, 0
    for start, end in _url_spans(text):
        total += _plain_x_length(text[position:start]) + X_URL_LENGTH
        position = end
    return total + _plain_x_length(text[position:])


def _plain_x_length(text: str) -> int:
    length, position = 0, 0
    for match in _EMOJI_RE.finditer(text):
        length += sum(map(_code_point_weight, text[position : match.start()])) + 2
        position = match.end()
    return length + sum(map(_code_point_weight, text[position:]))


def problems(text: str) -> list[str]:
    size = length(text)
    if size > MAX_LENGTH:
        return [
            _("X replies can have at most %(limit)s weighted characters; this one has %(length)s.")
            % {"limit": MAX_LENGTH, "length": size}
        ]
    return []
