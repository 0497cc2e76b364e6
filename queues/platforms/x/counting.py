"""X's weighted length of a post, as twitter-text 3 (configuration v3) counts it, in time linear in the text.

The rules (github.com/twitter/twitter-text, the parseTweet of its Java library, which X's servers run):
- the text is NFC-normalised first; a text that is empty once characters up to U+0020 are trimmed is empty;
- every URL counts transformedURLLength (23), however long, as X shortens it to a t.co link;
- every emoji sequence that twitter-text knows (ZWJ sequences, skin tones, keycaps, flags, tag flags, a
  symbol with VS16) counts the default weight (2); the parts of a sequence it does not know count on their
  own: an emoji followed by 500 joiners counts 2 + 500, by 500 VS16 2 + 1000;
- every other code point counts 1 inside the configuration's ranges (Latin to Georgian, general
  punctuation) and 2 outside (CJK, most symbols, everything astral);
- a post is valid at 280 or less and without U+FFFE, U+FEFF or U+FFFF.

What counts as a URL is twitter-text's extractor: an optional http:// or https://, then a host whose last
label is a top-level domain in twitter-text's list (any host after a protocol when its ending is a
country code or a Unicode name), port, path and query. It is preceded by the start of the text or a
character that is not a letter, a digit, @, $ or # (so an e-mail address is not a URL); a URL without a
protocol may not follow "-", "_", "." or "/"; a host with a label over 63 characters (as punycode) or a
URL over 4,096 characters (counting https:// if it has no protocol) is text. twitter-text finds URLs with
a backtracking regular expression that is quadratic on text such as "a.a.a.a…"; this module reaches the
same matches with one pass over label runs, a right-to-left table of where each host can end, and
greedy scans of the path and query that follow the same preferences as that expression.

Known, deliberate differences: U+FFFE/U+FEFF/U+FFFF anywhere make the text invalid (twitter-text only
looks at characters outside URLs and emoji), and a Unicode host label's length is its punycode without
the IDNA "nameprep" mapping (Java's IDN applies it; twitter-text's JavaScript does not).

The tables (weights, top-level domains, emoji sequences) live in queues/static/queues/x-text-data.js,
which the browser's counter (x-counting.js, the same algorithm) loads too.
"""

import json
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from importlib import resources

# Callers refuse a longer text before counting. Valid X posts are 280 weighted characters; only URLs
# (23 each, up to 4,096 characters) let one be much longer than 1,120 code points (140 emoji of eight).
# 10,000 leaves room for two maximal URLs and the text around them; the most hostile text of that size
# counts in about 0.1 s (bench/x_counting.py), where the old counter took seconds for 8,000.
MAX_INPUT = 10_000

EMPTY = "empty"
TOO_LONG = "too_long"
INVALID_CHARACTER = "invalid_character"
TOO_MANY_CHARACTERS = "too_many_characters"


def _load_data() -> dict:
    # "window.X_TEXT_DATA = {…};" after a comment header that holds no brace.
    text = (resources.files("queues") / "static" / "queues" / "x-text-data.js").read_text("utf-8")
    return json.loads(text[text.index("{") : text.rindex("}") + 1])


_DATA = _load_data()
_CONFIG = _DATA["config"]
MAX_WEIGHTED_LENGTH: int = _CONFIG["maxWeightedTweetLength"]
URL_LENGTH: int = _CONFIG["transformedURLLength"]
_SCALE, _DEFAULT_WEIGHT = _CONFIG["scale"], _CONFIG["defaultWeight"]
_RANGES = tuple((r["start"], r["end"], r["weight"]) for r in _CONFIG["ranges"])
_TLDS = frozenset(_DATA["tlds"])
_TLD_PREFIXES = frozenset(tld[:length] for tld in _TLDS for length in range(1, len(tld) + 1))
# Bounded alternatives only (no * or + anywhere): each attempt reads a few code points, the scan is linear.
EMOJI_RE = re.compile(_DATA["emoji"])

