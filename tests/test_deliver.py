"""`manage.py deliver --once` against a local server that speaks the three platforms' reply APIs."""

import json
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from queues import services
from queues.models import Attempt, Event, Message
from queues.outbox import engine
from queues.platforms import transport
from queues.platforms.delivery import Replies
from queues.platforms.google_play import client as google_play
from tests import factories as f
from tests import platform_answers as answers
from tests.platform_answers import HANG
from tests.platform_servers import FACEBOOK, FACEBOOK_SECRETS, PLAY, X_SECRETS, PlatformServer, X, refused_url

pytestmark = pytest.mark.django_db

PACKAGE = "org.mozilla.firefox"


@pytest.fixture
def server():
    with PlatformServer() as running:
        yield running


@pytest.fixture
def credentials_file(server, tmp_path):
    path = tmp_path / "credentials.json"
    path.write_text(
        json.dumps(
            {
                "x:@FirefoxSupport": X_SECRETS,
                f"google_play:{PACKAGE}": {"service_account_file": server.service_account(tmp_path / "sa.json")},
                "facebook:Firefox": FACEBOOK_SECRETS,
            }
        )
    )
    return path


@pytest.fixture(autouse=True)
def platforms(server, credentials_file, settings):
    settings.DELIVERY_BACKEND = "platforms"
    settings.PLATFORM_CREDENTIALS_FILE = str(credentials_file)
    settings.X_API_URL = settings.GOOGLE_PLAY_API_URL = settings.FACEBOOK_GRAPH_URL = server.url
    google_play.forget_tokens()
    yield
    google_play.forget_tokens()


@pytest.fixture
def short_wait(monkeypatch):
    monkeypatch.setattr(transport, "READ_TIMEOUT", 1)


def reply(account="@FirefoxSupport", *, external_id="1790000000000000001", body="We're on it.", customer_post=""):
    convo = f.ConversationFactory(channel=f.channel(account), external_id=external_id)
    if customer_post:
        Message.objects.create(
            conversation=convo, direction=Message.Direction.INBOUND, external_id=customer_post, body="still broken"
        )
    return services.reply(conversation_id=convo.pk, actor=f.agent(), body=body)


def deliver() -> str:
    out = StringIO()
    call_command("deliver", "--once", stdout=out)
    return out.getvalue()


def state(message):
    message.refresh_from_db()
    return message.delivery


def events(message, kind):
    return list(Event.objects.filter(conversation_id=message.conversation_id, kind=kind))


def test_x_reply_goes_to_the_latest_customer_post_and_is_sent_with_the_new_post_id_and_an_event(server):
    message = reply(external_id="1790000000000000001", customer_post="1790000000000000042")

    output = deliver()

    (request,) = server.received(X)
    assert request.json() == {"text": "We're on it.", "reply": {"in_reply_to_tweet_id": "1790000000000000042"}}
    assert state(message) == "sent"
    assert message.external_id == request.answer_body["data"]["id"]
    assert message.sent_at is not None and message.attempts == 1
    (event,) = events(message, Event.Kind.DELIVERED)
    assert event.by_automation and event.actor is None
    assert event.details == {"message_id": message.pk, "external_id": message.external_id}
    (attempt,) = Attempt.objects.filter(message=message)
    assert (attempt.outcome, attempt.http_status) == ("sent", 201)
    assert "Sent 1," in output


def test_x_reply_without_a_customer_follow_up_answers_the_conversations_post(server):
    reply(external_id="1790000000000000007")

    deliver()

    (request,) = server.received(X)
    assert request.json()["reply"]["in_reply_to_tweet_id"] == "1790000000000000007"


def test_play_reply_is_set_on_the_review_of_the_channels_app(server):
    message = reply(PACKAGE, external_id="gp:AOqpTOH1_review", body="Fixed in 128, thanks!")

    deliver()

    assert server.play_replies == {(PACKAGE, "gp:AOqpTOH1_review"): "Fixed in 128, thanks!"}
    assert state(message) == "sent"
    assert message.external_id == ""  # a review has one reply; there is no id of its own
    assert len(events(message, Event.Kind.DELIVERED)) == 1


