"""Posting notices into Slack channels with a bot token (chat.postMessage), and finding one that may have been posted.

Slack has no idempotency key: an attempt whose answer was lost may have posted. Each message carries metadata
naming its notice, so before posting again the worker asks find_posted, which reads the channel's recent history.
Slack answers most errors with HTTP 200 and {"ok": false, "error": "<code>"}.
"""

import re
from datetime import datetime

import requests
from django.utils.translation import gettext as _

from queues.platforms import transport
from queues.platforms.transport import Failed, RetryLater, Sent, Unknown

EVENT_TYPE = "escalation_notice"
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")
# conversations.history: Slack recommends pages of at most 200; a notice is looked for from just before its first
# attempt, and a channel takes about one message a second, so a few pages cover any realistic gap.
PAGE_SIZE = 200
MAX_PAGES = 5

# Codes after which Slack may have posted part of the request ("some aspect of the operation succeeded").
MAYBE_POSTED = {"fatal_error", "internal_error"}
TRY_AGAIN = {"ratelimited", "service_unavailable", "request_timeout", "team_added_to_org"}
BAD_TOKEN = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission"}


def notice_metadata(notice_id) -> dict:
    """The message metadata that names a notice, for post_message(metadata=…)."""
    return {"event_type": EVENT_TYPE, "event_payload": {"notice_id": str(notice_id)}}


def post_message(
    *,
    base_url: str,
    token: str,
    channel: str,
    text: str,
    metadata: dict,
    blocks: list | None = None,
    thread_ts: str | None = None,
    session: requests.Session | None = None,
) -> Sent:
    """Post into channel (an id like C0123ABCD, or a name), into the thread of thread_ts when given.

    Returns Sent(external_id=the message's ts, details={"channel": the channel id}); raises RetryLater, Failed,
    or Unknown (the answer was lost: look with find_posted before posting again)."""
    payload = {"channel": channel, "text": text, "metadata": metadata, "unfurl_links": False, "unfurl_media": False}
    if blocks:
        payload["blocks"] = blocks
    if thread_ts:
        payload["thread_ts"] = thread_ts
    # Not idempotent: an answer lost after sending may mean it was posted (Unknown).
    url = _url(base_url, "chat.postMessage")
    response, _seconds = transport.call(
        "POST", url, idempotent=False, session=session, headers=_auth(token), json=payload
    )
    data = _answer(response, channel=channel, posting=True)
    ts, channel_id = data.get("ts"), data.get("channel")
    if not isinstance(ts, str) or not ts:
        raise Unknown(_("Slack said ok but named no message: %(answer)s") % {"answer": response.text[:300]})
    return Sent(external_id=ts, status=response.status_code, details={"channel": channel_id or channel})


def find_posted(
    *,
    base_url: str,
    token: str,
    channel: str,
    notice_id,
    oldest: datetime | float | str,
    thread_ts: str | None = None,
    session: requests.Session | None = None,
) -> Sent | None:
    """The message of notice_id posted in channel (a channel id: Slack's history takes no names) since oldest
    (a time before the first attempt), or None when there is none. A follow-up posted into a thread is looked
    for among that thread's replies (thread_ts), which the channel's history leaves out.

    Raises RetryLater (rate limited, Slack down), Failed (refused), or Unknown when the history goes further back
    than this reads: then nobody can say, and posting again could post twice."""
    if not CHANNEL_ID.fullmatch(channel):
        reason = _("Slack's history is read by channel id (like C0123ABCD), not by name: cannot look in %(channel)s")
        raise Unknown(reason % {"channel": channel})
    method = "conversations.replies" if thread_ts else "conversations.history"
    params = {"channel": channel, "oldest": _slack_ts(oldest), "inclusive": "true"}
    params |= {"include_all_metadata": "true", "limit": PAGE_SIZE}
    if thread_ts:
        params["ts"] = thread_ts
    for _page in range(MAX_PAGES):
        response, _seconds = transport.call(
            "GET", _url(base_url, method), idempotent=True, session=session, headers=_auth(token), params=params
        )
        data = _answer(response, channel=channel, posting=False)
        for message in data.get("messages") or []:
            if _names_notice(message, notice_id):
                return Sent(external_id=message["ts"], status=response.status_code, details={"channel": channel})
        cursor = (data.get("response_metadata") or {}).get("next_cursor")
        if not data.get("has_more") or not cursor:
            return None
        params["cursor"] = cursor
    raise Unknown(
        _("%(channel)s has more than %(count)s messages since the first attempt: could not tell whether it was posted")
        % {"channel": channel, "count": PAGE_SIZE * MAX_PAGES}
    )


