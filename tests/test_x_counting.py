"""X's weighted length (twitter-text 3, config v3): each rule, the cap, and time linear in the text."""

import re

import pytest

from queues.platforms.x import counting
from queues.platforms.x.counting import (
    MAX_INPUT,
    TOO_LONG,
    TOO_MANY_CHARACTERS,
    parse,
    weighted_length,
)
from tests.x_counting_cases import CASES, PARSE_CASES

try:
    import re._parser as sre_parse  # Python 3.11+
except ImportError:  # pragma: no cover
    import sre_parse


@pytest.mark.parametrize(("text", "length"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_weighted_length_follows_twitter_text(text, length):
    assert weighted_length(text) == length


@pytest.mark.parametrize(("text", "length", "problems"), PARSE_CASES)
def test_parse_gives_the_length_and_why_x_would_refuse(text, length, problems):
    parsed = parse(text)
    assert (parsed.weighted_length, parsed.problems, parsed.valid) == (length, problems, not problems)


def test_a_text_over_the_cap_is_refused_unread():
    parsed = parse("b." * 50_000)  # 100 KB
    assert (parsed.weighted_length, parsed.problems, parsed.valid) == (None, (TOO_MANY_CHARACTERS,), False)
    assert parse("a" * (MAX_INPUT + 1)).problems == (TOO_MANY_CHARACTERS,)
    assert parse("a" * MAX_INPUT) == counting.Parsed(MAX_INPUT, (TOO_LONG,))


def test_the_cap_is_far_above_any_reply_of_ordinary_text():
    # 140 eight-code-point emoji (the longest sequences twitter-text knows) are a valid post of 1,120 code points.
    kiss = "👩\u200d❤\ufe0f\u200d💋\u200d👨"
    assert parse(kiss * 140).valid
    # …and two URLs of the longest length X accepts fit in it with that text.
    assert 2 * 4096 + len(kiss) * 140 <= MAX_INPUT


# Sizes at which a quadratic scan (what twitter-text's URL pattern and the old counter do on these
# texts) would take hours; a linear one takes about a second. Nothing is timed: a regression hangs the run.
BIG = 100_000
HOSTILE = {
    "dots": ("b." * BIG, 2 * BIG),
    "dotted labels": ("a." * BIG + "com", 2 * BIG + 3),  # a host, but a URL over 4,096 characters
    "dotted labels after a protocol": ("http://" + "a." * BIG, 7 + 2 * BIG),
    "hyphens": ("a-" * BIG + ".com", 2 * BIG + 4),
    "accented hyphens": ("é-" * BIG, 2 * BIG),
    "emoji and joiners": ("👍" + "\u200d" * (2 * BIG), 2 + 2 * BIG),
    "emoji and selectors": ("👍" + "\ufe0f" * (2 * BIG), 2 + 4 * BIG),
    "joined men": ("👨\u200d" * BIG, 3 * BIG),
    "tag characters": ("🏴" + "\U000e0067" * (2 * BIG), 2 + 4 * BIG),
    "open parentheses in a path": ("http://a.com/" + "(" * (2 * BIG), 23 + 2 * BIG),
    "parenthesised paths": ("a.com/(" * BIG, 24 * BIG),
    "query without an ending": ("http://a.com/?" + "!" * (2 * BIG), 23 + 1 + 2 * BIG),
    "protocols": ("http://" * BIG, 7 * BIG),
    "bare domains": ("x.com " * BIG, 24 * BIG),
    "unicode host": ("http://" + "日" * (2 * BIG), 7 + 4 * BIG),
}


@pytest.mark.parametrize(("text", "length"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_texts_are_counted_in_linear_time(text, length):
    counted = weighted_length(text)  # uncapped on purpose
    assert counted == length


def _unbounded_repeats(pattern: re.Pattern) -> list:
    """The repeats of a pattern that may match more than one item, with what they repeat."""
    found = []

    def walk(items):
        for op, value in items:
            if op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT):
                low, high, body = value
                if high > 1:
                    found.append(list(body))
                walk(body)
            elif op == sre_parse.SUBPATTERN:
                walk(value[-1])
            elif op == sre_parse.BRANCH:
                for branch in value[1]:
                    walk(branch)
            elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
                walk(value[1])

    walk(sre_parse.parse(pattern.pattern, pattern.flags))
    return found


def test_the_emoji_pattern_cannot_backtrack_more_than_a_few_characters():
    # Every alternative has a bounded length (at most a ZWJ family with skin tones), so each attempt
    # reads a handful of code points and a scan of the text is linear.
    assert _unbounded_repeats(counting.EMOJI_RE) == []


@pytest.mark.parametrize(
    "name", ["_LABEL_RUN", "_PATH_RUN", "_QUERY_RUN", "_URL_MAY_FOLLOW", "_BEFORE_URL_REFUSED", "_AFTER_TLD_REFUSED"]
)
def test_the_url_helper_patterns_only_repeat_one_character_class(name):
    # A repeated single class has one way to match a run: no backtracking at all.
    for body in _unbounded_repeats(getattr(counting, name)):
        assert len(body) == 1 and body[0][0] in (sre_parse.IN, sre_parse.LITERAL, sre_parse.NOT_LITERAL)


def test_the_tables_come_from_twitter_text():
    assert "com" in counting._TLDS and "no" in counting._TLDS and "پاکستان" in counting._TLDS
    assert len(counting._TLDS) > 1500
    assert (counting.MAX_WEIGHTED_LENGTH, counting.URL_LENGTH) == (280, 23)