def test_facebook_reply_answers_the_conversations_comment(server):
    message = reply("Firefox", external_id="1000_2000", body="Sorry about that!")

    deliver()

    (request,) = server.received(FACEBOOK)
    assert (request.target, request.text) == ("1000_2000", "Sorry about that!")
    assert state(message) == "sent"
    assert message.external_id == request.answer_body["id"]


def test_text_the_platform_refuses_fails_with_its_words_and_is_never_retried(server):
    server.answer(X, answers.x_invalid_request("Your Tweet text is too long."))
    message = reply()

    deliver()
    deliver()

    assert len(server.received(X)) == 1
    assert state(message) == "failed"
    assert "Your Tweet text is too long." in message.delivery_reason
    (event,) = events(message, Event.Kind.DELIVERY_FAILED)
    assert "too long" in event.details["reason"]
    (attempt,) = Attempt.objects.filter(message=message)
    assert (attempt.outcome, attempt.http_status, attempt.words) == ("failed", 400, message.delivery_reason)


def test_rate_limited_reply_waits_until_the_reset_then_goes(server):
    reset = int(time.time()) + 2
    server.answer(X, answers.x_rate_limited(reset))
    message = reply()

    deliver()

    assert state(message) == "queued"
    assert message.next_attempt_at.timestamp() >= reset
    assert "rate limit" in message.delivery_reason
    deliver()  # before the reset: nothing is due
    assert len(server.received(X)) == 1

    time.sleep(max(0, message.next_attempt_at.timestamp() - time.time()) + 0.1)
    deliver()

    assert state(message) == "sent"
    assert [a.outcome for a in Attempt.objects.filter(message=message)] == ["retry", "sent"]


def test_server_error_backs_off_and_counts_the_attempt(server, settings):
    server.answer(PLAY, answers.unavailable(PLAY, status=500))
    message = reply(PACKAGE, external_id="gp:review")
    before = timezone.now()

    deliver()

    assert state(message) == "queued"
    assert message.attempts == 1
    # The first backoff is 30 s with jitter: between 15 and 30 s from now.
    assert before + timedelta(seconds=15) <= message.next_attempt_at <= timezone.now() + timedelta(seconds=30)
    (attempt,) = Attempt.objects.filter(message=message)
    assert (attempt.outcome, attempt.http_status) == ("retry", 500)
    assert not events(message, Event.Kind.DELIVERY_FAILED)


def test_x_request_that_never_gets_an_answer_is_unknown_and_never_sent_again_by_itself(server, short_wait):
    server.answer(X, HANG)
    message = reply()

    deliver()
    deliver()

    assert len(server.received(X)) == 1
    assert state(message) == "unknown"
    assert len(events(message, Event.Kind.DELIVERY_UNKNOWN)) == 1


def test_play_request_that_never_gets_an_answer_is_sent_again(server, short_wait, settings):
    settings.OUTBOX_BACKOFF_SECONDS = 0
    server.answer(PLAY, HANG)
    message = reply(PACKAGE, external_id="gp:review", body="Thanks!")

    deliver()

    assert state(message) == "sent"
    assert [r.answer for r in server.received(PLAY)] == ["hang", "200"]
    assert server.play_replies == {(PACKAGE, "gp:review"): "Thanks!"}


def test_refused_connection_is_retried_later(settings):
    settings.X_API_URL = refused_url()
    message = reply()

    deliver()

    assert state(message) == "queued"
    assert message.attempts == 1 and message.next_attempt_at > timezone.now()


def test_a_reply_still_not_sent_after_the_maximum_age_fails(server, settings):
    settings.OUTBOX_MAX_AGE_SECONDS = 60
    settings.OUTBOX_BACKOFF_SECONDS = 240  # the next try would come after the reply is a minute old
    server.answer(FACEBOOK, answers.unavailable(FACEBOOK, status=500))
    message = reply("Firefox", external_id="1000_2000")

    deliver()

    assert state(message) == "failed"
    assert message.delivery_reason.startswith("Gave up after trying for 1\xa0minute.")
    assert len(events(message, Event.Kind.DELIVERY_FAILED)) == 1