def _answer(response, *, channel: str, posting: bool) -> dict:
    """The answer's JSON when Slack said ok; else raises the error that says what may happen next."""
    status = response.status_code
    data = _json(response)
    code = str(data.get("error") or "")
    words = _words(status, code, data, response)
    if status == 429 or code == "ratelimited":
        reason = _("Slack limits the bot's rate (%(words)s)") % {"words": words}
        raise RetryLater(reason, not_before=transport.retry_after(response), status=status, code="ratelimited")
    if status >= 500:
        raise RetryLater(_("Slack failed (%(words)s)") % {"words": words}, status=status, code=code)
    if status == 200 and data.get("ok") is True:
        return data
    if status == 200 and not data:
        # Something answered 200 without Slack's JSON (a proxy?): a post may have gone through.
        reason = _("Slack's answer was not understood: %(answer)s") % {"answer": response.text[:300]}
        raise Unknown(reason, status=status) if posting else RetryLater(reason, status=status)
    if code in MAYBE_POSTED and posting:
        reason = _("Slack failed and may have posted anyway (%(words)s)") % {"words": words}
        raise Unknown(reason, status=status, code=code)
    if code in TRY_AGAIN or code in MAYBE_POSTED:
        raise RetryLater(_("Slack failed (%(words)s)") % {"words": words}, status=status, code=code)
    raise Failed(_refusal(code, channel=channel, data=data, words=words), status=status, code=code)


def _refusal(code: str, *, channel: str, data: dict, words: str) -> str:
    if code == "channel_not_found":
        return _("Slack has no channel %(channel)s the bot can see: check the product's Slack channel (%(words)s)") % {
            "channel": channel,
            "words": words,
        }
    if code == "not_in_channel":
        return _("the bot is not in %(channel)s: invite it to the channel (%(words)s)") % {
            "channel": channel,
            "words": words,
        }
    if code == "is_archived":
        return _("the Slack channel %(channel)s is archived: unarchive it or choose another (%(words)s)") % {
            "channel": channel,
            "words": words,
        }
    if code in BAD_TOKEN:
        return _("Slack refused the bot's token: check SLACK_BOT_TOKEN (%(words)s)") % {"words": words}
    if code == "missing_scope":
        return _("the Slack app lacks the permission %(scope)s: add it and reinstall the app (%(words)s)") % {
            "scope": data.get("needed") or "?",
            "words": words,
        }
    return _("Slack refused the message (%(words)s)") % {"words": words}


def _words(status: int, code: str, data: dict, response) -> str:
    """Slack's own words: the HTTP status, the error code, and any detail messages it gave."""
    details = (data.get("response_metadata") or {}).get("messages") or []
    text = code or response.text[:200]
    return " ".join([f"HTTP {status}", text, *[str(d) for d in details[:3]]]).strip()


def _names_notice(message: dict, notice_id) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == EVENT_TYPE and str(payload.get("notice_id")) == str(notice_id)


def _slack_ts(when: datetime | float | str) -> str:
    if isinstance(when, datetime):
        return f"{when.timestamp():.6f}"
    return str(when)


def _url(base_url: str, method: str) -> str:
    return f"{base_url.rstrip('/')}/{method}"


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _json(response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
