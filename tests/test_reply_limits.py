import pytest

from queues.models import Channel
from queues.platforms import limits_summary, reply_length, reply_problems
from queues.platforms.x.replies import length as x_weighted_length

X, PLAY, FACEBOOK = Channel.Platform.X, Channel.Platform.GOOGLE_PLAY, Channel.Platform.FACEBOOK


@pytest.mark.parametrize(
    ("text", "allowed"),
    [("a" * 349, True), ("a" * 350, False), ("é" * 349, True), ("e\u0301" * 349, True), ("😀" * 349, True)],
)
def test_google_play_replies_must_be_under_350_characters(text, allowed):
    # Combining accents are NFC-normalised into one character before counting.
    assert (reply_problems(PLAY, text) == []) is allowed


def test_google_play_length_error_names_the_limit_and_the_length():
    assert reply_problems(PLAY, "a" * 351) == ["Google Play replies must be under 350 characters; this one has 351."]


@pytest.mark.parametrize(
    "text",
    ["<b>bold</b>", "Hi <a href='x'>there</a>", "line<br>break", "<!-- hidden -->", "fish &amp; chips", "&#169;"],
)
def test_google_play_replies_with_html_are_refused(text):
    assert reply_problems(PLAY, text) == ["Google Play replies cannot contain HTML: Google strips it."]


@pytest.mark.parametrize("text", ["I <3 Firefox", "1 < 2 and 3 > 2", "R&D team", "a <- b"])
def test_google_play_text_that_only_looks_like_html_is_fine(text):
    assert reply_problems(PLAY, text) == []


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("a" * 280, 280),
        ("火", 2),  # CJK counts 2
        ("日本語", 6),
        ("안녕", 4),
        ("😀", 2),  # one emoji counts 2
        ("👍🏽", 2),  # with a skin tone
        ("👨‍👩‍👧‍👦", 2),  # a ZWJ family is one emoji
        ("🇫🇷", 2),  # a flag
        ("❤️", 2),  # a BMP symbol with variation selector
        ("1️⃣", 2),  # a keycap
        ("https://support.mozilla.org/kb/some-really-long-article-name-that-goes-on", 23),
        ("see http://a.co", 4 + 23),
        ("read support.mozilla.org/kb.", 5 + 23 + 1),  # bare domain; trailing period is not the URL's
        ("e\u0301", 1),  # NFC first: e + combining acute is é
        ("—“quoted”…", 11),  # dashes and quotes count 1; the ellipsis (U+2026) is outside the ranges
    ],
)
def test_x_weighted_length(text, length):
    assert x_weighted_length(text) == length


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("a" * 280, True),
        ("a" * 281, False),
        ("火" * 140, True),
        ("火" * 140 + "a", False),
        ("😀" * 140, True),
        ("😀" * 141, False),
        ("a" * 256 + " https://example.com/" + "x" * 300, True),  # 256 letters, a space and a URL: 280
        ("a" * 258 + " https://example.com", False),
    ],
)
def test_x_replies_are_at_most_280_weighted_characters(text, allowed):
    assert (reply_problems(X, text) == []) is allowed


def test_x_length_error_names_the_weighted_count():
    assert reply_problems(X, "火" * 141) == ["X replies can have at most 280 weighted characters; this one has 282."]


def test_x_allows_html_like_text():
    assert reply_problems(X, "<b>hi</b>") == []


def test_facebook_allows_long_replies():
    assert reply_problems(FACEBOOK, "a" * 8000) == []
    assert reply_length(FACEBOOK, "a" * 8001) == 8001
    assert reply_problems(FACEBOOK, "a" * 8001) == [
        "Facebook replies can have at most 8000 characters; this one has 8001."
    ]


@pytest.mark.parametrize("platform", [X, PLAY, FACEBOOK])
def test_empty_replies_are_refused_everywhere(platform):
    assert reply_problems(platform, "  \n ") == ["The reply is empty."]


def test_the_summary_shows_the_length_against_each_platforms_limit():
    assert limits_summary("a" * 300) == "X 300/280 ✗, Facebook 300/8000 ✓, Google Play 300/349 ✓"
    assert limits_summary("<b>hi</b>") == "X 9/280 ✓, Facebook 9/8000 ✓, Google Play 9/349 ✗"
