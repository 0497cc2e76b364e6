"""The platforms' reading side, on top of platform_servers' local server: X's mentions timeline and user lookup, the
Play reviews list, and the Graph API's Page feed with comments. Pages are cut from what a test put in, with the
platforms' paging (X next_token/pagination_token and since_id, Play tokenPagination, Graph cursors and paging.next),
their authentication (X's app bearer token, Play's token from the server's own token endpoint, the Page token) and
their error bodies. Needs neither pytest nor Django, so bench/ uses it too.
"""

import json
import re
import threading
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from tests import platform_answers as answers
from tests.platform_answers import Answer
from tests.platform_servers import PlatformServer, Received

X_BEARER = "AAAAAAAAAAAAAAAAAAAAAlocal-app-only-bearer"
PASS = "pass"  # a queued answer that lets the request be served as usual (to queue an error for a later one)
X_USER = re.compile(r"^/2/users/by/username/(?P<handle>[^/]+)$")
X_MENTIONS = re.compile(r"^/2/users/(?P<id>[^/]+)/mentions$")
PLAY_REVIEWS = re.compile(r"^/androidpublisher/v3/applications/(?P<package>[^/]+)/reviews$")
GRAPH_FEED = re.compile(r"^/v\d+\.\d+/(?P<page>[^/]+)/feed$")
GRAPH_COMMENTS = re.compile(r"^/v\d+\.\d+/(?P<post>[^/]+)/comments$")


