"""X weighted lengths, one or more per rule of twitter-text's counting, shared by the Python and JavaScript tests.

Each expected value follows twitter-text 3's conformance suite (validate.yml, config v3 and the
directional-marker cases; extract.yml and tlds.yml for what is a URL) and was checked against a port
of its Java URL pattern.
"""

URL = 23

CASES = [
    # Code points: 1 inside the configuration's ranges (Latin … Georgian, general punctuation), else 2.
    ("latin", "hello", 5),
    ("georgian ends the light range", "\u10ff\u1100", 1 + 2),
    ("cjk", "日本語", 6),
    ("hangul", "안녕", 4),
    ("punctuation in and out of the ranges", "—“quoted”…", 11),
    ("general punctuation spaces", "\u2000\u200a\u200b\u200d", 4),
    ("bullet outside, prime inside, caret outside", "\u2027\u2032\u2038", 5),
    ("directional marks outside the ranges", "\u200e\u200f\u202a", 6),
    ("astral non-emoji", "\U00020000", 2),
    ("newline counts one", "a\nb", 3),
    ("carriage return counts too", "a\r\nb", 4),
    # NFC first.
    ("combining acute composes", "e\u0301", 1),
    ("ring above composes", "A\u030a", 1),
    ("hebrew presentation form decomposes", "Aשּׁ", 4),
    ("hangul jamo compose into one syllable", "\u1100\u1161", 2),
    # Emoji sequences count 2.
    ("emoji", "😀", 2),
    ("skin tone", "👍🏽", 2),
    ("zwj family", "👨\u200d👩\u200d👧\u200d👦", 2),
    ("zwj profession with skin tone", "👩🏽\u200d🚀", 2),
    ("rainbow flag", "🏳\ufe0f\u200d🌈", 2),
    ("flag", "🇫🇷", 2),
    ("keycap", "1\ufe0f\u20e3", 2),
    ("keycap without selector", "1\u20e3", 2),
    ("hash keycap", "#\u20e3", 2),
    ("tag sequence flag", "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", 2),
    ("symbol with vs16", "❤\ufe0f", 2),
    ("copyright with vs16", "©\ufe0f", 2),
    ("copyright alone is latin", "©", 1),
    ("text presentation selector is no emoji", "☺\ufe0e", 4),
    ("unicode 10 mix", "Unicode 10.0 emoji: 🤪; 🧕; 🧕🏾; 🏴󠁧󠁢󠁥󠁮󠁧󠁿", 34),
    # What twitter-text does not know as one sequence counts part by part: never under-counted.
    ("emoji then 500 joiners", "👍" + "\u200d" * 500, 2 + 500),
    ("emoji then 500 variation selectors", "👍" + "\ufe0f" * 500, 2 + 2 * 500),
    ("emoji then 500 skin tones", "👍" + "🏽" * 500, 2 + 2 * 499),
    ("black flag then 500 tag characters", "🏴" + "\U000e0067" * 500, 2 + 2 * 500),
    ("two families joined", "👨\u200d👩\u200d👧\u200d👦\u200d👨\u200d👩\u200d👧\u200d👦", 2 + 1 + 2),
    ("an unknown pair of regional indicators", "🇺🇺", 4),
    # URLs count 23.
    ("url", "https://support.mozilla.org/kb/some-really-long-article-name-that-goes-on", URL),
    ("url after text", "see http://a.co", 4 + URL),
    ("upper-case url", "HTTP://EXAMPLE.COM", URL),
    ("bare domain, trailing period is text", "read support.mozilla.org/kb.", 5 + URL + 1),
    ("bare domain with a long gTLD", "example.photography", URL),
    ("bare domain with a ccTLD", "bit.ly", URL),
    ("bare domain with an unknown ending", "example.invalidtld", 18),
    ("no ending", "www.example", 11),
    ("ending followed by a letter", "example.comx", 12),
    ("ending followed by a hyphen", "example.com-foo", 15),
    ("last label that is an ending wins", "foo.com.bar", URL),
    ("underscore in a subdomain", "my_host.example.com", URL),
    ("underscore in the domain", "my_host.com", 11),
    ("port and path", "http://example.com:8080/x", URL),
    ("query, trailing ! is text", "http://example.com?q=x!", URL + 1),
    ("wikipedia parentheses", "https://en.wikipedia.org/wiki/Primer_(film)", URL),
    ("nested parentheses", "http://x.com/a(b(c)d)e", URL),
    ("unbalanced parenthesis is text", "http://x.com/a(b", URL + 2),
    ("url in parentheses", "(see http://example.com/a)", 5 + URL + 1),
    ("t.co keeps only its slug", "https://t.co/abc/def", URL + 4),
    ("t.co slug of 40", "https://t.co/" + "a" * 40, URL),
    ("t.co slug of 41 is text", "https://t.co/" + "a" * 41, 13 + 41),
    ("unicode host after a protocol", "http://日本語.jp", URL),
    ("unicode host without a protocol is text", "日本語.jp", 9),
    ("ten urls", "https://www.twitter.com/aloha " * 10, 10 * (URL + 1)),
    # Not URLs.
    ("e-mail address", "mail support@mozilla.com", 24),
    ("e-mail address with a dot", "first.last@mozilla.org", 22),
    ("after @", "@example.com", 12),
    ("after #", "#example.com", 12),
    ("after $", "$example.com", 12),
    ("bare domain after a slash", "x/example.com", 13),
    ("with a protocol after a slash", "x/http://example.com", 2 + URL),
    # Host labels: at most 63 characters, as punycode.
    ("label of 63", "a" * 63 + ".com", URL),
    ("label of 64 is text", "a" * 64 + ".com", 68),
    ("label of 64 after a protocol is text", "http://" + "a" * 64 + ".com", 75),
    ("accented label of 63 as punycode", "see " + "ü" * 57 + ".com", 4 + URL),
    ("accented label of 64 as punycode is text", "see " + "ü" * 58 + ".com", 4 + 58 + 4),
    ("an accented letter may precede a bare domain", "ü" * 58 + ".com", 1 + URL),
    ("cjk label of 63 as punycode", "http://" + "日" * 57 + ".jp", URL),
    ("cjk label of 64 as punycode is text", "http://" + "日" * 58 + ".jp", 7 + 116 + 3),
    # URLs: at most 4,096 characters, counting https:// when there is no protocol.
    ("url of 4096", "http://example.com/" + "a" * (4096 - 19), URL),
    ("url of 4097 is text", "http://example.com/" + "a" * (4097 - 19), 4097),
    ("bare url of 4088", "example.com/" + "a" * (4088 - 12), URL),
    ("bare url of 4089 is text", "example.com/" + "a" * (4089 - 12), 4089),
    # Directional marks around a URL are not part of it.
    ("trailing mark", "http://example.com\u200f", URL + 2),
    ("isolates and embeddings", "\u2066\u202ahttp://foobar.پاکستان/\u202c\u2069", 31),
    # Empty: nothing but characters up to U+0020.
    ("empty", "", 0),
    ("spaces and controls", " \t\n\x01", 0),
]

# (text, weighted length, problems) for parse(); MAX_INPUT cases are in the tests.
PARSE_CASES = [
    ("a" * 280, 280, ()),
    ("a" * 281, 281, ("too_long",)),
    ("火" * 140, 280, ()),
    ("火" * 141, 282, ("too_long",)),
    ("😀" * 140, 280, ()),
    ("👨\u200d👩\u200d👧\u200d👦" * 140, 280, ()),
    ("😀" * 141, 282, ("too_long",)),
    ("https://www.twitter.com/aloha " * 11 + "a" * 16, 280, ()),
    ("ABC\u202a\uffffABC\ufffe", 12, ("invalid_character",)),
    ("\ufeffhello", 7, ("invalid_character",)),
    ("http://a\ufeffb.com", 23, ("invalid_character",)),  # a URL to twitter-text, refused here all the same
    (" ", 0, ("empty",)),
    ("\x00\x1f", 0, ("empty",)),
]
