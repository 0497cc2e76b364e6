"""A pseudo-locale for tests: every string that passes through gettext (ours and Django's) comes back visibly
transformed, "Search" as "⟦Ŝéåŕçĥ⟧", placeholders and markup kept. A text still in plain English on a page rendered
this way never went through gettext: a string nobody marked.

It works on the translation functions rather than a catalog, so a string added since the catalogs were last made is
transformed too (the catalogs' own completeness is test_catalogs.py's job)."""

import re
from contextlib import contextmanager
from html.parser import HTMLParser
from unittest import mock

from django.utils.translation import trans_real

from queues import timing

ACCENTED = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "åƀçđéƒĝĥîĵķļɱñöƥqŕšţûvŵxýžÅƁÇĐÉƑĜĤÎĴĶĻMÑÖƤQŔŠŢÛVŴXÝŽ",
        strict=True,
    )
)
# What must survive: %(name)s and %s placeholders, {} fields, HTML tags and entities.
KEEP = re.compile(r"%\([^)]+\)[a-z]|%[a-z%]|\{[^{}]*\}|<[^>]*>|&[#\w]+;")
OPEN, CLOSE = "⟦", "⟧"


def pseudo(text: str) -> str:
    if not text or text.startswith(OPEN):
        return text
    parts, last = [], 0
    for kept in KEEP.finditer(text):
        parts.append("".join(ACCENTED.get(c, c) for c in text[last : kept.start()]))
        parts.append(kept.group())
        last = kept.end()
    parts.append("".join(ACCENTED.get(c, c) for c in text[last:]))
    return OPEN + "".join(parts) + CLOSE


def _without_context(result: str) -> str:
    # pgettext asks for "context\x04message" and gets it back when there is no translation.
    return result.split(trans_real.CONTEXT_SEPARATOR, 1)[-1]


@contextmanager
def pseudo_locale():
    """Every gettext, ngettext, pgettext and npgettext answer transformed, whatever the active language."""
    gettext, ngettext = trans_real.DjangoTranslation.gettext, trans_real.DjangoTranslation.ngettext

    def pseudo_gettext(self, message):
        return pseudo(_without_context(gettext(self, message)))

    def pseudo_ngettext(self, singular, plural, number):
        return pseudo(_without_context(ngettext(self, singular, plural, number)))

    with (
        mock.patch.object(trans_real.DjangoTranslation, "gettext", pseudo_gettext),
        mock.patch.object(trans_real.DjangoTranslation, "ngettext", pseudo_ngettext),
    ):
        timing.forget_words()  # month names and "3 days" as worded before
        try:
            yield
        finally:
            timing.forget_words()


# Inside these, text is the customer's or an admin's data, not the portal's words.
WORD = re.compile(r"[A-Za-z]{2,}")
SKIPPED_TAGS = {"script", "style", "code", "textarea"}
SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.texts = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in {"input", "meta", "link", "br", "img", "hr"}:
            self.stack.append((tag, attrs))
        for name in SHOWN_ATTRIBUTES:
            if attrs.get(name):
                self.texts.append((f"{tag}[{name}]", attrs[name]))
        if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
            self.texts.append(("input[value]", attrs["value"]))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not data.strip() or any(
            tag in SKIPPED_TAGS
            or (tag != "html" and ("dir" in attrs or "lang" in attrs or attrs.get("translate") == "no"))
            for tag, attrs in self.stack
        ):
            # dir="auto" marks customer text throughout the templates; lang, text in a language on purpose;
            # translate="no", identifiers such as time zone names.
            return
        self.texts.append((self.stack[-1][0] if self.stack else "", data))


def english_left(html: str, data: list[str], allowed: set[str]) -> list[str]:
    """The texts of a page still in plain English once every pseudo-transformed part and every piece of data (names
    of queues, products, people; the customer's words) is taken out."""
    parser = _Texts()
    parser.feed(html)
    pieces = sorted({d for d in data if d}, key=len, reverse=True)
    found = []
    for where, text in parser.texts:
        rest = re.sub(f"{re.escape(OPEN)}.*?{re.escape(CLOSE)}", " ", text, flags=re.S)
        for piece in pieces:
            rest = rest.replace(piece, " ")
        words = [w for w in WORD.findall(rest) if w not in allowed]
        if words:
            found.append(f"{where}: {text.strip()!r}")
    return found
