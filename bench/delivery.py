"""Bench: the outbox worker (`manage.py deliver`) against a local server speaking the three platforms' reply APIs
(tests/platform_servers.py) answering in ~20 ms, on the database DATABASE_URL points at. Prints two tables:

1. Throughput with 1 and 4 worker processes (N queued replies across X, Google Play and Facebook); p50/p95 from a
   reply's commit to sent with an idle worker (woken by NOTIFY); queries per message and per idle minute of one
   worker (counted in-process by Django).
2. Chaos: the server answers 10 % 500, 5 % 429 and 2 % never; three workers, one SIGKILLed every 10 s and
   replaced. Afterwards every reply must be sent, failed or unknown; no Facebook or X reply posted twice; no Play
   review with two different replies; no unknown X reply re-posted (counted at the server).

    .ci/with-postgres .venv/bin/python bench/delivery.py [--count 10000] [--chaos-count 2000]
"""

import argparse
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

ACCOUNTS = {"x": "@FirefoxSupport", "google_play": "org.mozilla.firefox", "facebook": "Firefox"}


def credentials(server, folder: Path) -> Path:
    from tests.platform_servers import FACEBOOK_SECRETS, X_SECRETS

    path = folder / "credentials.json"
    sa = server.service_account(folder / "sa.json")
    path.write_text(
        json.dumps(
            {
                "x:@FirefoxSupport": X_SECRETS,
                "google_play:org.mozilla.firefox": {"service_account_file": sa},
                "facebook:Firefox": FACEBOOK_SECRETS,
            }
        )
    )
    return path


def worker_env(server, folder: Path, **extra) -> dict:
    return {
        **os.environ,
        "DELIVERY_BACKEND": "platforms",
        "PLATFORM_CREDENTIALS_FILE": str(credentials(server, folder)),
        "X_API_URL": server.url,
        "GOOGLE_PLAY_API_URL": server.url,
        "FACEBOOK_GRAPH_URL": server.url,
        **{key: str(value) for key, value in extra.items()},
    }


