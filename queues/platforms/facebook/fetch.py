"""Catching up on a Facebook Page's comments the webhook missed: GET /{page-id}/feed with the Page's recent posts and
their comments (filter=stream: replies too, each naming its parent), following each post's comment pages
(paging.next). Everything goes through the same rules as the webhook (comments.py): reading it again is harmless.
"""

import hashlib
import hmac

from django.conf import settings
from django.utils.translation import gettext as _

from queues.models import Channel
from queues.platforms import responses
from queues.platforms.facebook.client import GRAPH_VERSION, PERMISSION, THROTTLED, TOKEN, _regain_access
from queues.platforms.facebook.comments import GraphComments
from queues.platforms.fetching import (
    Outcome,
    PageProblem,
    RateLimited,
    get_json,
    rate_limited_note,
    refused,
    unexpected,
)

# The Page's most recent posts: older ones rarely get new comments, and the webhook brings those anyway.
RECENT_POSTS = 25
COMMENT_FIELDS = "id,message,from,created_time,parent{id},permalink_url"
# A post with more comment pages than this is read again from its first page next time; it is a storm, and the
# webhook is the way its comments arrive.
MAX_COMMENT_PAGES = 20


def fetch_channel(channel: Channel, secrets: dict, *, dry_run: bool = False, session=None) -> Outcome:
    outcome = Outcome(channel)
    page_id, token = secrets["page_id"], secrets["page_access_token"]
    auth = {"access_token": token}
    if secrets.get("app_secret"):
        auth["appsecret_proof"] = hmac.new(secrets["app_secret"].encode(), token.encode(), hashlib.sha256).hexdigest()
    url = f"{settings.FACEBOOK_GRAPH_URL.rstrip('/')}/{GRAPH_VERSION}/{page_id}/feed"
    params = {
        "fields": f"id,created_time,comments.filter(stream).limit(100){{{COMMENT_FIELDS}}}",
        "limit": RECENT_POSTS,
        **auth,
    }
    source = _("%(channel)s: feed") % {"channel": channel.account}
    try:
        document = _get(channel, url, params, outcome, session, source)
        items = []
        posts = document.get("data")
        if not isinstance(posts, list):
            raise PageProblem(source, "data", _("must be a list of posts"))
        for index, post in enumerate(posts):
            items += _comments(channel, post, f"data[{index}]", source, auth, outcome, session)
    except RateLimited as limited:
        outcome.note = rate_limited_note(limited.until)
        return outcome
    if items:
        importer = GraphComments(
            source, channel=channel, page_id=page_id, items=items, details={"fetched_from": "facebook:feed"}
        )
        outcome.add(importer.run(dry_run=dry_run))
    return outcome


def _comments(channel, post, where: str, source: str, auth: dict, outcome, session) -> list:
    if not isinstance(post, dict):
        raise PageProblem(source, where, _("must be an object"))
    comments = post.get("comments", {"data": []})
    found, pages = [], 0
    while True:
        where_comments = f"{where}.comments" if pages == 0 else f"{where}.comments (page {pages + 1})"
        if not isinstance(comments, dict) or not isinstance(comments.get("data"), list):
            raise PageProblem(source, where_comments, _("must be an object with a list of comments"))
        found += [(f"{where_comments}.data[{n}]", item) for n, item in enumerate(comments["data"])]
        paging = comments.get("paging") if isinstance(comments.get("paging"), dict) else {}
        following = paging.get("next")
        pages += 1
        if not following or pages >= MAX_COMMENT_PAGES:
            return found
        if not isinstance(following, str) or not following.startswith(settings.FACEBOOK_GRAPH_URL.rstrip("/") + "/"):
            # A paging link elsewhere would carry the Page's token there.
            raise PageProblem(source, f"{where_comments}.paging.next", _("is not a Graph API address"))
        comments = _get(channel, following, auth, outcome, session, source)


def _get(channel, url: str, params: dict, outcome, session, what: str) -> dict:
    response, document = get_json(channel, url, outcome=outcome, session=session, what=what, params=params)
    status = response.status_code
    if 200 <= status < 300 and "error" not in document:
        return document
    error = document.get("error") if isinstance(document.get("error"), dict) else {}
    words = responses.words(error["message"]) if error.get("message") else responses.body_words(response)
    try:
        code = int(error.get("code"))
    except (TypeError, ValueError):
        code = None
    if code in THROTTLED or status == 429:
        raise RateLimited(_regain_access(response))
    if code in TOKEN or code in PERMISSION or status in (401, 403):
        raise refused(channel, response, words)
    raise unexpected(channel, response, words)
