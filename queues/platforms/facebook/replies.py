"""What Facebook accepts as a comment reply: up to 8,000 characters."""

import unicodedata

from django.utils.translation import gettext as _

MAX_LENGTH = 8000


def length(text: str) -> int:
    return len(unicodedata.normalize("NFC", text))


def problems(text: str) -> list[str]:
    size = length(text)
    if size > MAX_LENGTH:
        return [
            _("Facebook replies can have at most %(limit)s characters; this one has %(length)s.")
            % {"limit": MAX_LENGTH, "length": size}
        ]
    return []