def start_worker(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "deliver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(workers) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=120)


def make_conversations(count: int, tag: str) -> list:
    """count conversations, round robin over the three platforms; each has its own post, review or comment."""
    from queues.models import Channel, Conversation

    channels = [Channel.objects.select_related("working_queue").get(account=a) for a in ACCOUNTS.values()]
    rows = [
        Conversation(
            channel=channel,
            queue=channel.working_queue,
            external_id=f"{tag}-{n}",
            author_name="Bench",
            body="It crashes",
        )
        for n, channel in zip(range(count), itertools.cycle(channels), strict=False)
    ]
    return Conversation.objects.bulk_create(rows, batch_size=2000)


def queue_replies(conversations, tag: str) -> None:
    from django.utils import timezone

    from queues.models import Message

    now = timezone.now()
    Message.objects.bulk_create(
        (
            Message(
                conversation=convo,
                direction=Message.Direction.OUTBOUND,
                body=f"Reply {tag} {convo.pk}",
                delivery=Message.Delivery.QUEUED,
                queued_at=now,
                next_attempt_at=now,
            )
            for convo in conversations
        ),
        batch_size=2000,
    )


def unsettled(conversations) -> int:
    from queues.models import Message

    return Message.objects.filter(conversation__in=conversations, delivery__in=["queued", "sending"]).count()


def wait_settled(conversations, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while unsettled(conversations) and time.monotonic() < deadline:
        time.sleep(0.5)


def throughput(workers: int, count: int, folder: Path) -> float:
    from django.db.models import Max, Min

    from queues.models import Message
    from tests.platform_servers import PlatformServer

    tag = f"t{workers}-{uuid.uuid4().hex[:6]}"
    with PlatformServer(latency=0.02) as server:
        conversations = make_conversations(count, tag)
        queue_replies(conversations, tag)
        processes = [start_worker(worker_env(server, folder)) for _ in range(workers)]
        try:
            wait_settled(conversations, timeout=3600)
        finally:
            stop(processes)
    span = Message.objects.filter(conversation__in=conversations).aggregate(first=Min("sent_at"), last=Max("sent_at"))
    return count / max((span["last"] - span["first"]).total_seconds(), 0.001)


def latency(samples: int, folder: Path) -> list[float]:
    """Seconds from each reply's commit to sent, with one idle worker woken by NOTIFY."""
    from django.db import transaction
    from django.utils import timezone

    from queues import outbox
    from queues.models import Message
    from tests.platform_servers import PlatformServer

    tag = f"l-{uuid.uuid4().hex[:6]}"
    delays = []
    with PlatformServer(latency=0.02) as server:
        conversations = make_conversations(samples, tag)
        process = start_worker(worker_env(server, folder))
        try:
            time.sleep(8)  # started, token fetched on the first Play reply only: it is idle now
            committed = {}
            for convo in conversations:
                with transaction.atomic():
                    now = timezone.now()
                    message = Message.objects.create(
                        conversation=convo,
                        direction=Message.Direction.OUTBOUND,
                        body=f"Reply {tag} {convo.pk}",
                        delivery=Message.Delivery.QUEUED,
                        queued_at=now,
                        next_attempt_at=now,
                    )
                    transaction.on_commit(outbox.notify)
                committed[message.pk] = timezone.now()
                time.sleep(0.2)
            wait_settled(conversations, timeout=120)
        finally:
            stop([process])
    for pk, sent_at in Message.objects.filter(pk__in=committed).values_list("pk", "sent_at"):
        delays.append((sent_at - committed[pk]).total_seconds())
    return delays


def queries_per_message(count: int, folder: Path) -> tuple[float, float]:
    """One worker in this process, its queries counted by Django while it sends count replies."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    from queues.outbox.worker import Worker
    from queues.platforms.credentials import load
    from queues.platforms.delivery import Replies
    from tests.platform_servers import PlatformServer

    tag = f"q-{uuid.uuid4().hex[:6]}"
    with PlatformServer(latency=0.02) as server:
        env = worker_env(server, folder)
        conversations = make_conversations(count, tag)
        queue_replies(conversations, tag)
        urls = {key: env[key] for key in ("X_API_URL", "GOOGLE_PLAY_API_URL", "FACEBOOK_GRAPH_URL")}
        with override_settings(**urls):
            kind = Replies(backend="platforms", credentials=load(env["PLATFORM_CREDENTIALS_FILE"]))
            with CaptureQueriesContext(connection) as captured:
                Worker([kind]).run_once()
    return statements(captured) / count, len(captured) / count


def statements(captured) -> int:
    """Queries other than BEGIN and COMMIT (which Django logs too on PostgreSQL)."""
    return sum(1 for query in captured.captured_queries if query["sql"].strip().upper() not in ("BEGIN", "COMMIT"))


def idle_queries_per_minute(seconds: float) -> tuple[float, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from queues.outbox.worker import Worker
    from queues.platforms.credentials import Credentials
    from queues.platforms.delivery import Replies

    worker = Worker([Replies(backend="platforms", credentials=Credentials())])
    counted = {}

    def run():
        with CaptureQueriesContext(connection) as captured:
            worker.run_forever()
        counted["n"] = len(captured)
        counted["statements"] = statements(captured)
        connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(seconds)
    worker.stop()
    thread.join()
    return counted["statements"] * 60 / seconds, counted["n"] * 60 / seconds


def chaos(count: int, folder: Path, kill_every: float) -> dict:
    from queues.models import Message
    from tests.platform_servers import FACEBOOK, PLAY, Chaos, PlatformServer, X

    tag = f"c-{uuid.uuid4().hex[:6]}"
    mix = Chaos(server_error=0.10, rate_limited=0.05, never=0.02, retry_after=1)
    kills = 0
    with PlatformServer(latency=0.02, chaos=mix, seed=14, hang_seconds=5) as server:
        server._httpd.handle_error = lambda request, address: None  # killed workers break connections: expected
        env = worker_env(
            server,
            folder,
            PLATFORM_READ_TIMEOUT=2,
            OUTBOX_LEASE_SECONDS=10,
            OUTBOX_REAP_SECONDS=1,
            OUTBOX_IDLE_POLL_SECONDS=1,
            OUTBOX_BACKOFF_SECONDS=0.5,
            OUTBOX_BACKOFF_MAX_SECONDS=4,
        )
        conversations = make_conversations(count, tag)
        queue_replies(conversations, tag)
        workers = [start_worker(env) for _ in range(3)]
        started = time.monotonic()
        next_kill = started + kill_every
        try:
            while unsettled(conversations) and time.monotonic() - started < 3600:
                if time.monotonic() >= next_kill:
                    victim = workers.pop(0)
                    victim.kill()
                    victim.wait()
                    kills += 1
                    workers.append(start_worker(env))
                    next_kill += kill_every
                time.sleep(0.2)
        finally:
            stop(workers)
        states = dict.fromkeys(("sent", "failed", "unknown", "queued", "sending"), 0)
        rows = Message.objects.filter(conversation__in=conversations).select_related("conversation__channel")
        unknown_x = set()
        for message in rows:
            states[message.delivery] += 1
            if message.delivery == "unknown" and message.conversation.channel.platform == "x":
                unknown_x.add((message.conversation.external_id, message.body))
        x_counts, facebook_counts = server.posted_counts(X), server.posted_counts(FACEBOOK)
        play_texts = {}
        for request in server.received(PLAY):
            if request.posted:
                play_texts.setdefault(request.target, set()).add(request.text)
        return {
            "replies": count,
            "seconds": time.monotonic() - started,
            "kills": kills,
            **states,
            "lost": states["queued"] + states["sending"],
            "x_twice": sum(1 for n in x_counts.values() if n > 1),
            "facebook_twice": sum(1 for n in facebook_counts.values() if n > 1),
            "play_two_texts": sum(1 for texts in play_texts.values() if len(texts) > 1),
            "play_resent_same": sum(1 for n in server.posted_counts(PLAY).values() if n > 1),
            "x_unknown_reposted": sum(1 for key in unknown_x if x_counts.get(key, 0) > 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="queued replies for each throughput run")
    parser.add_argument("--chaos-count", type=int, default=2_000)
    parser.add_argument("--samples", type=int, default=100, help="replies timed from commit to sent")
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--kill-every", type=float, default=10)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL (e.g. run under .ci/with-postgres): the bench writes rows into that database.")

    import logging

    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    logging.getLogger("queues.outbox").setLevel(logging.WARNING)  # the in-process worker's line per reply
    call_command("migrate", verbosity=0)
    from queues.platforms.google_play import client as google_play

    results = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for workers in (1, 4):
            rate = throughput(workers, args.count, folder)
            results.append((f"messages/s, {workers} worker{'s' if workers > 1 else ''}", f"{rate:,.0f}", ""))
            print(f"  {workers} worker(s): {rate:.0f} messages/s", flush=True)
        delays = sorted(latency(args.samples, folder))
        p50, p95 = statistics.median(delays), delays[max(0, round(0.95 * len(delays)) - 1)]
        results.append(("commit → sent p50, idle worker (ms)", f"{p50 * 1000:,.0f}", ""))
        results.append(("commit → sent p95, idle worker (ms)", f"{p95 * 1000:,.0f}", "< 1,000"))
        google_play.forget_tokens()
        per_message, trips = queries_per_message(300, folder)
        results.append(("queries per message", f"{per_message:.2f}", "≤ 4"))
        results.append(("  with BEGIN/COMMIT", f"{trips:.2f}", ""))
        per_minute, trips = idle_queries_per_minute(args.idle_seconds)
        results.append(("queries per minute, idle worker", f"{per_minute:.0f}", "≤ 60"))
        results.append(("  with BEGIN/COMMIT", f"{trips:.0f}", ""))
        print(f"\n{connection.vendor}, {args.count:,} replies per throughput run, server latency 20 ms\n")
        print("| measure                              | value  | target  |")
        print("|--------------------------------------|--------|---------|")
        for name, value, target in results:
            print(f"| {name:<36} | {value:>6} | {target:<7} |")

        outcome = chaos(args.chaos_count, folder, args.kill_every)
    print(
        f"\nChaos: {outcome['replies']:,} replies, 10 % 500, 5 % 429, 2 % never answered; 3 workers, "
        f"{outcome['kills']} SIGKILLed (one every {args.kill_every:g} s); settled in {outcome['seconds']:.0f} s\n"
    )
    print("| outcome                                   | count |")
    print("|-------------------------------------------|-------|")
    for label, key in (
        ("sent", "sent"),
        ("failed", "failed"),
        ("unknown", "unknown"),
        ("lost (still queued or sending)", "lost"),
        ("Facebook replies posted twice", "facebook_twice"),
        ("X replies posted twice", "x_twice"),
        ("unknown X replies re-posted", "x_unknown_reposted"),
        ("Play reviews with two different replies", "play_two_texts"),
        ("Play replies set again (same text)", "play_resent_same"),
    ):
        print(f"| {label:<41} | {outcome[key]:>5,} |")


if __name__ == "__main__":
    main()
