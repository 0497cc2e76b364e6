"""What Google Play accepts as a reply to a review: under 350 characters, and no HTML (Google strips it)."""

import re
import unicodedata

from django.utils.translation import gettext as _

MAX_LENGTH = 349  # "under 350"

_HTML_RE = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|<!--|&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#x[0-9a-fA-F]+);")


def length(text: str) -> int:
    return len(unicodedata.normalize("NFC", text))


def problems(text: str) -> list[str]:
    found = []
    size = length(text)
    if size > MAX_LENGTH:
        found.append(
            _("Google Play replies must be under %(bound)s characters; this one has %(length)s.")
            % {"bound": MAX_LENGTH + 1, "length": size}
        )
    if _HTML_RE.search(text):
        found.append(_("Google Play replies cannot contain HTML: Google strips it."))
    return found
