"""Each platform's reply client against a local server that speaks the platform's contract (tests/platform_servers)."""

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from queues.platforms import transport
from queues.platforms.facebook import client as facebook
from queues.platforms.google_play import client as google_play
from queues.platforms.transport import AlreadyPosted, Failed, RetryLater, Sent, Unknown
from queues.platforms.x import client as x
from tests import platform_answers as answers
from tests.platform_answers import BROKEN, CLOSE, HANG, Answer
from tests.platform_servers import FACEBOOK, FACEBOOK_SECRETS, PLAY, TOKEN, X_SECRETS, PlatformServer, X, refused_url

PACKAGE, REVIEW = "org.mozilla.firefox", "gp:AOqpTOH1_review"


@pytest.fixture
def server():
    with PlatformServer() as running:
        yield running


@pytest.fixture(autouse=True)
def no_cached_tokens():
    google_play.forget_tokens()
    yield
    google_play.forget_tokens()


@pytest.fixture
def short_wait(monkeypatch):
    """A server that never answers is given up on after a second instead of twenty."""
    monkeypatch.setattr(transport, "READ_TIMEOUT", 1)


@pytest.fixture
def play_secrets(server, tmp_path):
    return {"service_account_file": server.service_account(tmp_path / "play-service-account.json")}


def send_x(server, **kwargs):
    kwargs = {"secrets": X_SECRETS, "text": "We're on it.", "in_reply_to_tweet_id": "1790000000000000001", **kwargs}
    return x.send_reply(base_url=kwargs.pop("base_url", server.url), **kwargs)


def send_play(server, secrets, **kwargs):
    kwargs = {"package": PACKAGE, "review_id": REVIEW, "text": "Thanks, fixed in 128.", **kwargs}
    return google_play.send_reply(secrets=secrets, base_url=kwargs.pop("base_url", server.url), **kwargs)


def send_facebook(server, **kwargs):
    kwargs = {"secrets": FACEBOOK_SECRETS, "comment_id": "1000_2000", "text": "Sorry about that!", **kwargs}
    return facebook.send_reply(base_url=kwargs.pop("base_url", server.url), **kwargs)


def around(when: datetime, expected: datetime) -> bool:
    return abs((when - expected).total_seconds()) < 60


# X


def test_x_reply_arrives_as_a_signed_reply_and_returns_the_new_post_id(server):
    sent = send_x(server)

    (request,) = server.received(X)
    assert (request.method, request.path, request.answer) == ("POST", "/2/tweets", "201")
    assert request.json() == {"text": "We're on it.", "reply": {"in_reply_to_tweet_id": "1790000000000000001"}}
    # The server checked the HMAC-SHA1 signature against the account's four secrets; 201 means it matched.
    assert request.headers["Authorization"].startswith("OAuth ")
    assert 'oauth_consumer_key="local-consumer-key"' in request.headers["Authorization"]
    post = request.answer_body["data"]
    assert sent == Sent(external_id=post["id"], status=201, details=post)


def test_x_refuses_a_request_signed_with_the_wrong_secret_and_the_reply_fails_pointing_at_the_credentials(server):
    with pytest.raises(Failed) as caught:
        send_x(server, secrets={**X_SECRETS, "access_token_secret": "stale"})

    assert caught.value.status == 401
    assert "X refused the channel's credentials (Unauthorized)" in caught.value.reason
    assert server.posted_counts(X) == {}


def test_x_invalid_request_fails_with_xs_own_words(server):
    message = "The `reply.in_reply_to_tweet_id` query parameter value [abc] is not valid"
    server.answer(X, answers.x_invalid_request(message, {"reply.in_reply_to_tweet_id": ["abc"]}))

    with pytest.raises(Failed) as caught:
        send_x(server, in_reply_to_tweet_id="abc")

    assert (caught.value.reason, caught.value.status, caught.value.code) == (message, 400, "invalid-request")
    assert not isinstance(caught.value, AlreadyPosted)


