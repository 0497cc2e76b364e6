"""What one call to the outside world came to: the small interface every client speaks.

A client (a platform's reply API, a Matrix homeserver, Slack) sends one thing and either returns Sent or raises
one of the three errors below, which tell the outbox what it may do next: try again (and not before when), never
again by itself (the platform refused), or never again by itself because the request may have arrived and a
second one could post twice. Each carries the platform's own words, so what an agent sees is the truth.
"""

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import requests

# Seconds to connect, and to wait for an answer once the request is sent.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = int(os.environ.get("PLATFORM_READ_TIMEOUT", "20"))


@dataclass(frozen=True)
class Sent:
    """The platform took it. external_id names what was posted (an X post id, a Facebook comment id, a Matrix
    event id, a Slack ts); status is the HTTP status of the answer."""

    external_id: str = ""
    status: int | None = None
    details: dict = field(default_factory=dict)


class DeliveryError(Exception):
    """status: the HTTP status (None when no answer came); code: the platform's error code; reason: its words."""

    def __init__(self, reason: str, *, status: int | None = None, code: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.code = str(code or "")


class RetryLater(DeliveryError):
    """Nothing was posted, or posting again is harmless: try again, not before not_before (None: the outbox's
    own backoff decides)."""

    def __init__(self, reason: str, *, not_before: datetime | None = None, **kwargs):
        super().__init__(reason, **kwargs)
        self.not_before = not_before


class Failed(DeliveryError):
    """Refused for a reason that will not change by itself (the text, a post that is gone, credentials,
    permissions). Never retried automatically."""


class AlreadyPosted(Failed):
    """The platform refused the request as a repeat of something the account posted recently (X's 403 "duplicate
    content"), and gave no id. After an attempt of the same message that ended Unknown, it means that attempt
    arrived: record the message sent, without an id. Otherwise it is a Failed like any other (the text repeats a
    recent post; an agent should change it), which is also what an outbox that does not know this class does."""


class Unknown(DeliveryError):
    """The request may have arrived and a second one could post twice: never sent again automatically."""


def call(method: str, url: str, *, idempotent: bool, session: requests.Session | None = None, **kwargs):
    """One HTTP request with the portal's timeouts. Returns (response, seconds it took).

    No answer at all becomes RetryLater when nothing can have arrived (the connection was refused or never made)
    or when sending again is harmless (idempotent), else Unknown."""
    kwargs.setdefault("timeout", (CONNECT_TIMEOUT, READ_TIMEOUT))
    started = time.monotonic()
    try:
        response = (session or requests).request(method, url, **kwargs)
    except requests.exceptions.ConnectTimeout as error:
        raise RetryLater(f"could not connect: {error.__class__.__name__}") from error
    except requests.exceptions.ConnectionError as error:
        # A refused or unreachable connection sent nothing; one dropped mid-answer may have been read.
        if _never_connected(error) or idempotent:
            raise RetryLater(f"no answer: {_short(error)}") from error
        raise Unknown(f"the connection broke before an answer came: {_short(error)}") from error
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as error:
        # The answer began and broke off: the request arrived, and what came of it cannot be read.
        if idempotent:
            raise RetryLater(f"the answer broke off: {_short(error)}") from error
        raise Unknown(f"the answer broke off; the request arrived: {_short(error)}") from error
    except requests.exceptions.Timeout as error:
        if idempotent:
            raise RetryLater(f"no answer within {READ_TIMEOUT} s") from error
        raise Unknown(f"no answer within {READ_TIMEOUT} s; the request may have arrived") from error
    return response, time.monotonic() - started


def _never_connected(error: requests.exceptions.ConnectionError) -> bool:
    text = repr(error)
    return any(
        sign in text
        for sign in ("ConnectionRefusedError", "NewConnectionError", "NameResolutionError", "Failed to resolve")
    )


def _short(error: Exception) -> str:
    return str(error)[:300]


def retry_after(response: requests.Response, *, milliseconds: float | None = None) -> datetime | None:
    """When a rate-limited request may be tried again: after milliseconds (a platform's own field, like Matrix's
    retry_after_ms) or the Retry-After header (seconds or an HTTP date); None when the answer does not say."""
    now = datetime.now(UTC)
    if isinstance(milliseconds, int | float) and milliseconds >= 0:
        return now + timedelta(milliseconds=milliseconds)
    header = (response.headers.get("Retry-After") or "").strip()
    if header.isdigit():
        return now + timedelta(seconds=int(header))
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