_INVALID = "\ufffe\ufeff\uffff"
_JAVA_TRIMMED = "".join(map(chr, range(0x21)))  # Java's String.trim() drops every char up to U+0020
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# twitter-text's character classes, applied to the text with ASCII letters lowered (its patterns are
# case-insensitive for ASCII only).
_LATIN = (
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263"
    "\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"
_LABEL_RUN = re.compile(f"[a-z0-9{_LATIN}_\\-]+")  # the characters of a host label, "_" for subdomains
_DOMAIN_CHARS = frozenset(char for char in map(chr, range(0x2000)) if re.fullmatch(f"[a-z0-9{_LATIN}]", char))
_PATH_RUN = re.compile(f"[a-z0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~|&@{_LATIN}{_CYRILLIC}]*")
_PATH_END = re.compile(f"[a-z0-9=_#/\\-+{_LATIN}{_CYRILLIC}]")
_QUERY_RUN = re.compile("[a-z0-9!?*'();:&=+$/%#\\[\\]\\-_.,~|@]*")
_QUERY_END = re.compile("[a-z0-9\\-_&=#/]")
_AFTER_TLD_REFUSED = re.compile("[a-z0-9@+-]")
_BEFORE_URL_REFUSED = re.compile(f"[a-z0-9@\uff20$#\uff03{_INVALID}]")
# A character allowed before a URL, then a host's first character or the end of a protocol (one
# character and bounded look-arounds: no backtracking).
_URL_MAY_FOLLOW = re.compile(f"[^a-z0-9@\uff20$#\uff03{_INVALID}](?=[a-z0-9{_LATIN}])|(?<=https:/)/|(?<=http:/)/")
# A Unicode host label (after a protocol): anything but ASCII punctuation, spaces and separators.
_NOT_UNICODE_LABEL = frozenset("!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~\t\n\x0b\x0c\r \u00a0\u1680\u3000") | frozenset(
    map(chr, range(0x2000, 0x2070))
)
_PROTOCOLS = ("https://", "http://")
_MAX_URL_LENGTH = 4096
_MAX_LABEL_LENGTH = 63
_MAX_TCO_SLUG = 40


@dataclass(frozen=True)
class Parsed:
    """weighted_length is None when the text was refused, unread, for having over MAX_INPUT characters."""

    weighted_length: int | None
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.problems


def parse(text: str) -> Parsed:
    """X's length of the text and why X would refuse it (EMPTY, TOO_LONG, INVALID_CHARACTER), capped."""
    if len(text) > MAX_INPUT:
        return Parsed(None, (TOO_MANY_CHARACTERS,))
    if not text.strip(_JAVA_TRIMMED):
        return Parsed(0, (EMPTY,))
    length = weighted_length(text)
    problems = []
    if any(char in text for char in _INVALID):
        problems.append(INVALID_CHARACTER)
    if length > MAX_WEIGHTED_LENGTH:
        problems.append(TOO_LONG)
    return Parsed(length, tuple(problems))


def weighted_length(text: str) -> int:
    """The weighted length, uncapped: callers check len(text) <= MAX_INPUT first (parse() does)."""
    if not text.strip(_JAVA_TRIMMED):
        return 0  # twitter-text's answer for an empty text, spaces and control characters included
    text = unicodedata.normalize("NFC", text)
    urls = dict(url_spans(text))
    emoji = {match.start(): match.end() for match in EMOJI_RE.finditer(text)}
    scaled, position, end = 0, 0, len(text)
    # twitter-text's loop: a URL, then (in the same step) one emoji sequence or one code point.
    while position < end:
        if position in urls:
            scaled += URL_LENGTH * _SCALE
            position = urls[position]
            if position >= end:
                break
        if position in emoji:
            scaled += _DEFAULT_WEIGHT
            position = emoji[position]
        else:
            scaled += _weight(ord(text[position]))
            position += 1
    return scaled // _SCALE


def _weight(code: int) -> int:
    for start, end, weight in _RANGES:
        if start <= code <= end:
            return weight
    return _DEFAULT_WEIGHT


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each URL twitter-text extracts from this (NFC) text, in order."""
    if "." not in text:
        return []
    return _UrlScanner(text).spans()


class _UrlScanner:
    def __init__(self, text: str):
        self.text, self.low, self.size = text, text.translate(_ASCII_LOWER), len(text)
        runs = [match.span() for match in _LABEL_RUN.finditer(self.low)]
        self.run_starts = [start for start, _ in runs]
        self.run_ends = [end for _, end in runs]
        self.run_at = {start: index for index, start in enumerate(self.run_starts)}
        self.run_underscore = [self.low.rfind("_", start, end) for start, end in runs]
        # The run ends a label: a letter or digit, then ".".
        self.run_dotted = [
            end < self.size and self.low[end] == "." and self.low[end - 1] in _DOMAIN_CHARS for _, end in runs
        ]
        self.tld_cache: dict[int, int] = {}
        # last_good[r]: the run of the last label that can carry the top-level domain, in the chain of
        # dot-separated labels that starts with the whole run r (twitter-text prefers the longest host).
        self.last_good: list[int | None] = [None] * len(runs)
        for index in range(len(runs) - 1, -1, -1):
            start, end = runs[index]
            if not self._label(start, index):
                continue
            following = self.run_at.get(end + 1)
            later = self.last_good[following] if following is not None else None
            if later is not None:
                self.last_good[index] = later
            elif self.run_underscore[index] < start and self._tld(end + 1, punycode=True):
                self.last_good[index] = index

    def spans(self) -> list[tuple[int, int]]:
        found, position = [], 0
        while position < self.size:
            if position > 0:  # skip to the next character that can precede a URL's first character
                candidate = _URL_MAY_FOLLOW.search(self.low, position)
                if candidate is None:
                    break
                position = candidate.start()
            # The pattern starts with the character before the URL (consumed) or, at 0 only, the start.
            attempts = [] if _BEFORE_URL_REFUSED.match(self.low, position) else [(position + 1, self.text[position])]
            if position == 0:
                attempts.append((0, ""))
            match = next(filter(None, (self._url_at(start, before) for start, before in attempts)), None)
            if match is None:
                position += 1
                continue
            if span := self._accepted(*match):
                found.append(span)
            position = match[-1]  # the search goes on after the match, accepted or not
        return found

    # The pieces of twitter-text's URL pattern, each returning where it ends or None.
    def _url_at(self, start: int, before: str):
        low = self.low
        for protocol in _PROTOCOLS:
            if low.startswith(protocol, start):
                host_end = self._host(start + len(protocol), after_protocol=True)
                if host_end is not None:
                    return before, start, protocol, start + len(protocol), host_end, self._rest(host_end)
        host_end = self._host(start, after_protocol=any(low.endswith(p, 0, start) for p in _PROTOCOLS))
        if host_end is None:
            return None
        return before, start, "", start, host_end, self._rest(host_end)

    def _host(self, start: int, *, after_protocol: bool) -> int | None:
        index = bisect_right(self.run_starts, start) - 1
        if index >= 0 and start < self.run_ends[index] and self._label(start, index):
            end = self.run_ends[index]
            following = self.run_at.get(end + 1)
            later = self.last_good[following] if following is not None else None
            if later is not None:
                tld_start = self.run_ends[later] + 1
                return tld_start + self._tld(tld_start, punycode=True)
            if self.run_underscore[index] < start and (tld := self._tld(end + 1, punycode=True)):
                return end + 1 + tld
        if after_protocol:  # one Unicode label and a top-level domain
            end = start
            while end < self.size and (self.low[end] not in _NOT_UNICODE_LABEL or self.low[end] == "-"):
                end += 1
            dotted = start < end < self.size and self.low[end] == "."
            if (
                dotted
                and "-" not in (self.low[start], self.low[end - 1])
                and (tld := self._tld(end + 1, punycode=False))
            ):
                return end + 1 + tld
        return None

    def _label(self, start: int, index: int) -> bool:
        """The label from start to the end of its run is a subdomain label: letter or digit at both ends, then '.'."""
        return self.run_dotted[index] and self.low[start] in _DOMAIN_CHARS

    def _tld(self, start: int, *, punycode: bool) -> int:
        key = start * 2 + punycode
        if key not in self.tld_cache:
            self.tld_cache[key] = self._find_tld(start, punycode)
        return self.tld_cache[key]

    def _find_tld(self, start: int, punycode: bool) -> int:
        low, found = self.low, 0
        for after in range(start + 1, self.size + 1):  # the longest name, walking a table of prefixes
            name = low[start:after]
            if name not in _TLD_PREFIXES:
                break
            if name in _TLDS and not _AFTER_TLD_REFUSED.match(low, after):
                found = after - start
        if found:
            return found
        if punycode and low.startswith("xn--", start):
            end = start + 4
            while end < self.size and (low[end].isascii() and (low[end].isalnum() or low[end] == "-")):
                end += 1
            return end - start if end > start + 4 else 0
        return 0

    def _rest(self, position: int) -> int:
        """Port, path and query after the host: where the URL ends."""
        low, size = self.low, self.size
        if position + 1 < size and low[position] == ":" and low[position + 1].isascii() and low[position + 1].isdigit():
            position += 1
            while position < size and low[position].isascii() and low[position].isdigit():
                position += 1
        if position < size and low[position] == "/":
            position = self._path(position + 1)
        if position < size and low[position] == "?":
            run_end = _QUERY_RUN.match(low, position + 1).end()
            for last in range(run_end - 1, position, -1):
                if _QUERY_END.match(low, last):
                    return last + 1
        return position

    def _path(self, start: int) -> int:
        """The end of "/" and its path: the last path-ending character or balanced parenthesis reached greedily."""
        best, position = start, start
        while True:
            run_end = _PATH_RUN.match(self.low, position).end()
            for last in range(run_end - 1, position - 1, -1):
                if _PATH_END.match(self.low, last):
                    best = last + 1
                    break
            parens_end = self._parens(run_end)
            if parens_end is None:
                return best
            best = position = parens_end

    def _parens(self, start: int) -> int | None:
        """A balanced "(…)" with at most one nested pair, as in Wikipedia links."""
        low, size = self.low, self.size
        if start >= size or low[start] != "(":
            return None
        inner = _PATH_RUN.match(low, start + 1).end()
        if inner > start + 1 and inner < size and low[inner] == ")":
            return inner + 1
        if inner < size and low[inner] == "(":
            nested = _PATH_RUN.match(low, inner + 1).end()
            if nested > inner + 1 and nested < size and low[nested] == ")":
                tail = _PATH_RUN.match(low, nested + 1).end()
                if tail < size and low[tail] == ")":
                    return tail + 1
        return None

    def _accepted(self, before, start, protocol, host_start, host_end, end):
        if not protocol and before in ("-", "_", ".", "/"):
            return None
        low = self.low
        if protocol and low.startswith("t.co/", host_start):
            slug_start = host_start + 5
            slug_end = slug_start
            while slug_end < end and low[slug_end].isascii() and low[slug_end].isalnum():
                slug_end += 1
            if slug_end > slug_start:
                if slug_end - slug_start > _MAX_TCO_SLUG:
                    return None
                end = self._tco_query(slug_end, end)
        host = self.text[host_start:host_end]
        ascii_host = _ascii_host(host)
        if ascii_host is None:
            return None
        length = end - start - len(host) + ascii_host + (0 if protocol else len("https://"))
        return (start, end) if length <= _MAX_URL_LENGTH else None

    def _tco_query(self, position: int, limit: int) -> int:
        """A t.co link keeps only its slug and a query: whatever else followed is text."""
        low = self.low
        if position < limit and low[position] == "?":
            run_end = min(_QUERY_RUN.match(low, position + 1).end(), limit)
            for last in range(run_end - 1, position, -1):
                if _QUERY_END.match(low, last):
                    return last + 1
        return position


def _ascii_host(host: str) -> int | None:
    """The length of the host in punycode, or None when a label is empty or over 63 characters."""
    total = len(host.split(".")) - 1
    for label in host.split("."):
        if label.isascii():
            length = len(label)
        elif label[:4].lower() == "xn--":
            return None  # an encoded label cannot hold Unicode
        else:
            length = len("xn--") + len(label.encode("punycode"))
        if not 0 < length <= _MAX_LABEL_LENGTH:
            return None
        total += length
    return total