def test_x_reply_to_a_deleted_post_fails_with_xs_words(server):
    server.answer(X, answers.x_forbidden("You attempted to reply to a Tweet that is deleted or not visible to you."))

    with pytest.raises(Failed) as caught:
        send_x(server)

    assert caught.value.reason == "You attempted to reply to a Tweet that is deleted or not visible to you."
    assert caught.value.status == 403
    assert not isinstance(caught.value, AlreadyPosted)


def test_x_duplicate_content_says_already_posted_so_an_unknown_attempt_can_be_marked_sent(server):
    server.answer(X, answers.x_duplicate())

    with pytest.raises(AlreadyPosted) as caught:
        send_x(server)

    assert caught.value.reason == "You are not allowed to create a Tweet with duplicate content."
    assert (caught.value.status, caught.value.code) == (403, "duplicate-content")
    assert isinstance(caught.value, Failed)  # an outbox that knows nothing more never re-sends it


def test_x_rate_limit_waits_until_the_reset_header(server):
    reset = int(time.time()) + 600
    server.answer(X, answers.x_rate_limited(reset))

    with pytest.raises(RetryLater) as caught:
        send_x(server)

    assert caught.value.not_before == datetime.fromtimestamp(reset, tz=UTC)
    assert caught.value.status == 429
    assert "Too Many Requests" in caught.value.reason


def test_x_daily_posting_cap_waits_for_its_own_reset_not_the_fifteen_minute_one(server):
    reset = int(time.time()) + 20 * 3600
    server.answer(X, answers.x_rate_limited(reset, limit="x-user-limit-24hour"))

    with pytest.raises(RetryLater) as caught:
        send_x(server)

    assert caught.value.not_before == datetime.fromtimestamp(reset, tz=UTC)


@pytest.mark.parametrize("status", [500, 503])
def test_x_server_errors_are_retried_later(server, status):
    server.answer(X, answers.unavailable(X, status=status))

    with pytest.raises(RetryLater) as caught:
        send_x(server)

    assert caught.value.status == status
    assert caught.value.reason in ("Service Unavailable", "Internal Server Error")


@pytest.mark.parametrize("behaviour", [HANG, CLOSE, BROKEN])
def test_x_request_taken_but_never_answered_is_unknown_because_it_may_be_posted(server, short_wait, behaviour):
    server.answer(X, behaviour)

    with pytest.raises(Unknown):
        send_x(server)

    assert sum(server.posted_counts(X).values()) == 1  # it was posted: sending it again would post twice


def test_x_connection_refused_is_retried_later(server):
    with pytest.raises(RetryLater):
        send_x(server, base_url=refused_url())


# Google Play


def test_play_reply_arrives_with_a_token_from_the_service_accounts_token_uri(server, play_secrets):
    sent = send_play(server, play_secrets)
    send_play(server, play_secrets, text="Thanks, fixed in 129.")

    token_request, first, second = server.received()
    assert (token_request.platform, token_request.form()["grant_type"]) == (
        TOKEN,
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
    )
    assert first.headers["Authorization"] == f"Bearer {token_request.answer_body['access_token']}"
    assert first.path == "/androidpublisher/v3/applications/org.mozilla.firefox/reviews/gp%3AAOqpTOH1_review:reply"
    assert first.json() == {"replyText": "Thanks, fixed in 128."}
    assert second.headers["Authorization"] == first.headers["Authorization"]  # the token is kept, not re-fetched
    assert sent.status == 200 and sent.details["replyText"] == "Thanks, fixed in 128."
    # The second reply replaced the first, as on Google Play.
    assert server.play_replies == {(PACKAGE, REVIEW): "Thanks, fixed in 129."}


def test_play_invalid_argument_fails_with_googles_words(server, play_secrets):
    server.answer(PLAY, answers.play_error(400, "INVALID_ARGUMENT", "Reply text is too long.", reason="badRequest"))

    with pytest.raises(Failed) as caught:
        send_play(server, play_secrets, text="x" * 400)

    assert (caught.value.reason, caught.value.status, caught.value.code) == (
        "Reply text is too long.",
        400,
        "INVALID_ARGUMENT",
    )


