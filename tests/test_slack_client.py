"""The Slack client against a local server speaking Slack's Web API (tests/fake_slack.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from queues.notices import slack
from queues.platforms.transport import Failed, RetryLater, Unknown
from tests.fake_slack import TOKEN, FakeSlack

FENIX = "C0FENIX001"


@pytest.fixture
def server():
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def post(server, *, notice_id=1, channel=FENIX, token=TOKEN, **kwargs):
    return slack.post_message(
        base_url=server.base_url,
        token=token,
        channel=channel,
        text=kwargs.pop("text", "Fenix: conversation #12 escalated"),
        metadata=slack.notice_metadata(notice_id),
        **kwargs,
    )


def find(server, *, notice_id, oldest, **kwargs):
    return slack.find_posted(
        base_url=server.base_url, token=TOKEN, channel=FENIX, notice_id=notice_id, oldest=oldest, **kwargs
    )


def test_a_posted_message_carries_text_blocks_and_the_notice_metadata(server):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Fenix* #12"}}]

    sent = post(server, notice_id=41, channel="#fenix", text="Fenix #12", blocks=blocks)

    [message] = server.messages(FENIX)
    assert sent.external_id == message["ts"]
    assert sent.details == {"channel": FENIX}
    assert message["text"] == "Fenix #12"
    assert message["blocks"] == blocks
    assert message["metadata"] == {"event_type": "escalation_notice", "event_payload": {"notice_id": "41"}}
    assert "thread_ts" not in message


def test_a_follow_up_is_posted_into_the_thread_of_the_first_message(server):
    first = post(server, notice_id=1)

    follow_up = post(server, notice_id=2, text="Closed", thread_ts=first.external_id)

    reply = server.messages(FENIX)[-1]
    assert reply["ts"] == follow_up.external_id
    assert reply["thread_ts"] == first.external_id
    assert reply["text"] == "Closed"


@pytest.mark.parametrize(
    ("channel", "token", "code", "words"),
    [
        ("#no-such-channel", TOKEN, "channel_not_found", "Slack has no channel #no-such-channel the bot can see"),
        ("C0CLOSED01", TOKEN, "not_in_channel", "the bot is not in C0CLOSED01: invite it"),
        ("#old-fenix", TOKEN, "is_archived", "the Slack channel #old-fenix is archived"),
        (FENIX, "xoxb-wrong", "invalid_auth", "check SLACK_BOT_TOKEN"),
        (FENIX, "xoxb-revoked", "token_revoked", "check SLACK_BOT_TOKEN"),
        (FENIX, "xoxb-inactive", "account_inactive", "check SLACK_BOT_TOKEN"),
    ],
)
def test_a_refusal_fails_with_slacks_code_and_what_to_do(server, channel, token, code, words):
    with pytest.raises(Failed) as refused:
        post(server, channel=channel, token=token)

    assert refused.value.code == code
    assert refused.value.status == 200
    assert words in refused.value.reason
    assert code in refused.value.reason
    assert all(server.messages(c) == [] for c in server.channels)


def test_a_missing_permission_names_the_scope_to_add(server):
    server.scopes.discard("chat:write")

    with pytest.raises(Failed) as refused:
        post(server)

    assert refused.value.code == "missing_scope"
    assert "lacks the permission chat:write" in refused.value.reason


def test_an_unforeseen_refusal_fails_with_slacks_words(server):
    server.fail_next("chat.postMessage", "invalid_metadata_schema")

    with pytest.raises(Failed) as refused:
        post(server)

    assert refused.value.code == "invalid_metadata_schema"
    assert refused.value.reason == "Slack refused the message (HTTP 200 invalid_metadata_schema)"


def test_a_429_waits_as_long_as_retry_after_says_and_posts_nothing(server):
    server.fail_next("chat.postMessage", "http429", retry_after=30)
    asked_at = datetime.now(UTC)

    with pytest.raises(RetryLater) as limited:
        post(server)

    assert limited.value.status == 429
    assert limited.value.code == "ratelimited"
    assert asked_at + timedelta(seconds=30) <= limited.value.not_before <= datetime.now(UTC) + timedelta(seconds=30)
    assert server.messages(FENIX) == []


def test_ratelimited_without_retry_after_leaves_the_wait_to_the_outbox(server):
    server.fail_next("chat.postMessage", "ratelimited")

    with pytest.raises(RetryLater) as limited:
        post(server)

    assert limited.value.code == "ratelimited"
    assert limited.value.not_before is None


def test_slack_being_down_is_retried_later(server):
    server.fail_next("chat.postMessage", "http503")

    with pytest.raises(RetryLater) as down:
        post(server)

    assert down.value.status == 503
    assert "service_unavailable" in down.value.reason


def test_slacks_own_failure_that_may_have_posted_is_unknown(server):
    server.fail_next("chat.postMessage", "fatal_error")

    with pytest.raises(Unknown) as unknown:
        post(server)

    assert unknown.value.code == "fatal_error"


def test_a_lost_answer_is_unknown_and_find_posted_finds_the_message(server):
    before = datetime.now(UTC) - timedelta(seconds=1)
    server.fail_next("chat.postMessage", "lost_answer")

    with pytest.raises(Unknown):
        post(server, notice_id=7)

    found = find(server, notice_id=7, oldest=before)
    [message] = server.messages(FENIX)
    assert found.external_id == message["ts"]
    assert found.details == {"channel": FENIX}
    method, params = server.calls[-1]
    assert method == "conversations.history"
    assert params["include_all_metadata"] == "true"


def test_find_posted_is_none_when_the_notice_was_not_posted(server):
    before = datetime.now(UTC) - timedelta(seconds=1)
    post(server, notice_id=70)
    server.seed(FENIX, text="a person's message")
    server.seed(FENIX, text="another app's", metadata={"event_type": "deploy", "event_payload": {"notice_id": "7"}})

    assert find(server, notice_id=7, oldest=before) is None


def test_find_posted_ignores_messages_older_than_the_first_attempt(server):
    post(server, notice_id=7)
    after = datetime.now(UTC) + timedelta(seconds=1)

    assert find(server, notice_id=7, oldest=after) is None


def test_find_posted_pages_through_a_busy_channel(server):
    before = datetime.now(UTC) - timedelta(seconds=1)
    post(server, notice_id=7)
    for number in range(slack.PAGE_SIZE + 10):
        server.seed(FENIX, text=f"chatter {number}")

    found = find(server, notice_id=7, oldest=before)

    assert found.external_id == server.messages(FENIX)[0]["ts"]
    assert [method for method, _params in server.calls].count("conversations.history") == 2


def test_find_posted_gives_up_as_unknown_beyond_the_pages_it_reads(server, monkeypatch):
    monkeypatch.setattr(slack, "PAGE_SIZE", 5)
    monkeypatch.setattr(slack, "MAX_PAGES", 2)
    before = datetime.now(UTC) - timedelta(seconds=1)
    post(server, notice_id=7)
    for number in range(10):
        server.seed(FENIX, text=f"chatter {number}")

    with pytest.raises(Unknown) as unknown:
        find(server, notice_id=7, oldest=before)

    assert "could not tell whether it was posted" in unknown.value.reason


def test_find_posted_looks_for_a_follow_up_among_the_threads_replies(server):
    before = datetime.now(UTC) - timedelta(seconds=1)
    first = post(server, notice_id=1)
    server.fail_next("chat.postMessage", "lost_answer")
    with pytest.raises(Unknown):
        post(server, notice_id=2, text="Closed", thread_ts=first.external_id)

    assert find(server, notice_id=2, oldest=before) is None  # a thread reply is not in the channel's history
    found = find(server, notice_id=2, oldest=before, thread_ts=first.external_id)

    assert found.external_id == server.messages(FENIX)[-1]["ts"]
    assert server.calls[-1][0] == "conversations.replies"


def test_find_posted_waits_when_slack_limits_the_history(server):
    server.fail_next("conversations.history", "http429", retry_after=60)

    with pytest.raises(RetryLater) as limited:
        find(server, notice_id=7, oldest=datetime.now(UTC))

    assert limited.value.not_before > datetime.now(UTC) + timedelta(seconds=50)


def test_find_posted_cannot_look_in_a_channel_named_by_name(server):
    post(server, notice_id=7, channel="#fenix")

    with pytest.raises(Unknown) as unknown:
        slack.find_posted(
            base_url=server.base_url, token=TOKEN, channel="#fenix", notice_id=7, oldest=datetime.now(UTC)
        )

    assert "by channel id" in unknown.value.reason
    assert [method for method, _params in server.calls] == ["chat.postMessage"]
