"""Load: fifty agents at once on PostgreSQL behind gunicorn, on loopback, for a bounded time.

    .ci/with-postgres .venv/bin/python bench/load.py [--agents 50] [--seconds 120]

Each simulated agent signs in and loops: dashboard, a filtered list, a conversation (half the time one of
a small "hot" set that everyone fights over), then reply, note, put on hold, escalate or close — following
each redirect as a browser would. Meanwhile one loop runs `autoclose_on_hold` (the On Hold queue closes
after a few seconds here, so it races with the agents) and another imports X follow-ups on known threads.
Afterwards it checks the invariants in the database and prints requests/s, p50/p95 per page and the checks.
Exits non-zero if any check fails. Traffic goes only to 127.0.0.1; every loop stops by itself.
"""

import argparse
import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ENV = {
    "DJANGO_SETTINGS_MODULE": "escalation_portal.settings",
    "SECRET_KEY": "load-bench-only-" + "x" * 40,
    "DEBUG": "0",
    "HTTPS": "0",  # plain HTTP on loopback
    "STATIC_MANIFEST": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "DATABASE_CONN_MAX_AGE": "60",
    "AXES_FAILURE_LIMIT": "1000",  # fifty agents share one address here
    "LOG_LEVEL": "WARNING",
}
for key, value in ENV.items():
    os.environ.setdefault(key, value)

import django

django.setup()

from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q

from queues.models import Channel, Clipping, Conversation, Event, Message, Note, Queue

PASSWORD = "load-bench-password-42"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ACTIONS = ["reply", "note", "hold", "escalate", "close"]
ACTION_WEIGHTS = [30, 25, 15, 15, 15]
ACTION_EVENT = {
    "reply": Event.Kind.REPLIED,
    "note": Event.Kind.NOTE_ADDED,
    "hold": Event.Kind.PUT_ON_HOLD,
    "escalate": Event.Kind.ESCALATED,
    "close": Event.Kind.CLOSED,
}
BRAND_USER_ID = "9000000000000000001"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """One agent's cookie jar over a keep-alive HTTP connection to the portal on loopback."""

    def __init__(self, port: int, stats):
        self.port, self.stats = port, stats
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, page: str, method: str, path: str, data: dict | None = None):
        body = urlencode(data, doseq=True) if data is not None else None
        headers = {"Host": "127.0.0.1", "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        started = time.perf_counter()
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    self.stats.record(page, None, time.perf_counter() - started)
                    return None, "", ""
        self.stats.record(page, response.status, time.perf_counter() - started)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text, response.getheader("Location", "")

    def token(self, html: str) -> str:
        match = CSRF_RE.search(html)
        return match.group(1) if match else self.cookies.get("csrftoken", "")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.statuses = Counter()
        self.errors = []
        self.outcomes = Counter()

    def record(self, page, status, seconds):
        with self.lock:
            self.times[page].append(seconds)
            self.statuses[status] += 1
            if status is None or status >= 500:
                self.errors.append((page, status))

    def outcome(self, action, result):
        with self.lock:
            self.outcomes[(action, result)] += 1


def agent_loop(number, port, deadline, ids, hot, queues, on_hold_id, stats):
    browser = Browser(port, stats)
    status, html, _ = browser.request("sign in", "GET", "/accounts/login/")
    status, html, location = browser.request(
        "sign in",
        "POST",
        "/accounts/login/",
        {"username": f"agent{number}", "password": PASSWORD, "csrfmiddlewaretoken": browser.token(html)},
    )
    if status != 302:
        stats.outcome("sign in", "failed")
        return
    rng = random.Random(number)
    while time.monotonic() < deadline:
        browser.request("dashboard", "GET", "/")
        browser.request("list", "GET", f"/conversations/?status=open&queue={rng.choice(queues)}&sort=newest")
        convo = rng.choice(hot) if rng.random() < 0.5 else rng.choice(ids)
        status, html, _ = browser.request("detail", "GET", f"/conversations/{convo}/")
        if status != 200:
            continue
        action = rng.choices(ACTIONS, ACTION_WEIGHTS)[0]
        data = {
            "reply": {"body": f"Thanks! Agent {number} is looking into it."},
            "note": {"body": f"Note from agent {number}"},
            "hold": {"queue": on_hold_id},
            "escalate": {"reason": "needs_product_team", "note": f"Agent {number}: cleared cache, still broken."},
            "close": {"reason": "resolved"},
        }[action]
        data["csrfmiddlewaretoken"] = browser.token(html)
        status, html, location = browser.request(f"POST {action}", "POST", f"/conversations/{convo}/{action}/", data)
        if status == 302:
            # As a browser would: follow the redirect and read the message.
            status, html, _ = browser.request("detail", "GET", location)
            if "alert-success" in html:
                stats.outcome(action, "done")
            else:
                stats.outcome(action, "refused")
        elif status == 400:
            stats.outcome(action, "refused")
        else:
            stats.outcome(action, f"HTTP {status}")


def run_every(seconds, deadline, command, results, name):
    while time.monotonic() < deadline:
        started = time.monotonic()
        done = subprocess.run(command(), cwd=ROOT, capture_output=True, text=True, timeout=120)
        results[name].append((done.returncode, done.stdout.strip().splitlines()[-1:] or done.stderr[-300:]))
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))