def test_play_review_that_is_gone_fails(server, play_secrets):
    server.answer(PLAY, answers.play_error(404, "NOT_FOUND", "No review found for the given review id."))

    with pytest.raises(Failed) as caught:
        send_play(server, play_secrets)

    assert (caught.value.reason, caught.value.status) == ("No review found for the given review id.", 404)


def test_play_rejected_token_is_renewed_once_and_the_reply_goes_through(server, play_secrets):
    send_play(server, play_secrets)
    server.revoke_play_tokens()

    sent = send_play(server, play_secrets, text="Second try")

    assert isinstance(sent, Sent)
    statuses = [(r.platform, r.answer) for r in server.received()]
    assert statuses == [(TOKEN, "200"), (PLAY, "200"), (PLAY, "401"), (TOKEN, "200"), (PLAY, "200")]


def test_play_token_rejected_twice_fails(server, play_secrets):
    server.answer(PLAY, answers.play_unauthenticated(), answers.play_unauthenticated())

    with pytest.raises(Failed) as caught:
        send_play(server, play_secrets)

    assert caught.value.status == 401
    assert "refused the service account's token twice" in caught.value.reason
    assert [r.platform for r in server.received()] == [TOKEN, PLAY, TOKEN, PLAY]


def test_play_permission_denied_fails_naming_what_the_service_account_needs(server, play_secrets):
    server.answer(PLAY, answers.play_error(403, "PERMISSION_DENIED", "The caller does not have permission"))

    with pytest.raises(Failed) as caught:
        send_play(server, play_secrets)

    assert "The caller does not have permission" in caught.value.reason
    assert "permission to reply to reviews" in caught.value.reason


def test_play_token_endpoint_refusing_the_service_account_fails_and_sends_nothing(server, play_secrets):
    server.answer(TOKEN, Answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}))

    with pytest.raises(Failed) as caught:
        send_play(server, play_secrets)

    assert "invalid_grant: Invalid JWT Signature." in caught.value.reason
    assert "replies@portal-tests.iam.gserviceaccount.com" in caught.value.reason
    assert server.received(PLAY) == []


def test_play_quota_exhausted_waits_as_long_as_retry_after_says(server, play_secrets):
    server.answer(PLAY, answers.rate_limited(PLAY, seconds=120))
    before = datetime.now(UTC)

    with pytest.raises(RetryLater) as caught:
        send_play(server, play_secrets)

    assert around(caught.value.not_before, before + timedelta(seconds=120))
    assert (caught.value.status, caught.value.code) == (429, "RESOURCE_EXHAUSTED")


@pytest.mark.parametrize("status", [500, 503])
def test_play_server_errors_are_retried_later(server, play_secrets, status):
    server.answer(PLAY, answers.unavailable(PLAY, status=status))

    with pytest.raises(RetryLater) as caught:
        send_play(server, play_secrets)

    assert caught.value.status == status


@pytest.mark.parametrize("behaviour", [HANG, CLOSE, BROKEN])
def test_play_request_never_answered_is_retried_because_a_reply_replaces_the_last(
    server, play_secrets, monkeypatch, behaviour
):
    send_play(server, play_secrets)  # the token is fetched with the normal timeouts
    monkeypatch.setattr(transport, "READ_TIMEOUT", 1)
    server.answer(PLAY, behaviour)

    with pytest.raises(RetryLater):
        send_play(server, play_secrets)


def test_play_connection_refused_is_retried_later(server, play_secrets):
    with pytest.raises(RetryLater):
        send_play(server, play_secrets, base_url=refused_url())


def test_play_token_endpoint_unreachable_is_retried_later(server, play_secrets):
    path = Path(play_secrets["service_account_file"])
    info = json.loads(path.read_text())
    path.write_text(json.dumps({**info, "token_uri": f"{refused_url()}/token"}))

    with pytest.raises(RetryLater, match="token endpoint"):
        send_play(server, play_secrets)


