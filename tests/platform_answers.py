"""The platforms' own answers, as their documentation and real traffic show them, for platform_servers.

X API v2 errors are problem objects ({"title", "detail", "type", "status"}; invalid requests add "errors":
[{"parameters", "message"}]); Google APIs answer {"error": {"code", "message", "status"}}; the Graph API answers
{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}, mostly with HTTP 400.
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field

HANG = "hang"  # take the request (it is posted) and never answer; the client's timeout ends it
CLOSE = "close"  # take the request (it is posted) and close the connection without an answer
BROKEN = "broken"  # take the request (it is posted), start a success answer and break it off


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict | str | bytes | None = None
    headers: dict = field(default_factory=dict)


def x_problem(status: int, title: str, detail: str, kind: str = "about:blank", **extra) -> Answer:
    return Answer(status, {"title": title, "detail": detail, "type": kind, "status": status, **extra})


def x_invalid_request(message: str, parameters: dict | None = None) -> Answer:
    body = {
        "errors": [{"parameters": parameters or {}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    return Answer(400, body)


def x_unauthorized() -> Answer:
    return x_problem(401, "Unauthorized", "Unauthorized")


def x_forbidden(detail: str) -> Answer:
    return x_problem(403, "Forbidden", detail)


def x_duplicate() -> Answer:
    return x_forbidden("You are not allowed to create a Tweet with duplicate content.")


def x_rate_limited(reset: int, *, limit: str = "x-rate-limit") -> Answer:
    headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
    if limit != "x-rate-limit":
        headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "42", "x-rate-limit-reset": "1"}
        headers |= {f"{limit}-limit": "17", f"{limit}-remaining": "0", f"{limit}-reset": str(reset)}
    return Answer(
        429,
        {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
        headers,
    )


def play_error(code: int, status: str, message: str, *, reason: str = "", headers: dict | None = None) -> Answer:
    error = {"code": code, "message": message, "status": status}
    if reason:
        error["errors"] = [{"message": message, "domain": "global", "reason": reason}]
    return Answer(code, {"error": error}, headers or {})


def play_unauthenticated() -> Answer:
    return play_error(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
        "valid authentication credential.",
    )


def facebook_error(
    code: int,
    message: str,
    *,
    kind: str = "OAuthException",
    subcode: int | None = None,
    status: int = 400,
    headers: dict | None = None,
) -> Answer:
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AzLocalTrace01"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Answer(status, {"error": error}, headers or {})


def business_use_case_usage(minutes: int) -> dict:
    """The header Graph adds for Page tokens: how much of the limit is used, and when access comes back."""
    usage = {
        "1000": [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 12,
                "total_time": 30,
                "estimated_time_to_regain_access": minutes,
            }
        ]
    }
    return {"X-Business-Use-Case-Usage": json.dumps(usage)}


def appsecret_proof(app_secret: str, token: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def unavailable(platform: str, *, status: int = 503, retry_after: int | None = None) -> Answer:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    if platform == "x":
        title = "Service Unavailable" if status == 503 else "Internal Server Error"
        return Answer(status, x_problem(status, title, title).body, headers)
    if platform == "google_play":
        grpc = "UNAVAILABLE" if status == 503 else "INTERNAL"
        message = "The service is currently unavailable." if status == 503 else "Internal error encountered."
        return play_error(status, grpc, message, headers=headers)
    if platform == "facebook":
        return facebook_error(
            2, "An unexpected error has occurred. Please retry your request later.", status=status, headers=headers
        )
    return Answer(status, {"error": "temporarily_unavailable"}, headers)


def rate_limited(platform: str, *, seconds: int) -> Answer:
    if platform == "x":
        return x_rate_limited(int(time.time()) + seconds)
    if platform == "google_play":
        return play_error(
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Queries'.",
            headers={"Retry-After": str(seconds)},
        )
    # Graph counts in minutes; a shorter wait sends no estimate, and the outbox's own backoff decides.
    headers = business_use_case_usage(seconds // 60) if seconds >= 60 else {}
    return facebook_error(32, "(#32) Page request limit reached", headers=headers)


def not_found(platform: str) -> Answer:
    if platform == "google_play":
        return play_error(404, "NOT_FOUND", "Requested entity was not found.")
    if platform == "facebook":
        return facebook_error(100, "Unknown path components", kind="OAuthException")
    return x_problem(404, "Not Found Error", "The requested resource was not found.")
