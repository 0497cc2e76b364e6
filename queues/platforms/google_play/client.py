"""Replying to a Google Play review: POST …/reviews/{reviewId}:reply with a service account's bearer token.

A review has one public reply and a new one replaces it, so sending again is harmless: a request that got no
answer is retried (RetryLater), never Unknown. Only the first reply notifies the customer; the page says so.
"""

import os
import threading
from dataclasses import dataclass, field
from urllib.parse import quote

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from google.auth import exceptions as google_errors
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2 import service_account

from queues.platforms import responses, transport
from queues.platforms.transport import Failed, RetryLater, Sent

SCOPE = "https://www.googleapis.com/auth/androidpublisher"


@dataclass
class _Account:
    stamp: int
    credentials: service_account.Credentials
    lock: threading.Lock = field(default_factory=threading.Lock)


# One service account per file, with its token, kept until the token expires (google-auth renews it a few minutes
# early). A changed file (a rotated key) is read again.
_accounts: dict[str, _Account] = {}
_accounts_lock = threading.Lock()


def send_reply(
    *,
    secrets: dict,
    package: str,
    review_id: str,
    text: str,
    base_url: str | None = None,
    session: requests.Session | None = None,
) -> Sent:
    """Set text as the public reply to review_id of the app package. Returns Sent(details={"replyText",
    "lastEdited"}); raises RetryLater or Failed (see transport). A 401 renews the token and tries once more."""
    account = _account(secrets["service_account_file"])
    url = (
        f"{(base_url or settings.GOOGLE_PLAY_API_URL).rstrip('/')}/androidpublisher/v3/applications/"
        f"{quote(package, safe='')}/reviews/{quote(str(review_id), safe='')}:reply"
    )
    token = _token(account, session=session)
    response = _post(url, token, text, session)
    if response.status_code == 401:
        response = _post(url, _token(account, session=session, rejected=token), text, session)
    return _outcome(response)


def bearer_token(service_account_file: str, *, session: requests.Session | None = None, rejected: str = "") -> str:
    """A valid token of the service account (fetch.py reads reviews with it); a new one when Google rejected the
    token given as rejected. Raises Failed or RetryLater as send_reply does."""
    return _token(_account(service_account_file), session=session, rejected=rejected)


def forget_tokens() -> None:
    """Drop every cached service account and token (tests, or after rotating keys without touching the files)."""
    with _accounts_lock:
        _accounts.clear()


def _post(url: str, token: str, text: str, session) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    response, _seconds = transport.call(
        "POST", url, idempotent=True, session=session, json={"replyText": text}, headers=headers
    )
    return response


def _outcome(response: requests.Response) -> Sent:
    status = response.status_code
    data = responses.json_object(response)
    if 200 <= status < 300:
        result = data.get("result") if isinstance(data.get("result"), dict) else {}
        return Sent(status=status, details=result)
    error = data.get("error") if isinstance(data.get("error"), dict) else {}
    said = responses.words(error["message"]) if error.get("message") else responses.body_words(response)
    code = str(error.get("status") or error.get("code") or "")
    if status in (408, 429) or status >= 500:
        raise RetryLater(said, not_before=responses.retry_after(response), status=status, code=code)
    if status == 401:
        said = _("Google Play refused the service account's token twice (%(words)s).") % {"words": said}
    elif status == 403:
        said = _(
            "Google Play refused (%(words)s); the service account needs the permission to reply to reviews "
            "in the Play Console."
        ) % {"words": said}
    raise Failed(said, status=status, code=code)


def _account(path: str) -> _Account:
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError as error:
        raise Failed(
            _("The service account file %(path)s cannot be read: %(error)s")
            % {"path": path, "error": error.strerror or error}
        ) from None
    with _accounts_lock:
        account = _accounts.get(path)
        if account is None or account.stamp != stamp:
            try:
                credentials = service_account.Credentials.from_service_account_file(path, scopes=[SCOPE])
            except (OSError, ValueError, KeyError) as error:
                raise Failed(
                    _("The service account file %(path)s cannot be used: %(error)s") % {"path": path, "error": error}
                ) from None
            account = _accounts[path] = _Account(stamp=stamp, credentials=credentials)
        return account


def _token(account: _Account, *, session, rejected: str = "") -> str:
    """A valid token, fetched from the account's token_uri when there is none yet, it expires soon, or Google just
    rejected it (unless another thread has renewed it meanwhile)."""
    credentials = account.credentials
    with account.lock:
        if credentials.valid and credentials.token != rejected:
            return credentials.token
        own_session = session is None
        session = session or requests.Session()
        try:
            credentials.refresh(_TimedRequest(session))
        except google_errors.RefreshError as error:
            words = responses.words(error.args[0] if error.args else error)
            if error.retryable:
                raise RetryLater(_("Google's token endpoint: %(words)s") % {"words": words}) from None
            raise Failed(
                _("Google refused a token to the service account %(email)s (%(words)s); an admin must check it.")
                % {"email": credentials.service_account_email, "words": words},
                code="token",
            ) from None
        except google_errors.TransportError as error:
            raise RetryLater(
                _("Could not reach Google's token endpoint: %(words)s") % {"words": responses.words(error)}
            ) from None
        finally:
            if own_session:
                session.close()
        return credentials.token


class _TimedRequest(GoogleRequest):
    """google-auth's transport with the portal's timeouts (its own default waits two minutes)."""

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        timeout = timeout or (transport.CONNECT_TIMEOUT, transport.READ_TIMEOUT)
        return super().__call__(url, method=method, body=body, headers=headers, timeout=timeout, **kwargs)