def test_replies_of_a_channel_without_credentials_wait_with_the_reason_and_no_attempt(server):
    waiting = [reply("@Firefox"), reply("@Firefox", external_id="2")]
    other = reply()

    output = deliver()

    for message in waiting:
        assert state(message) == "queued"
        assert message.delivery_reason == "no credentials for @Firefox"
        assert message.attempts == 0 and message.next_attempt_at > timezone.now()
    assert not Attempt.objects.filter(message__in=waiting).exists()
    assert state(other) == "sent"
    assert [r.target for r in server.received(X)] == ["1790000000000000001"]
    assert "waiting for credentials 2" in output


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "does not exist"), ("{not json", "is not valid JSON"), ('{"x:@FirefoxSupport": {}}', "lacks")],
)
def test_a_bad_credentials_file_stops_the_worker_naming_the_file_and_marks_nothing(
    server, tmp_path, settings, content, problem
):
    path = tmp_path / "broken.json"
    if content is not None:
        path.write_text(content)
    settings.PLATFORM_CREDENTIALS_FILE = str(path)
    message = reply()

    with pytest.raises(CommandError) as refused:
        deliver()

    assert str(path) in str(refused.value) and problem in str(refused.value)
    assert state(message) == "queued" and message.attempts == 0 and message.delivery_reason == ""
    assert not server.received()


def test_x_duplicate_after_an_unknown_attempt_means_the_first_one_was_posted(server, short_wait):
    server.answer(X, HANG, answers.x_duplicate())
    message = reply()
    deliver()
    assert state(message) == "unknown"

    services.send_again(message_id=message.pk, actor=f.agent(), confirmed=True)
    deliver()

    assert state(message) == "sent"
    assert message.external_id == ""
    assert "says an earlier attempt was posted" in message.delivery_reason


def test_x_duplicate_without_an_earlier_unknown_attempt_fails(server):
    server.answer(X, answers.x_duplicate())
    message = reply()

    deliver()

    assert state(message) == "failed"
    assert "duplicate content" in message.delivery_reason


def test_after_a_worker_stops_mid_send_play_is_sent_again_and_x_and_facebook_become_unknown(server):
    play = reply(PACKAGE, external_id="gp:review", body="Thanks!")
    on_x = reply()
    on_facebook = reply("Firefox", external_id="1000_2000")
    kind = Replies()
    for _ in range(3):
        assert engine.claim(kind, owner="stopped-worker") is not None
    # The worker that claimed them was killed; their leases ran out.
    Message.objects.filter(delivery="sending").update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    output = deliver()

    assert state(play) == "sent"
    assert [a.outcome for a in Attempt.objects.filter(message=play)] == ["lost", "sent"]
    for message, platform in ((on_x, "X"), (on_facebook, "Facebook")):
        assert state(message) == "unknown"
        assert message.delivery_reason == f"The worker stopped while sending: check on {platform} before sending again."
        assert len(events(message, Event.Kind.DELIVERY_UNKNOWN)) == 1
    assert not server.received(X) and not server.received(FACEBOOK)
    assert "found stopped mid-send 3" in output


def test_console_backend_prints_the_reply_and_marks_it_sent(server, settings):
    settings.DELIVERY_BACKEND = "console"
    settings.PLATFORM_CREDENTIALS_FILE = ""
    settings.DELIVERY_CONSOLE_DELAY_SECONDS = 0
    message = reply("@Firefox", body="Hello from the console")

    output = deliver()

    assert "Hello from the console" in output and "@Firefox" in output
    assert state(message) == "sent"
    assert not server.received()


def test_in_production_a_system_check_warns_of_active_channels_without_credentials(settings):
    settings.DEBUG = False
    out = StringIO()

    call_command("check", "--database", "default", stdout=out, stderr=out)

    warned = out.getvalue()
    assert "queues.W101" in warned and "@Firefox has no credentials" in warned
    assert '"x:@Firefox"' in warned
    assert "@FirefoxSupport has no credentials" not in warned  # it is in the file


def test_a_reply_whose_text_looks_like_a_date_is_sent_as_written(server):
    message = reply("Firefox", external_id="1000_2000", body="2026-12-01 12:00:00")

    deliver()

    assert server.received(FACEBOOK)[0].text == "2026-12-01 12:00:00"
    assert state(message) == "sent"
