"""Posting a reply on X: POST /2/tweets in the channel account's OAuth 1.0a user context.

X has no idempotency key, so a request that got no answer may have been posted: it ends Unknown and is never sent
again by itself. X refuses a text its account posted recently with 403 "duplicate content"; that is AlreadyPosted,
which after an Unknown attempt means the first one arrived.
"""

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests_oauthlib import OAuth1

from queues.platforms import responses, transport
from queues.platforms.transport import AlreadyPosted, Failed, RetryLater, Sent

# The 24-hour posting caps come with their own reset headers; whichever is exhausted decides how long to wait.
RATE_LIMITS = ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour")


def send_reply(
    *,
    secrets: dict,
    text: str,
    in_reply_to_tweet_id: str,
    base_url: str | None = None,
    session: requests.Session | None = None,
) -> Sent:
    """Post text as a reply to the post in_reply_to_tweet_id. Returns Sent(external_id=the new post's id); raises
    RetryLater, Failed, AlreadyPosted (a Failed) or Unknown (see transport)."""
    auth = OAuth1(
        secrets["consumer_key"],
        client_secret=secrets["consumer_secret"],
        resource_owner_key=secrets["access_token"],
        resource_owner_secret=secrets["access_token_secret"],
    )
    url = f"{(base_url or settings.X_API_URL).rstrip('/')}/2/tweets"
    body = {"text": text, "reply": {"in_reply_to_tweet_id": str(in_reply_to_tweet_id)}}
    response, _seconds = transport.call("POST", url, idempotent=False, session=session, json=body, auth=auth)
    return _outcome(response)


def _outcome(response: requests.Response) -> Sent:
    status = response.status_code
    data = responses.json_object(response)
    if 200 <= status < 300:
        post = data.get("data") if isinstance(data.get("data"), dict) else {}
        return Sent(external_id=str(post.get("id") or ""), status=status, details=post)
    said, code = _words(response, data), _code(data)
    if status == 429:
        raise RetryLater(
            _("X's rate limit: %(words)s") % {"words": said}, not_before=_reset(response), status=status, code=code
        )
    if status >= 500:
        raise RetryLater(said, not_before=responses.retry_after(response), status=status, code=code)
    if status == 403 and "duplicate content" in said.lower():
        raise AlreadyPosted(said, status=status, code="duplicate-content")
    if status == 401:
        raise Failed(
            _("X refused the channel's credentials (%(words)s); an admin must check them in the credentials file.")
            % {"words": said},
            status=status,
            code=code,
        )
    raise Failed(said, status=status, code=code)


def _words(response: requests.Response, data: dict) -> str:
    """X's most specific words: the messages of an "errors" list (which name the bad field), else the problem's
    detail, else its title."""
    errors = data.get("errors") if isinstance(data.get("errors"), list) else []
    messages = [str(e.get("message") or e.get("detail")) for e in errors if isinstance(e, dict)]
    messages = [m for m in messages if m and m != "None"]
    if messages:
        return responses.words(" ".join(messages))
    for key in ("detail", "title"):
        if data.get(key):
            return responses.words(data[key])
    return responses.body_words(response)


def _code(data: dict) -> str:
    """The problem type's last part (e.g. "invalid-request"), or an errors entry's code."""
    kind = str(data.get("type") or "")
    if kind and kind != "about:blank":
        return kind.rstrip("/").rsplit("/", 1)[-1]
    errors = data.get("errors") if isinstance(data.get("errors"), list) else []
    for error in errors:
        if isinstance(error, dict) and error.get("code"):
            return str(error["code"])
    return str(data.get("title") or "")


def _reset(response: requests.Response):
    """The latest reset among the exhausted limits; x-rate-limit-reset alone when none says it is exhausted."""
    exhausted = [
        responses.from_epoch(response.headers.get(f"{limit}-reset"))
        for limit in RATE_LIMITS
        if response.headers.get(f"{limit}-remaining", "").strip() == "0"
    ]
    exhausted = [when for when in exhausted if when]
    if exhausted:
        return max(exhausted)
    return responses.from_epoch(response.headers.get("x-rate-limit-reset")) or responses.retry_after(response)
