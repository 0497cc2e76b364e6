"""Fetching an X channel's mentions: GET /2/users/{id}/mentions with the app's bearer token, since the newest post
the portal has, next_token page by page. Each page goes through the file importer's checks and writes
(XImporter), so a page is taken in exactly as a saved payload would be.
"""

import re
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from queues.models import Channel, FetchCursor
from queues.platforms import responses
from queues.platforms.fetching import (
    FetchError,
    Outcome,
    PageProblem,
    RateLimited,
    cursor_of,
    get_json,
    rate_limited_note,
    refused,
    unexpected,
)
from queues.platforms.x.client import _reset, _words
from queues.platforms.x.importer import XImporter

# What the importer reads; in_reply_to_user_id in the expansions puts the brand account in includes.users.
PARAMS = {
    "max_results": "100",
    "tweet.fields": "author_id,conversation_id,created_at,in_reply_to_user_id,referenced_tweets,entities,lang",
    "expansions": "author_id,in_reply_to_user_id",
    "user.fields": "name,username",
}
_POST_PATH = re.compile(r"^data\[(\d+)\]")


class XPageImporter(XImporter):
    """One page of the mentions timeline: the file importer's checks and writes, with problems that name the
    channel, the page and the post's id."""

    def __init__(self, source: str, text: str, document: dict):
        super().__init__(source, text=text)
        self.source, self.document = source, document
        self.details = {"fetched_from": "x:mentions"}

    def problem(self, where: str, problem: str) -> PageProblem:
        match = _POST_PATH.match(where)
        data = self.document.get("data")
        if match and isinstance(data, list) and int(match[1]) < len(data) and isinstance(data[int(match[1])], dict):
            post_id = data[int(match[1])].get("id")
            where = _("post %(id)s (%(path)s)") % {"id": post_id if post_id is not None else "?", "path": where}
        return PageProblem(self.source, where, problem)


def fetch_channel(channel: Channel, secrets: dict, *, dry_run: bool = False, session=None) -> Outcome:
    """Take in the channel's new mentions. Raises FetchError (credentials refused, no answer, a page not
    understood), or PageProblem (a page with a bad post: nothing from it written)."""
    if not secrets.get("bearer_token"):
        raise FetchError(
            _("%(channel)s: the credentials file has no bearer_token, which reading mentions needs")
            % {"channel": channel.account}
        )
    base = settings.X_API_URL.rstrip("/")
    headers = {"Authorization": f"Bearer {secrets['bearer_token']}"}
    outcome = Outcome(channel)
    cursor = cursor_of(channel)
    try:
        account_id = cursor.account_id or _account_id(channel, base, headers, outcome, session)
    except RateLimited as limited:
        outcome.note = rate_limited_note(limited.until)
        return outcome
    if not cursor.account_id and not dry_run:
        FetchCursor.objects.update_or_create(channel=channel, defaults={"account_id": account_id})

    # A run that stopped between pages goes on with its page token; its since_id is still the old one.
    params = dict(PARAMS)
    if cursor.since_id:
        params["since_id"] = cursor.since_id
    token, newest = cursor.page_token, cursor.pending_since_id
    pages, restarted = [], False
    url = f"{base}/2/users/{quote(account_id, safe='')}/mentions"
    while True:
        if token:
            params["pagination_token"] = token
        try:
            text, document = _page(channel, url, params, headers, outcome, session, number=len(pages) + 1)
        except RateLimited as limited:
            outcome.note = rate_limited_note(limited.until)
            break
        except _StaleToken as stale:
            if not cursor.page_token or restarted:
                raise stale.error from None
            # The page token a stopped run kept is no longer taken: read from since_id again, which is harmless.
            restarted, token, newest, pages = True, "", "", []
            params.pop("pagination_token", None)
            continue
        meta = document.get("meta") if isinstance(document.get("meta"), dict) else {}
        newest = newest or _digits(meta.get("newest_id")) or _newest(document)
        pages.append((text, document))
        token = meta.get("next_token") if isinstance(meta.get("next_token"), str) else ""
        if not token:
            break
    finished, moved = not token, False
    # Oldest page first: a thread's first post becomes its conversation before its follow-ups.
    for index, (text, document) in reversed(list(enumerate(pages))):
        if not document.get("data"):
            continue
        source = _("%(channel)s: mentions page %(n)d") % {"channel": channel.account, "n": index + 1}
        with transaction.atomic():
            outcome.add(XPageImporter(source, text, document).run(dry_run=dry_run))
            if index == 0 and not dry_run:
                _move(channel, finished=finished, token=token, newest=newest)
                moved = True
    # Nothing was written but where the run stands changed: a stopped run's pages are all in, or this one stopped.
    if not moved and not dry_run and pages and (cursor.page_token or not finished):
        with transaction.atomic():
            _move(channel, finished=finished, token=token, newest=newest)
    return outcome


def _move(channel: Channel, *, finished: bool, token: str, newest: str) -> None:
    """Under the cursor's row lock; since_id only ever goes forward (two overlapping runs on SQLite)."""
    cursor, _created = FetchCursor.objects.select_for_update().get_or_create(channel=channel)
    if finished:
        if newest and (not cursor.since_id or int(newest) > int(cursor.since_id)):
            cursor.since_id = newest
        cursor.page_token = cursor.pending_since_id = ""
    else:
        cursor.page_token, cursor.pending_since_id = token, newest
    cursor.save()


def _account_id(channel: Channel, base: str, headers: dict, outcome: Outcome, session) -> str:
    handle = channel.account.removeprefix("@")
    url = f"{base}/2/users/by/username/{quote(handle, safe='')}"
    response, document = get_json(channel, url, outcome=outcome, session=session, what=url, headers=headers)
    _check(channel, response, document)
    user = document.get("data")
    account_id = _digits(user.get("id")) if isinstance(user, dict) else ""
    if not account_id:
        raise FetchError(
            _("%(channel)s: X has no user %(handle)s (%(words)s)")
            % {"channel": channel.account, "handle": handle, "words": _words(response, document)}
        )
    return account_id


def _page(channel, url, params, headers, outcome, session, *, number: int) -> tuple[str, dict]:
    what = _("mentions page %(n)d") % {"n": number}
    response, document = get_json(
        channel, url, outcome=outcome, session=session, what=what, params=params, headers=headers
    )
    if response.status_code == 400 and "pagination_token" in params:
        raise _StaleToken(unexpected(channel, response, _words(response, document)))
    _check(channel, response, document)
    meta = document.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise PageProblem(f"{channel.account}: {what}", "meta", _("must be an object"))
    return response.text, document


class _StaleToken(Exception):
    def __init__(self, error: FetchError):
        super().__init__(error)
        self.error = error


def _check(channel: Channel, response, document: dict) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429:
        raise RateLimited(_reset(response))
    if status in (401, 403):
        raise refused(channel, response, _words(response, document))
    raise unexpected(channel, response, _words(response, document) or responses.body_words(response))


def _digits(value) -> str:
    return value if isinstance(value, str) and value.isascii() and value.isdigit() else ""


def _newest(document: dict) -> str:
    data = document.get("data") if isinstance(document.get("data"), list) else []
    ids = [int(post["id"]) for post in data if isinstance(post, dict) and _digits(post.get("id"))]
    return str(max(ids)) if ids else ""
