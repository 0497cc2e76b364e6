"""Replying to a Facebook comment: POST /v21.0/{comment-id}/comments with the Page access token.

A Graph POST has no idempotency key and a second one posts a second comment, so a request that got no answer ends
Unknown and is never sent again by itself. Graph says what went wrong by its error code, not its HTTP status.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from queues.platforms import responses, transport
from queues.platforms.transport import Failed, RetryLater, Sent

GRAPH_VERSION = "v21.0"
TOKEN = {190, 102}  # the token expired, was revoked, or the password changed
PERMISSION = {3, 10, *range(200, 300)}
THROTTLED = {4, 17, 32, 613, 368, 80001}  # app, user, Page and policy limits: back off
TRANSIENT = {1, 2}  # Graph's own hiccups


def send_reply(
    *,
    secrets: dict,
    comment_id: str,
    text: str,
    base_url: str | None = None,
    session: requests.Session | None = None,
) -> Sent:
    """Post text as a reply to the comment comment_id, as the Page. Returns Sent(external_id=the new comment's id);
    raises RetryLater, Failed or Unknown (see transport)."""
    url = f"{(base_url or settings.FACEBOOK_GRAPH_URL).rstrip('/')}/{GRAPH_VERSION}/{quote(str(comment_id), safe='')}"
    form = {"message": text, "access_token": secrets["page_access_token"]}
    if secrets.get("app_secret"):
        # Graph checks the proof when the app requires it; it ties the token to our app if the token leaks.
        form["appsecret_proof"] = hmac.new(
            secrets["app_secret"].encode(), secrets["page_access_token"].encode(), hashlib.sha256
        ).hexdigest()
    # The token goes in the body, not the query string, so it never lands in a proxy's access log.
    response, _seconds = transport.call("POST", f"{url}/comments", idempotent=False, session=session, data=form)
    return _outcome(response)


def _outcome(response: requests.Response) -> Sent:
    status = response.status_code
    data = responses.json_object(response)
    if 200 <= status < 300 and "error" not in data:
        return Sent(external_id=str(data.get("id") or ""), status=status, details=data)
    error = data.get("error") if isinstance(data.get("error"), dict) else {}
    said = responses.words(error["message"]) if error.get("message") else responses.body_words(response)
    try:
        code = int(error.get("code"))
    except (TypeError, ValueError):
        code = None
    code_text = str(code if code is not None else "")
    if error.get("error_subcode"):
        code_text += f"/{error['error_subcode']}"
    if code in TOKEN:
        raise Failed(
            _("Facebook refused the Page access token (%(words)s); an admin must renew it in the credentials file.")
            % {"words": said},
            status=status,
            code=code_text,
        )
    if code in PERMISSION:
        raise Failed(
            _("Facebook refused for lack of permission (%(words)s); an admin must grant the app the Page's permission.")
            % {"words": said},
            status=status,
            code=code_text,
        )
    if code in THROTTLED:
        raise RetryLater(said, not_before=_regain_access(response), status=status, code=code_text)
    if code in TRANSIENT or status == 429 or status >= 500:
        raise RetryLater(said, not_before=responses.retry_after(response), status=status, code=code_text)
    # 100 (the comment is gone, or a parameter is wrong) and any other refusal will not change by itself.
    raise Failed(said, status=status, code=code_text)


def _regain_access(response: requests.Response) -> datetime | None:
    """When the Page's business-use-case limit says access comes back (minutes, in X-Business-Use-Case-Usage)."""
    try:
        usage = json.loads(response.headers.get("X-Business-Use-Case-Usage", ""))
        minutes = max(
            int(entry.get("estimated_time_to_regain_access") or 0) for entries in usage.values() for entry in entries
        )
    except (ValueError, TypeError, AttributeError):
        return responses.retry_after(response)
    if minutes <= 0:
        return responses.retry_after(response)
    return datetime.now(UTC) + timedelta(minutes=minutes)
