"""`manage.py deliver` as real processes on PostgreSQL: several at once, stopped politely, and killed mid-send."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from queues import services
from queues.models import Attempt, Event, Message
from tests import factories as f
from tests.platform_answers import HANG
from tests.platform_servers import FACEBOOK, FACEBOOK_SECRETS, PLATFORMS, PLAY, X_SECRETS, PlatformServer, X

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "org.mozilla.firefox"
ACCOUNTS = {X: "@FirefoxSupport", PLAY: PACKAGE, FACEBOOK: "Firefox"}


@pytest.fixture
def server():
    with PlatformServer(hang_seconds=60) as running:
        yield running


@pytest.fixture
def worker_env(server, tmp_path):
    credentials = tmp_path / "credentials.json"
    credentials.write_text(
        json.dumps(
            {
                "x:@FirefoxSupport": X_SECRETS,
                f"google_play:{PACKAGE}": {"service_account_file": server.service_account(tmp_path / "sa.json")},
                "facebook:Firefox": FACEBOOK_SECRETS,
            }
        )
    )
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": url,
        "DELIVERY_BACKEND": "platforms",
        "PLATFORM_CREDENTIALS_FILE": str(credentials),
        "X_API_URL": server.url,
        "GOOGLE_PLAY_API_URL": server.url,
        "FACEBOOK_GRAPH_URL": server.url,
        # Long enough that no send on a busy machine outlasts it; the kill test shortens it.
        "OUTBOX_LEASE_SECONDS": "60",
        "OUTBOX_REAP_SECONDS": "1",
        "OUTBOX_IDLE_POLL_SECONDS": "1",
        "PLATFORM_READ_TIMEOUT": "60",
    }


def start(env, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "deliver", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, *, timeout=60.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def reply(platform, n, *, body=None):
    convo = f.ConversationFactory(channel=f.channel(ACCOUNTS[platform]), external_id=f"{platform}-{n}")
    return services.reply(conversation_id=convo.pk, actor=f.agent(username="agent"), body=body or f"Reply {n}")


def stop(process) -> tuple[int, str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def test_two_workers_send_every_reply_exactly_once(server, worker_env):
    workers = [start(worker_env), start(worker_env)]
    messages = [reply(platform, n) for n in range(20) for platform in PLATFORMS]
    try:
        wait_for(lambda: not Message.objects.exclude(delivery="sent").exists(), what="every reply sent")
    finally:
        results = [stop(worker) for worker in workers]

    assert [code for code, _out, _err in results] == [0, 0], results
    for platform in PLATFORMS:
        counts = server.posted_counts(platform)
        assert len(counts) == 20 and set(counts.values()) == {1}, (platform, counts)
    assert Attempt.objects.count() == len(messages)
    assert Event.objects.filter(kind=Event.Kind.DELIVERED).count() == len(messages)
    # Both took part (each prints its own summary), and between them they sent each reply once.
    sent = [int(out.split("Sent ")[1].split(",")[0]) for _code, out, _err in results]
    assert sum(sent) == len(messages)


def test_sigterm_lets_the_current_send_finish_then_exits_zero(server, worker_env):
    server.latency = 2.0
    worker = start(worker_env)
    message = reply(PLAY, 1)
    wait_for(lambda: server.received(PLAY), what="the request to arrive")

    code, out, _err = stop(worker)

    assert code == 0
    message.refresh_from_db()
    assert message.delivery == "sent"
    assert "Sent 1," in out


def test_a_worker_killed_mid_send_leaves_play_sent_once_and_x_unknown_never_reposted(server, worker_env):
    server.answer(X, HANG)
    server.answer(PLAY, HANG)
    worker_env = {**worker_env, "OUTBOX_LEASE_SECONDS": "3"}
    on_x, on_play = reply(X, 1, body="Sorry, looking into it"), reply(PLAY, 1, body="Fixed in 128")
    doomed = [start(worker_env), start(worker_env)]
    wait_for(lambda: server.received(X) and server.received(PLAY), what="both requests to hang")
    for worker in doomed:
        worker.kill()
        worker.communicate(timeout=30)
    assert set(Message.objects.values_list("delivery", flat=True)) == {"sending"}

    survivor = start(worker_env)
    try:
        wait_for(lambda: not Message.objects.filter(delivery__in=["queued", "sending"]).exists(), what="settled")
        time.sleep(1.5)  # another reap and poll: nothing more may happen
    finally:
        code, _out, _err = stop(survivor)

    assert code == 0
    on_x.refresh_from_db()
    on_play.refresh_from_db()
    assert on_x.delivery == "unknown" and "check on X before sending again" in on_x.delivery_reason
    assert len(server.received(X)) == 1  # never re-posted
    assert on_play.delivery == "sent"
    assert server.play_replies == {(PACKAGE, "google_play-1"): "Fixed in 128"}
    assert [a.outcome for a in Attempt.objects.filter(message=on_play)] == ["lost", "sent"]
    assert Event.objects.filter(kind=Event.Kind.DELIVERED, details__message_id=on_play.pk).count() == 1


def test_a_bad_credentials_file_makes_deliver_exit_non_zero_naming_it(server, worker_env, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"x:@FirefoxSupport": ')
    message = reply(X, 1)

    result = subprocess.run(
        [sys.executable, "manage.py", "deliver", "--once"],
        cwd=ROOT,
        env={**worker_env, "PLATFORM_CREDENTIALS_FILE": str(broken)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert str(broken) in result.stderr and "not valid JSON" in result.stderr
    message.refresh_from_db()
    assert (message.delivery, message.attempts) == ("queued", 0)
    assert not server.received()
