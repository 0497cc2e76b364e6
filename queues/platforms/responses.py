"""Reading a platform's answer: its JSON, its own words, and when it asks us to come back."""

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import requests

# The platform's words are stored with each attempt and shown to agents: enough to act on, never a whole page.
WORDS_LIMIT = 500


def json_object(response: requests.Response) -> dict:
    """The answer's JSON object, or {} when it is not one (an HTML error page from a proxy, an empty body)."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def words(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= WORDS_LIMIT else text[: WORDS_LIMIT - 1] + "…"


def body_words(response: requests.Response) -> str:
    """The start of a body that is not the platform's usual JSON, or the status line when it is empty."""
    return words(response.text) or f"HTTP {response.status_code} {response.reason or ''}".strip()


def retry_after(response: requests.Response, *, now: datetime | None = None) -> datetime | None:
    """When Retry-After (seconds, or an HTTP date) says to come back; None without a usable header."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    now = now or datetime.now(UTC)
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def from_epoch(value: str | None) -> datetime | None:
    """A header holding seconds since the epoch (X's x-rate-limit-reset), as an aware UTC time."""
    try:
        return datetime.fromtimestamp(int(str(value).strip()), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
