"""Time as agents read it on the pages and in messages: when an on-hold conversation auto-closes, how long ago it
was escalated, how long the first reply took."""

from datetime import datetime
from functools import lru_cache

from django.utils import dateformat, formats, timezone, translation
from django.utils.timesince import TIME_STRINGS, timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def auto_close_text(convo, now=None) -> str:
    """ "Auto-closes on 8 Dec (in 6 days)", or, past that time, "Overdue: due to auto-close on 8 Dec (2 days ago)";
    empty when the conversation will not auto-close."""
    due = convo.auto_closes_at
    if due is None:
        return ""
    now = now or timezone.now()
    local = timezone.localtime(due)
    day = formats.date_format(local, "j M")
    # Calendar days, as people count them: held on the 1st for a week closes on the 8th, "in 7 days".
    days = (local.date() - timezone.localtime(now).date()).days
    if due > now:
        if days == 0:
            when = _("today, in %(time)s") % {"time": timeuntil(due, now, depth=1)}
        else:
            # "tomorrow" is its own message: a plural form of "in %(days)d days" is for n days in every language.
            when = (
                _("tomorrow") if days == 1 else ngettext("in %(days)d day", "in %(days)d days", days) % {"days": days}
            )
        return _("Auto-closes on %(day)s (%(when)s)") % {"day": day, "when": when}
    if days == 0:
        late = _("%(time)s ago") % {"time": timesince(due, now, depth=1)}
    else:
        late = (
            _("yesterday") if days == -1 else ngettext("%(days)d day ago", "%(days)d days ago", -days) % {"days": -days}
        )
    return _("Overdue: due to auto-close on %(day)s (%(late)s)") % {"day": day, "late": late}


def ago(moment, now=None) -> str:
    """ "3 days ago" (the largest unit only)."""
    return _("%(time)s ago") % {"time": timesince(moment, now or timezone.now(), depth=1)}


def first_response_text(convo) -> str:
    """How long the customer waited for the first reply, from when the conversation arrived."""
    replied = getattr(convo, "first_reply_at", None)
    if replied is None:
        if convo.is_closed:
            return _("Closed without a reply")
        return _("No reply yet (waiting %(time)s)") % {"time": timesince(convo.received_at, depth=1)}
    if replied <= convo.received_at:
        return _("Replied on the platform before it arrived here")
    return _("After %(time)s") % {"time": timesince(convo.received_at, replied, depth=2)}


# Dates and durations as Django's `date` formats and `timesince` word them, at a fraction of the cost: a list page
# shows a hundred of each. Each piece of a format is Django's own (DateFormat's method for that letter), remembered
# per language and per the part of the time it reads: the day for a date's letters, the hour and minute for a time's.
# A letter that reads more (seconds, the zone, "c") is worked out by Django each time.
_DAY_LETTERS = frozenset("bdDEFjlLmMnNoStwWyYz")
_MINUTE_LETTERS = frozenset("aAfgGhHiP")


@lru_cache(maxsize=64)
def _pieces(format_string: str) -> tuple:
    """The format as (letter, None) or (None, literal text) pieces: DateFormat.format()'s own split."""
    pieces = []
    for i, piece in enumerate(dateformat.re_formatchars.split(format_string)):
        if i % 2:
            pieces.append((piece, None))
        elif piece:
            pieces.append((None, dateformat.re_escaped.sub(r"\1", piece)))
    return tuple(pieces)


@lru_cache(maxsize=16384)
def _letter(language: str, letter: str, key: tuple) -> str:
    """One letter of a format for a day (year, month, day) or a time of day (hour, minute)."""
    moment = datetime(*key) if len(key) == 3 else datetime(2000, 1, 1, *key)
    return str(getattr(dateformat.DateFormat(moment), letter)())


def date_text(value: datetime, format_name: str = "DATETIME_FORMAT") -> str:
    """formats.date_format(value, format_name): value already in the zone it is shown in."""
    language = translation.get_language()
    parts = []
    formatter = None
    for letter, text in _pieces(str(formats.get_format(format_name))):
        if letter is None:
            parts.append(text)
        elif letter in _DAY_LETTERS:
            parts.append(_letter(language, letter, (value.year, value.month, value.day)))
        elif letter in _MINUTE_LETTERS:
            parts.append(_letter(language, letter, (value.hour, value.minute)))
        else:
            formatter = formatter or dateformat.DateFormat(value)
            parts.append(str(getattr(formatter, letter)()))
    return "".join(parts)


class _Words(dict):
    """timesince()'s time_strings: "3 days" worded once per language and number, not on every call."""

    def __missing__(self, name):
        return _Worded(name)


class _Worded:
    def __init__(self, name: str):
        self.name = name

    def __mod__(self, numbers: dict) -> str:
        return _worded(translation.get_language(), self.name, numbers["num"])


@lru_cache(maxsize=4096)
def _worded(language: str, name: str, number: int) -> str:
    return TIME_STRINGS[name] % {"num": number}


_WORDS = _Words()


def forget_words() -> None:
    """Empty what date_text() and since_text() remember: for a test that changes what the translations say."""
    _letter.cache_clear()
    _worded.cache_clear()


def since_text(value: datetime, now: datetime | None = None) -> str:
    """{{ value|timesince }}: Django's timesince(), its words remembered."""
    try:
        return timesince(value, now, time_strings=_WORDS) if value else ""
    except (ValueError, TypeError):
        return ""