def x_followups(path: Path, threads: list[str], rng: random.Random, serial: int) -> Path:
    posts, users = [], {}
    for i, thread in enumerate(rng.sample(threads, min(10, len(threads)))):
        user_id = f"77{serial:06d}{i:04d}"
        users[user_id] = {"id": user_id, "name": f"Load Customer {i}", "username": f"load_customer_{i}"}
        posts.append(
            {
                "id": f"88{serial:08d}{i:04d}",
                "text": "@FirefoxSupport any news on this?",
                "author_id": user_id,
                "conversation_id": thread,
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "in_reply_to_user_id": BRAND_USER_ID,
                "referenced_tweets": [{"type": "replied_to", "id": thread}],
            }
        )
    users[BRAND_USER_ID] = {"id": BRAND_USER_ID, "name": "Firefox Support", "username": "FirefoxSupport"}
    path.write_text(json.dumps({"data": posts, "includes": {"users": list(users.values())}}))
    return path


def seed(agents: int, conversations: int, workdir: Path) -> dict:
    call_command("migrate", verbosity=0)
    moderators = Group.objects.get(name="Moderators")
    for number in range(agents):
        user, created = User.objects.get_or_create(username=f"agent{number}")
        if created:
            user.set_password(PASSWORD)
            user.save()
            user.groups.add(moderators)
    # The On Hold automation closes after a few seconds here, so it races with the agents.
    on_hold = Queue.objects.filter(kind=Queue.Kind.ON_HOLD).first()
    on_hold.auto_close_after = timedelta(seconds=5)
    on_hold.save()
    Clipping.objects.get_or_create(title="Thanks", defaults={"body": "Thanks for reaching out!"})
    x = Channel.objects.get(platform=Channel.Platform.X, account="@FirefoxSupport")
    # X threads come in through the real importer, so follow-ups later find them.
    users = {BRAND_USER_ID: {"id": BRAND_USER_ID, "name": "Firefox Support", "username": "FirefoxSupport"}}
    posts = []
    for i in range(conversations):
        user_id = f"66{i:08d}"
        users[user_id] = {"id": user_id, "name": f"Customer {i}", "username": f"customer_{i}"}
        posts.append(
            {
                "id": f"55{i:08d}",
                "text": f"@FirefoxSupport problem number {i}: tabs vanish after the update",
                "author_id": user_id,
                "conversation_id": f"55{i:08d}",
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 3600 + i)),
                "in_reply_to_user_id": BRAND_USER_ID,
                "entities": {"mentions": [{"start": 0, "end": 15, "username": "FirefoxSupport", "id": BRAND_USER_ID}]},
            }
        )
    seed_file = workdir / "x_seed.json"
    seed_file.write_text(json.dumps({"data": posts, "includes": {"users": list(users.values())}}))
    call_command("import_x", str(seed_file), verbosity=0)
    threads = dict(Conversation.objects.filter(channel=x).values_list("pk", "external_id"))
    ids = list(threads)
    return {
        "ids": ids,
        "hot": ids[:20],
        "threads": list(threads.values()),
        "queues": list(Queue.objects.filter(kind=Queue.Kind.WORKING).values_list("pk", flat=True)),
        "on_hold": on_hold.pk,
    }


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def check_invariants(started_at, stats) -> list[tuple[str, bool, str]]:
    run_events = Event.objects.filter(created_at__gte=started_at)
    checks = []
    server_errors = list(stats.errors)
    checks.append(("zero 5xx responses (or dropped connections)", not server_errors, f"{len(server_errors)}"))
    for action, kind in ACTION_EVENT.items():
        done = stats.outcomes[(action, "done")]
        events = run_events.filter(kind=kind, actor__isnull=False).count()
        checks.append(
            (f"every successful {action} has exactly one {kind} event", done == events, f"{done} vs {events}")
        )
    auto_closed = run_events.filter(kind=Event.Kind.CLOSED, by_automation=True)
    not_on_hold = auto_closed.exclude(from_queue__kind=Queue.Kind.ON_HOLD).count()
    checks.append(
        (
            "the automation closed only on-hold conversations (none escalated)",
            not_on_hold == 0,
            f"{not_on_hold} bad of {auto_closed.count()} auto-closed",
        )
    )
    escalations = run_events.filter(kind=Event.Kind.ESCALATED)
    statement_replies = Message.objects.filter(clipping__is_escalation_statement=True, created_at__gte=started_at)
    per_conversation = statement_replies.values("conversation").annotate(n=Count("id")).values_list("conversation", "n")
    escalations_per = dict(escalations.values("conversation").annotate(n=Count("id")).values_list("conversation", "n"))
    duplicates = [c for c, n in per_conversation if n != escalations_per.get(c, 0)]
    statements, escalated = statement_replies.count(), escalations.count()
    checks.append(
        (
            "one statement reply per escalation, no duplicates",
            statements == escalated and not duplicates,
            f"{statements} statements, {escalated} escalations",
        )
    )
    orphans = 0
    for model, key in ((Message, "message_id"), (Note, "note_id")):
        rows = model.objects.filter(created_at__gte=started_at)
        if model is Message:
            rows = rows.filter(direction=Message.Direction.OUTBOUND)
        referenced = Counter(
            run_events.filter(**{f"details__{key}__isnull": False}).values_list(f"details__{key}", flat=True)
        )
        orphans += sum(1 for pk in rows.values_list("pk", flat=True) if referenced[pk] != 1)
    checks.append(("every reply and note written has exactly one event", orphans == 0, f"{orphans} without"))
    double_closed = 0
    # Every event of every conversation closed during the run, in one query, walked conversation by conversation.
    histories = (
        Event.objects.filter(conversation__in=run_events.filter(kind=Event.Kind.CLOSED).values("conversation"))
        .order_by("conversation_id", "created_at", "id")
        .values_list("conversation_id", "kind")
    )
    for _convo_id, history in groupby(histories, key=itemgetter(0)):
        open_now = True
        for _same, kind in history:
            if kind == Event.Kind.CLOSED:
                double_closed += not open_now
                open_now = False
            elif kind in (Event.Kind.REOPENED,) or (kind == Event.Kind.CUSTOMER_MESSAGE and not open_now):
                open_now = True
    checks.append(("no conversation closed twice without a reopen", double_closed == 0, f"{double_closed}"))
    inconsistent = Conversation.objects.filter(
        Q(status="closed", closed_at__isnull=True) | Q(status="open", closed_at__isnull=False)
    ).count()
    checks.append(("status and closed_at agree", inconsistent == 0, f"{inconsistent}"))
    return checks


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL: .ci/with-postgres .venv/bin/python bench/load.py")
    if not 1 <= args.agents <= 200 or not 5 <= args.seconds <= 600:
        sys.exit("--agents must be 1–200 and --seconds 5–600")

    workdir = Path(tempfile.mkdtemp(prefix="portal-load-"))
    world = seed(args.agents, args.conversations, workdir)
    port = free_port()
    ready = workdir / "ready"
    ready.mkdir()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "escalation_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--worker-class",
            "gthread",
            "--timeout",
            "60",
            "--log-level",
            "warning",
            "--config",
            str(ROOT / "bench" / "gunicorn_ready.py"),
        ],
        cwd=ROOT,
        # No collectstatic: the agents fetch no assets.
        env={**os.environ, "STATIC_ROOT": str(workdir), "PORTAL_READY_DIR": str(ready)},
    )
    try:
        for _ in range(600):
            if len(list(ready.iterdir())) >= args.workers:
                break
            time.sleep(0.1)
        else:
            sys.exit(f"gunicorn: {len(list(ready.iterdir()))} of {args.workers} workers ready after 60 s")
        from django.utils import timezone

        started_at = timezone.now()
        stats = Stats()
        deadline = time.monotonic() + args.seconds
        background = defaultdict(list)
        python = sys.executable
        serial = iter(range(1, 10**6))
        rng = random.Random(7)

        def followups(n):
            return x_followups(workdir / f"x_{n}.json", world["threads"], rng, n)

        loops = [
            threading.Thread(
                target=run_every,
                args=(2, deadline, lambda: [python, "manage.py", "autoclose_on_hold"], background, "autoclose"),
            ),
            threading.Thread(
                target=run_every,
                args=(
                    3,
                    deadline,
                    lambda: [
                        python,
                        "manage.py",
                        "import_x",
                        str(followups(next(serial))),
                    ],
                    background,
                    "import",
                ),
            ),
        ]
        agents = [
            threading.Thread(
                target=agent_loop,
                args=(n, port, deadline, world["ids"], world["hot"], world["queues"], world["on_hold"], stats),
            )
            for n in range(args.agents)
        ]
        wall = time.monotonic()
        for thread in loops + agents:
            thread.start()
        for thread in loops + agents:
            thread.join(timeout=args.seconds + 180)
        wall = time.monotonic() - wall
    finally:
        server.terminate()
        server.wait(timeout=30)

    total = sum(len(v) for v in stats.times.values())
    print(
        f"\n{args.agents} agents for {args.seconds} s against gunicorn ({args.workers} workers × {args.threads} "
        f"threads) on PostgreSQL, {len(world['ids'])} conversations ({len(world['hot'])} hot)"
    )
    statuses = dict(sorted(stats.statuses.items(), key=str))
    print(f"{total} requests in {wall:.1f} s: {total / wall:.1f} requests/s; statuses {statuses}\n")
    print(f"| {'page':<16} | {'requests':>8} | {'p50 ms':>7} | {'p95 ms':>7} |")
    print(f"|{'-' * 18}|{'-' * 10}|{'-' * 9}|{'-' * 9}|")
    for page in sorted(stats.times):
        values = stats.times[page]
        print(
            f"| {page:<16} | {len(values):>8} | {statistics.median(values) * 1000:>7.0f} | "
            f"{percentile(values, 0.95) * 1000:>7.0f} |"
        )
    print("\nactions (done / refused because the conversation had moved on):")
    for action in ACTIONS:
        other = "".join(f"   {r} {n}" for (a, r), n in stats.outcomes.items() if a == action and r.startswith("HTTP"))
        done, refused = stats.outcomes[(action, "done")], stats.outcomes[(action, "refused")]
        print(f"  {action:<9} done {done:>5}   refused {refused:>5}{other}")
    for name, runs in background.items():
        failed = [r for r in runs if r[0] != 0]
        print(f"{name}: {len(runs)} runs, {len(failed)} failed; last: {runs[-1][1] if runs else '-'}")
        for code, output in failed[:3]:
            print(f"  exit {code}: {output}")
    checks = check_invariants(started_at, stats)
    for name, runs in background.items():
        checks.append((f"every {name} run succeeded", all(r[0] == 0 for r in runs) and bool(runs), f"{len(runs)} runs"))
    print("\n| check | result | detail |\n|---|---|---|")
    for name, ok, detail in checks:
        print(f"| {name} | {'ok' if ok else 'FAILED'} | {detail} |")
    sys.exit(0 if all(ok for _, ok, _ in checks) else 1)


if __name__ == "__main__":
    main()