class FeedServer(PlatformServer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.feed_lock = threading.Lock()
        self.x_users: dict[str, dict] = {}  # handle (lower case) -> {"id", "name", "username"}
        self.x_posts: list[dict] = []  # every post X has, any order
        self.x_authors: dict[str, dict] = {}  # user id -> user, for includes.users
        self.play_reviews: dict[str, list[dict]] = {}  # package -> reviews, most recently modified first
        self.graph_posts: dict[str, list[dict]] = {}  # page id -> posts, newest first, each with "comments": [...]
        self.gets: list[Received] = []

    # What tests put in.

    def add_x_user(self, user: dict) -> None:
        self.x_users[user["username"].lower()] = user
        self.x_authors[user["id"]] = user

    def add_x_posts(self, posts: list[dict], users: list[dict]) -> None:
        with self.feed_lock:
            self.x_posts.extend(posts)
            for user in users:
                self.x_authors[user["id"]] = user

    def get_requests(self, path_prefix: str = "") -> list[Received]:
        with self._lock:
            return [r for r in self.gets if r.path.startswith(path_prefix)]

    # Serving.

    def handle(self, handler, method: str):
        if method != "GET":
            return super().handle(handler, method)
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query))
        request = Received("get", method, parts.path, dict(handler.headers), b"")
        request.query = query
        with self._lock:
            self.gets.append(request)
        for pattern, serve, platform in (
            (X_USER, self._x_user, "x"),
            (X_MENTIONS, self._x_mentions, "x"),
            (PLAY_REVIEWS, self._play_reviews, "google_play"),
            (GRAPH_FEED, self._graph_feed, "facebook"),
            (GRAPH_COMMENTS, self._graph_comments, "facebook"),
        ):
            match = pattern.match(parts.path)
            if match is None:
                continue
            request.platform = platform
            queued = self._pop(platform)
            if queued is not None and queued != PASS:
                return request, queued
            refusal = self._read_refusal(platform, handler, query)
            return request, refusal or serve(match, query)
        return request, answers.not_found("")

    def _read_refusal(self, platform: str, handler, query: dict) -> Answer | None:
        bearer = handler.headers.get("Authorization", "").removeprefix("Bearer ")
        if platform == "x" and bearer != X_BEARER:
            return answers.x_unauthorized()
        if platform == "google_play":
            with self._lock:
                known = bearer in self._tokens
            if not known:
                return answers.play_unauthenticated()
        if platform == "facebook" and query.get("access_token") != self.facebook_secrets["page_access_token"]:
            return answers.facebook_error(190, "Invalid OAuth access token - Cannot parse access token")
        return None

    def _x_user(self, match, query) -> Answer:
        user = self.x_users.get(unquote(match["handle"]).lower())
        if user is None:
            return Answer(
                200,
                {
                    "errors": [
                        {
                            "value": unquote(match["handle"]),
                            "detail": f"Could not find user with username: [{unquote(match['handle'])}].",
                            "title": "Not Found Error",
                            "resource_type": "user",
                            "parameter": "username",
                            "resource_id": unquote(match["handle"]),
                            "type": "https://api.twitter.com/2/problems/resource-not-found",
                        }
                    ]
                },
            )
        return Answer(200, {"data": user})

    def _x_mentions(self, match, query) -> Answer:
        """Newest first; since_id excludes it and older; max_results 5..100; pagination_token from next_token."""
        account = unquote(match["id"])
        handle = next((u["username"] for u in self.x_users.values() if u["id"] == account), None)
        size = int(query.get("max_results", "10"))
        if not 5 <= size <= 100:
            return answers.x_invalid_request("The `max_results` query parameter value is not between 5 and 100")
        with self.feed_lock:
            posts = [
                p
                for p in self.x_posts
                if handle and any(m.get("username", "").lower() == handle.lower() for m in _mentions(p))
            ]
        posts.sort(key=lambda p: int(p["id"]), reverse=True)
        if query.get("since_id"):
            posts = [p for p in posts if int(p["id"]) > int(query["since_id"])]
        token = query.get("pagination_token", "0") or "0"
        if not token.isdigit():
            return answers.x_invalid_request(
                f"The `pagination_token` query parameter value [{token}] is not valid",
                {"pagination_token": [token]},
            )
        start = int(token)
        page = posts[start : start + size]
        if not page:
            return Answer(200, {"meta": {"result_count": 0}})
        meta = {"result_count": len(page), "newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
        if start + size < len(posts):
            meta["next_token"] = str(start + size)
        ids = {p["author_id"] for p in page} | {p.get("in_reply_to_user_id") for p in page}
        users = [self.x_authors[i] for i in sorted(i for i in ids if i and i in self.x_authors)]
        return Answer(200, {"data": page, "includes": {"users": users}, "meta": meta})

    def _play_reviews(self, match, query) -> Answer:
        package = unquote(match["package"])
        size = int(query.get("maxResults", "10"))
        start = int(query.get("token", "0") or 0)
        reviews = self.play_reviews.get(package)
        if reviews is None:
            return answers.play_error(404, "NOT_FOUND", "No application was found for the given package name.")
        page = reviews[start : start + size]
        body = {"pageInfo": {"totalResults": len(page), "resultPerPage": size, "startIndex": start}, "reviews": page}
        if start + size < len(reviews):
            body["tokenPagination"] = {"nextPageToken": str(start + size)}
        return Answer(200, body)

    def _graph_feed(self, match, query) -> Answer:
        page_id = unquote(match["page"])
        posts = self.graph_posts.get(page_id, [])
        size = int(query.get("limit", "25"))
        start = int(query.get("after", "0") or 0)
        data = []
        for post in posts[start : start + size]:
            item = {k: v for k, v in post.items() if k != "comments"}
            comments = self._comment_page(post["id"], post.get("comments", []), 0, 25)
            if comments["data"]:
                item["comments"] = comments
            data.append(item)
        body = {"data": data, "paging": {"cursors": {"before": str(start), "after": str(start + len(data))}}}
        if start + size < len(posts):
            body["paging"]["next"] = f"{self.url}/v21.0/{quote(page_id)}/feed?after={start + size}&limit={size}"
        return Answer(200, body)

    def _graph_comments(self, match, query) -> Answer:
        post_id = unquote(match["post"])
        post = next((p for posts in self.graph_posts.values() for p in posts if p["id"] == post_id), None)
        if post is None:
            return answers.facebook_error(100, f"Unsupported get request. Object with ID '{post_id}' does not exist")
        start = int(query.get("after", "0") or 0)
        return Answer(200, self._comment_page(post_id, post.get("comments", []), start, int(query.get("limit", "25"))))

    def _comment_page(self, post_id: str, comments: list, start: int, size: int) -> dict:
        page = comments[start : start + size]
        body = {"data": page, "paging": {"cursors": {"before": str(start), "after": str(start + len(page))}}}
        if start + size < len(comments):
            token = self.facebook_secrets["page_access_token"]
            body["paging"]["next"] = (
                f"{self.url}/v21.0/{quote(post_id)}/comments?access_token={token}&filter=stream"
                f"&limit={size}&after={start + size}"
            )
        return body


def _mentions(post: dict) -> list:
    entities = post.get("entities") if isinstance(post.get("entities"), dict) else {}
    mentions = entities.get("mentions")
    return [m for m in mentions if isinstance(m, dict)] if isinstance(mentions, list) else []


def dumps(value) -> str:
    return json.dumps(value)