def test_play_missing_service_account_file_fails_naming_it(server, tmp_path):
    with pytest.raises(Failed, match="gone.json cannot be read"):
        send_play(server, {"service_account_file": str(tmp_path / "gone.json")})


# Facebook


def test_facebook_reply_arrives_with_the_page_token_and_returns_the_new_comment_id(server):
    sent = send_facebook(server)

    (request,) = server.received(FACEBOOK)
    assert (request.path, request.answer) == ("/v21.0/1000_2000/comments", "200")
    form = request.form()
    assert form["message"] == "Sorry about that!"
    assert form["access_token"] == "local-page-token"
    assert form["appsecret_proof"] == answers.appsecret_proof("local-app-secret", "local-page-token")
    assert "access_token" not in request.path
    assert sent == Sent(external_id=request.answer_body["id"], status=200, details=request.answer_body)


def test_facebook_expired_token_fails_telling_an_admin_to_renew_it(server):
    with pytest.raises(Failed) as caught:
        send_facebook(server, secrets={**FACEBOOK_SECRETS, "page_access_token": "expired"})

    assert "Invalid OAuth access token - Cannot parse access token" in caught.value.reason
    assert "an admin must renew it" in caught.value.reason
    assert (caught.value.status, caught.value.code) == (400, "190")


@pytest.mark.parametrize("code", [10, 200])
def test_facebook_missing_permission_fails(server, code):
    server.answer(FACEBOOK, answers.facebook_error(code, "(#200) Permissions error", status=403))

    with pytest.raises(Failed) as caught:
        send_facebook(server)

    assert "(#200) Permissions error" in caught.value.reason
    assert "an admin must grant the app the Page's permission" in caught.value.reason


def test_facebook_comment_that_is_gone_fails_with_graphs_words(server):
    words = (
        "Unsupported post request. Object with ID '1000_2000' does not exist, cannot be loaded due to missing "
        "permissions, or does not support this operation."
    )
    server.answer(FACEBOOK, answers.facebook_error(100, words, kind="GraphMethodException", subcode=33))

    with pytest.raises(Failed) as caught:
        send_facebook(server)

    assert (caught.value.reason, caught.value.code) == (words, "100/33")


@pytest.mark.parametrize("code", [4, 17, 32, 613, 368])
def test_facebook_throttling_backs_off(server, code):
    server.answer(FACEBOOK, answers.facebook_error(code, f"(#{code}) Request limit reached"))

    with pytest.raises(RetryLater) as caught:
        send_facebook(server)

    assert (caught.value.code, caught.value.not_before) == (str(code), None)  # None: the outbox's backoff


def test_facebook_page_limit_waits_as_long_as_graph_estimates(server):
    headers = answers.business_use_case_usage(minutes=7)
    server.answer(FACEBOOK, answers.facebook_error(32, "(#32) Page request limit reached", headers=headers))
    before = datetime.now(UTC)

    with pytest.raises(RetryLater) as caught:
        send_facebook(server)

    assert around(caught.value.not_before, before + timedelta(minutes=7))


@pytest.mark.parametrize(
    "answer",
    [
        answers.facebook_error(1, "An unknown error occurred", status=500),
        answers.unavailable(FACEBOOK, status=500),
        Answer(503, "<html><body>Service Unavailable</body></html>"),
    ],
)
def test_facebook_transient_errors_are_retried_later(server, answer):
    server.answer(FACEBOOK, answer)

    with pytest.raises(RetryLater):
        send_facebook(server)


@pytest.mark.parametrize("behaviour", [HANG, CLOSE, BROKEN])
def test_facebook_request_taken_but_never_answered_is_unknown_because_a_retry_would_comment_twice(
    server, short_wait, behaviour
):
    server.answer(FACEBOOK, behaviour)

    with pytest.raises(Unknown):
        send_facebook(server)

    assert server.posted_counts(FACEBOOK) == {("1000_2000", "Sorry about that!"): 1}


def test_facebook_connection_refused_is_retried_later(server):
    with pytest.raises(RetryLater):
        send_facebook(server, base_url=refused_url())
