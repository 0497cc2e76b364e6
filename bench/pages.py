"""Bench: the pages agents and admins open all day, at 1,000 and at 1,000,000 conversations.

    .ci/with-postgres .venv/bin/python bench/pages.py [--small 1000] [--large 1000000] [--requests 30] [--reuse]

For each size it creates a database on the cluster DATABASE_URL points at (bench_1k, bench_1m), migrates it,
fills it in SQL (INSERT … SELECT over generate_series: no row goes through Python), builds the reports' rollup
tables from those events as `rollup_reports --rebuild` does, and VACUUM ANALYZEs it. Then it
requests every page through Django's test client as a signed-in superuser, --requests timed requests per size in
three rounds that take turns between the sizes (each after a few warm-up requests), so a change in the shared
host's speed meets both sizes alike; then one more under CaptureQueriesContext to count the queries.

It prints one row per page: the median at both sizes, their ratio, the p95 at both sizes, the query count at both
sizes, and the big tables a query of the page reads a tenth or more of with a sequential scan at the large size
(from EXPLAIN ANALYZE: a scan that a LIMIT stops early costs the same at any size). Targets (issue 8): ratio at
most 2.0, the same query count at both sizes, a median under 50 ms at the large size (100 ms for the report
pages, issue 18) and no sequential scan of a big table. Below the table, for every page that misses one, the
slowest query of that page with its EXPLAIN (ANALYZE, BUFFERS) at the large size.

--reuse keeps bench databases that already exist (handy while trying an index: migrate still runs). What
"Next conversation" takes is given back after it is measured, so a reused database offers the same queue again.
"""

import argparse
import os
import re
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_portal.settings")
for name, value in {
    "SECRET_KEY": "bench",
    "HTTPS": "0",
    "DEBUG": "0",
    "STATIC_MANIFEST": "0",
    "ALLOWED_HOSTS": "testserver,localhost",
}.items():
    os.environ.setdefault(name, value)
# The bench serves no static files: WhiteNoise need not say that STATIC_ROOT was never collected.
warnings.filterwarnings("ignore", message="No directory at")

TARGET_RATIO = 2.0
TARGET_MEDIAN_MS = 50.0
TARGET_REPORT_MEDIAN_MS = 100.0  # issue 18: a report page (its name starts with "reports:")
WARM_UP = 3  # requests before each round's timed ones
ROUNDS = 3  # the timed requests of a page are made in this many rounds per size, the sizes taking turns
# The tables that grow with the conversations; a sequential scan of one of them grows with it.
BIG_TABLES = {
    "queues_conversation",
    "queues_conversation_tags",
    "queues_message",
    "queues_note",
    "queues_event",
    "queues_reportconversation",
}
AGENTS = 30
TIMELINE_EXTRA = 80  # messages, notes and events each added to the conversation whose detail page is measured

FIRST_NAMES = ["Anna", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Guo", "Hana", "Ines", "Jonas", "Kofi", "Lena"]
LAST_NAMES = ["Smith", "Müller", "Okafor", "Tanaka", "Haddad", "Silva", "Novak", "Kim", "Rossi", "Dubois"]
OPENINGS = ["Hi,", "Hello team,", "Help!", "Since the last update", "Not sure who to ask, but", "Dear Mozilla,", ""]
PROBLEMS = [
    "sync loses my bookmarks",
    "the browser crashes when I open a new tab",
    "videos stutter on YouTube",
    "my passwords are gone after the update",
    "the address bar suggestions are wrong",
    "I cannot install any extension",
    "pages load very slowly on mobile data",
    "dark mode does not work on some sites",
    "the download button does nothing",
    "Pocket recommendations are annoying",
    "my history is empty every morning",
    "the app drains my battery",
    "translations stopped working",
    "I cannot log in to my Mozilla account",
    "PDF files open blank",
    "tabs from my phone do not show on my laptop",
    "Focus forgets the search engine I chose",
    "the keyboard covers the text field",
    "ads are everywhere even with strict protection",
    "printing cuts off the last line",
]
DETAILS = ["Please fix.", "Any idea?", "Android 14, Pixel 7.", "Windows 11.", "Thanks!", "😡", "Version 145.", ""]
TITLES = ["Crashes", "Great browser", "Slow", "Sync broken", "Love it", "Battery", "Ads", "Extensions?", ""]
REPLIES = [
    "Thanks for reaching out! Could you tell us your version?",
    "Sorry about that. Does it happen in a private window too?",
    "Any update? It still happens.",
    "Here is a guide that should help: https://support.mozilla.org/",
]
NOTES = ["Asked for the version.", "Looks like the known sync bug.", "Customer is a paid Pocket user.", "Duplicate?"]
TAG_NAMES = ["sync", "crash", "performance", "extensions", "passwords", "media", "ads", "battery", "login", "pdf"]


def generate(cursor, *, size: int, agent_ids: list[int], bench_user_id: int, tag_ids: list[int]) -> int:
    """Fill the conversation tables in SQL and return the id of the conversation with a long timeline.

    The spread: X @FirefoxSupport 30 %, X @Firefox 10 %, Facebook 15 %, the three Play apps 30/10/5 %; received
    evenly over the last 3 years; 40 % closed, 10 % on hold, 5 % escalated, the rest open in a working queue; a
    fifth of the open ones and most closed ones assigned; ratings on Play only; social posts with a product 60 %
    of the time; a third tagged; 1–3 messages, notes and events each."""
    cursor.execute("SELECT setseed(0.42)")
    cursor.execute(
        """
        CREATE TEMP TABLE bench_channel AS
        SELECT c.id, c.platform, c.working_queue_id, c.escalation_queue_id, c.default_product_id, w.lo, w.hi
        FROM queues_channel c
        JOIN (VALUES ('@FirefoxSupport', 0.0, 0.30), ('@Firefox', 0.30, 0.40), ('Firefox', 0.40, 0.55),
                     ('org.mozilla.firefox', 0.55, 0.85), ('org.mozilla.focus', 0.85, 0.95),
                     ('org.mozilla.klar', 0.95, 1.0)) AS w(account, lo, hi) ON w.account = c.account
        """
    )
    cursor.execute(
        """
        CREATE TEMP TABLE bench_draw AS
        SELECT i, random() AS pick, random() AS fate, random() AS jitter, random() AS product, random() AS rating,
               random() AS assigned, random() AS who, random() AS text1, random() AS text2, random() AS text3
        FROM generate_series(1, %s) AS i
        """,
        [size],
    )
    on_hold = _queue_id(cursor, "on_hold")
    products = _ids(cursor, "SELECT id FROM queues_product ORDER BY id")
    cursor.execute(
        """
        INSERT INTO queues_conversation (
            channel_id, external_id, permalink, author_name, author_handle, title, body, rating, language, metadata,
            product_id, queue_id, status, assignee_id, escalation_reason, escalation_reason_other, escalated_at,
            previous_queue_id, on_hold_since, last_customer_message_at, closed_at, close_reason,
            created_at, received_at, updated_at)
        SELECT ch.id, 'bench-' || d.i, '', v.author_name,
               CASE WHEN ch.platform = 'google_play' THEN ''
                    ELSE '@' || lower(v.first_name) || '_' || d.i END,
               CASE WHEN ch.platform = 'google_play'
                    THEN (%(titles)s::text[])[1 + floor(d.text3 * cardinality(%(titles)s::text[]))::int]
                    ELSE '' END,
               trim((%(openings)s::text[])[1 + floor(d.text1 * cardinality(%(openings)s::text[]))::int] || ' '
                    || (%(problems)s::text[])[1 + floor(d.text2 * cardinality(%(problems)s::text[]))::int] || '. '
                    || (%(details)s::text[])[1 + floor(d.text3 * cardinality(%(details)s::text[]))::int]),
               CASE WHEN ch.platform <> 'google_play' THEN NULL
                    WHEN d.rating < 0.30 THEN 1 WHEN d.rating < 0.40 THEN 2 WHEN d.rating < 0.50 THEN 3
                    WHEN d.rating < 0.65 THEN 4 ELSE 5 END,
               (ARRAY['en', 'en', 'en', 'en', 'de', 'fr', 'ja', 'ar'])[1 + d.i %% 8],
               CASE WHEN ch.platform = 'google_play'
                    THEN '{"device": "a52q", "app_version_name": "145.0.2"}'::jsonb ELSE '{}'::jsonb END,
               CASE WHEN ch.platform = 'google_play' THEN ch.default_product_id
                    WHEN d.product < 0.6
                    THEN (%(products)s::bigint[])[1 + floor(d.product / 0.6 * cardinality(%(products)s::bigint[]))::int]
                    END,
               CASE WHEN v.stage = 'on_hold' THEN %(on_hold)s
                    WHEN v.stage = 'escalated' THEN ch.escalation_queue_id
                    ELSE ch.working_queue_id END,
               CASE WHEN v.stage = 'closed' THEN 'closed' ELSE 'open' END,
               CASE WHEN v.stage = 'closed' AND d.assigned < 0.9 OR d.assigned < 0.2
                    THEN (%(agents)s::bigint[])[1 + floor(d.who * cardinality(%(agents)s::bigint[]))::int] END,
               CASE WHEN v.stage = 'escalated' THEN 'needs_product_team' ELSE '' END, '',
               CASE WHEN v.stage = 'escalated' THEN v.received_at + interval '2 hours' END,
               CASE WHEN v.stage IN ('on_hold', 'escalated') THEN ch.working_queue_id END,
               CASE WHEN v.stage = 'on_hold' THEN greatest(v.received_at, now() - interval '6 days' * d.who) END,
               v.received_at,
               CASE WHEN v.stage = 'closed' THEN v.received_at + interval '1 hour' * (1 + d.who * 48) END,
               CASE WHEN v.stage = 'closed' THEN 'resolved' ELSE '' END,
               v.received_at - interval '1 minute' * (1 + d.text1 * 30), v.received_at, now()
        FROM bench_draw d
        JOIN bench_channel ch ON d.pick >= ch.lo AND d.pick < ch.hi
        CROSS JOIN LATERAL (
            SELECT (%(first)s::text[])[1 + d.i %% cardinality(%(first)s::text[])] AS first_name,
                   (%(first)s::text[])[1 + d.i %% cardinality(%(first)s::text[])] || ' '
                   || (%(last)s::text[])[1 + (d.i / 7) %% cardinality(%(last)s::text[])] AS author_name,
                   -- Newer rows, newer ids (as imports arrive), give or take a day.
                   now() - interval '1 day' * (1095.0 * (%(size)s - d.i) / %(size)s + d.jitter)
                   AS received_at,
                   CASE WHEN d.fate < 0.40 THEN 'closed' WHEN d.fate < 0.50 THEN 'on_hold'
                        WHEN d.fate < 0.55 THEN 'escalated' ELSE 'working' END AS stage
        ) AS v
        ORDER BY d.i
        """,
        {
            "titles": TITLES,
            "openings": OPENINGS,
            "problems": PROBLEMS,
            "details": DETAILS,
            "products": products,
            "on_hold": on_hold,
            "agents": agent_ids,
            "first": FIRST_NAMES,
            "last": LAST_NAMES,
            "size": size,
        },
    )
    # The bench user has a few open conversations, so the dashboard's "Assigned to me" is drawn.
    cursor.execute(
        """
        UPDATE queues_conversation SET assignee_id = %s
        WHERE id IN (SELECT id FROM queues_conversation WHERE status = 'open' ORDER BY id DESC LIMIT 12)
        """,
        [bench_user_id],
    )
    cursor.execute(
        """
        INSERT INTO queues_conversation_tags (conversation_id, tag_id)
        SELECT c.id, (%(tags)s::bigint[])[1 + c.id %% cardinality(%(tags)s::bigint[])]
        FROM queues_conversation c WHERE c.id %% 3 = 0
        UNION ALL
        SELECT c.id, (%(tags)s::bigint[])[1 + (c.id + 1) %% cardinality(%(tags)s::bigint[])]
        FROM queues_conversation c WHERE c.id %% 9 = 0
        """,
        {"tags": tag_ids},
    )
    _history(cursor, where="TRUE", per_conversation="1 + c.id %% 3", agents=agent_ids)
    _report_history(cursor, agents=agent_ids)
    convo_id = _ids(
        cursor,
        """
        SELECT id FROM queues_conversation
        WHERE status = 'open' AND queue_id = (SELECT working_queue_id FROM queues_channel WHERE account = '@Firefox')
        ORDER BY id LIMIT 1 OFFSET %s
        """,
        [size // 20],
    )[0]
    _history(cursor, where=f"c.id = {convo_id:d}", per_conversation=str(TIMELINE_EXTRA), agents=agent_ids)
    return convo_id


def _history(cursor, *, where: str, per_conversation: str, agents: list[int]) -> None:
    """Messages, notes and events: per_conversation of each for the conversations matching where."""
    series = f"FROM queues_conversation c CROSS JOIN LATERAL generate_series(1, {per_conversation}) AS k WHERE {where}"
    agent = "(%(agents)s::bigint[])[1 + (c.id + k) %% cardinality(%(agents)s::bigint[])]"
    cursor.execute(
        f"""
        INSERT INTO queues_message (conversation_id, direction, external_id, author_id, author_name, body,
                                    clipping_id, delivery, created_at, attempts, lease_owner, delivery_reason)
        SELECT c.id, CASE WHEN k %% 2 = 1 THEN 'outbound' ELSE 'inbound' END, '',
               CASE WHEN k %% 2 = 1 THEN {agent} END, CASE WHEN k %% 2 = 1 THEN '' ELSE c.author_name END,
               (%(replies)s::text[])[1 + (c.id + k) %% cardinality(%(replies)s::text[])], NULL,
               CASE WHEN k %% 2 = 1 THEN 'sent' ELSE '' END, c.received_at + interval '1 hour' * k, 0, '', ''
        {series}
        """,
        {"agents": agents, "replies": REPLIES},
    )
    cursor.execute(
        f"""
        INSERT INTO queues_note (conversation_id, author_id, body, created_at)
        SELECT c.id, {agent}, (%(notes)s::text[])[1 + (c.id + k) %% cardinality(%(notes)s::text[])],
               c.received_at + interval '1 hour' * k + interval '10 minutes'
        {series}
        """,
        {"agents": agents, "notes": NOTES},
    )
    cursor.execute(
        f"""
        INSERT INTO queues_event (conversation_id, actor_id, by_automation, kind, from_queue_id, to_queue_id,
                                  details, created_at)
        SELECT c.id, CASE WHEN k > 1 THEN {agent} END, k = 1,
               CASE k WHEN 1 THEN 'created' WHEN 2 THEN 'assigned' ELSE 'note_added' END,
               NULL, CASE WHEN k = 1 THEN c.queue_id END, '{{}}'::jsonb,
               c.received_at + interval '1 hour' * k + interval '20 minutes'
        {series}
        """,
        {"agents": agents},
    )


def _report_history(cursor, *, agents: list[int]) -> None:
    """The events the reports read, consistent with each conversation's stage, in one INSERT ordered by time (ids
    grow with time, as they do in the portal): a first reply for four in five conversations (5 minutes to 2 days
    after arrival); the escalations of the escalated ones and of a tenth of the closed ones; on hold for the ones on
    hold, and for half the closed ones, of which half came back (a customer message) before an agent closed them
    and half were closed by the automation; an agent's close for the other closed ones."""
    agent = "(%(agents)s::bigint[])[1 + c.id %% cardinality(%(agents)s::bigint[])]"
    reason = (
        "jsonb_build_object('reason', (ARRAY['needs_product_team', 'attention_no_kb', 'sensitive', 'paid_product', "
        "'other'])[1 + c.id %% 5])"
    )
    cursor.execute(
        f"""
        INSERT INTO queues_event (conversation_id, actor_id, by_automation, kind, from_queue_id, to_queue_id,
                                  details, created_at)
        SELECT conversation_id, actor_id, by_automation, kind, from_queue_id, to_queue_id, details, created_at
        FROM (
            SELECT c.id AS conversation_id, {agent} AS actor_id, false AS by_automation, 'replied' AS kind,
                   NULL::bigint AS from_queue_id, NULL::bigint AS to_queue_id, '{{}}'::jsonb AS details,
                   c.received_at + interval '1 minute' * (5 + (c.id * 7919) %% 2875) AS created_at, 1 AS step
            FROM queues_conversation c WHERE c.id %% 5 <> 0
            UNION ALL
            SELECT c.id, {agent}, false, 'escalated', ch.working_queue_id, ch.escalation_queue_id, {reason},
                   c.received_at + interval '2 hours', 2
            FROM queues_conversation c JOIN queues_channel ch ON ch.id = c.channel_id
            WHERE c.escalated_at IS NOT NULL OR c.status = 'closed' AND c.id %% 10 = 0
            UNION ALL
            SELECT c.id, {agent}, false, 'put_on_hold', c.previous_queue_id, c.queue_id, '{{}}', c.on_hold_since, 3
            FROM queues_conversation c WHERE c.status = 'open' AND c.on_hold_since IS NOT NULL
            UNION ALL
            SELECT c.id, {agent}, false, 'put_on_hold', c.queue_id, %(on_hold)s, '{{}}',
                   c.received_at + interval '40 minutes', 3
            FROM queues_conversation c WHERE c.status = 'closed' AND c.id %% 4 IN (1, 2) AND c.id %% 10 <> 0
            UNION ALL
            SELECT c.id, NULL, false, 'customer_message', %(on_hold)s, c.queue_id, '{{}}',
                   c.received_at + interval '50 minutes', 4
            FROM queues_conversation c WHERE c.status = 'closed' AND c.id %% 4 = 2 AND c.id %% 10 <> 0
            UNION ALL
            SELECT c.id, CASE WHEN c.id %% 4 = 1 AND c.id %% 10 <> 0 THEN NULL ELSE {agent} END,
                   c.id %% 4 = 1 AND c.id %% 10 <> 0, 'closed', c.queue_id, NULL,
                   jsonb_build_object('reason', c.close_reason), c.closed_at, 5
            FROM queues_conversation c WHERE c.status = 'closed'
        ) AS e
        ORDER BY created_at, conversation_id, step
        """,  # noqa: S608 the only inputs are bound parameters
        {"agents": agents, "on_hold": _queue_id(cursor, "on_hold")},
    )


def _ids(cursor, sql: str, params=None) -> list[int]:
    cursor.execute(sql, params)
    return [row[0] for row in cursor.fetchall()]


def _queue_id(cursor, kind: str) -> int:
    return _ids(cursor, "SELECT id FROM queues_queue WHERE kind = %s ORDER BY id LIMIT 1", [kind])[0]


def _label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1_000 and size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


class SqlTimer:
    """A connection.execute_wrapper that adds up the time a request spends in the database."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - began


@dataclass
class Result:
    times_ms: list[float]
    queries: int
    sql_ms: list[float] = field(default_factory=list)
    slowest_sql: str = ""
    slowest_ms: float = 0.0
    plan: str = ""
    seq_scans: set[str] = field(default_factory=set)

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.times_ms, n=20, method="inclusive")[18]

    @property
    def sql_median(self) -> float:
        """The database's share of a request: the median of each request's time in its queries."""
        return statistics.median(self.sql_ms)

    @property
    def draw_median(self) -> float:
        """The rest of the server's work: middleware, views, templates — drawing the page."""
        return statistics.median(total - sql for total, sql in zip(self.times_ms, self.sql_ms, strict=True))


@dataclass
class Dataset:
    database: str
    size: int
    seconds: float
    reused: bool
    stages: str
    context: dict
    results: dict[str, Result] = field(default_factory=dict)


def use_database(name: str, *, create: bool) -> bool:
    """Create database name on the cluster if need be, and switch to it; True if it existed already."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if exists and create:
            cursor.execute(f'DROP DATABASE "{name}"')
        if create or not exists:
            cursor.execute(f'CREATE DATABASE "{name}"')
    switch_to(name)
    return exists and not create


def switch_to(name: str) -> None:
    """Point Django's connection at database name on the same cluster (it connects again on its next query)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name
    ContentType.objects.clear_cache()


def prepare(size: int, *, reuse: bool) -> Dataset:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from queues import search
    from queues.models import Conversation, Queue, Tag
    from queues.reports import rebuild, rollup

    database = f"bench_{_label(size).lower()}"
    reused = use_database(database, create=not reuse)
    call_command("migrate", verbosity=0)
    User = get_user_model()
    began = time.perf_counter()
    if not reused or not Conversation.objects.exists():
        reused = False
        user = User.objects.create_superuser("bench", "bench@example.com", None)
        agents = User.objects.bulk_create(User(username=f"agent{n}", first_name=f"Agent {n}") for n in range(AGENTS))
        tags = Tag.objects.bulk_create(Tag(name=name, slug=name) for name in TAG_NAMES)
        with connection.cursor() as cursor:
            # A bulk load: the rows are built consistent, so the foreign key triggers may sleep meanwhile.
            cursor.execute("SET session_replication_role = replica")
            try:
                generate(
                    cursor,
                    size=size,
                    agent_ids=[a.pk for a in agents],
                    bench_user_id=user.pk,
                    tag_ids=[t.pk for t in tags],
                )
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
        # The search table's triggers slept too: write its rows in one statement.
        search.install(connection)
        # The reports read rollup tables; a bulk load fills them with the exact backfill cron would run once.
        rolled = time.perf_counter()
        folded = rebuild.rebuild()
        print(
            f"{_label(size)}: rollup_reports --rebuild folded {folded.events:,} events in "
            f"{time.perf_counter() - rolled:.0f} s",
            file=sys.stderr,
        )
    else:
        rollup.fold()
    with connection.cursor() as cursor:
        # Index-only scans need the visibility map; the planner needs statistics.
        cursor.execute("VACUUM ANALYZE")
    seconds = time.perf_counter() - began
    user = User.objects.get(username="bench")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.id FROM queues_conversation c
            WHERE (SELECT count(*) FROM queues_event e WHERE e.conversation_id = c.id) > %s
            ORDER BY c.id LIMIT 1
            """,
            [TIMELINE_EXTRA],
        )
        long_timeline = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT CASE WHEN c.status = 'closed' THEN 'closed' ELSE q.kind END AS stage, count(*)
            FROM queues_conversation c JOIN queues_queue q ON q.id = c.queue_id GROUP BY 1 ORDER BY 1
            """
        )
        stages = ", ".join(f"{stage} {count / size:.0%}" for stage, count in cursor.fetchall())
    social = Queue.objects.get(slug="social-support")
    middle = Conversation.objects.order_by("received_at", "id").values_list("received_at", "id")[size // 2]
    typical = Conversation.objects.filter(channel__platform="google_play").order_by("id").first()
    context = {
        "user": user,
        "long_timeline": long_timeline,
        "typical": typical.pk,
        "social": social.pk,
        "on_hold": Queue.objects.get(kind=Queue.Kind.ON_HOLD).pk,
        "android": typical.product_id,
        "middle": middle,
        "handle": Conversation.objects.exclude(author_handle="").order_by("id")[size // 3].author_handle,
        "external_id": Conversation.objects.order_by("id")[size // 5].external_id,
        "year_ago": (timezone.localdate() - timedelta(days=365)).isoformat(),
    }
    return Dataset(
        database=database,
        size=Conversation.objects.count(),
        seconds=seconds,
        reused=reused,
        stages=stages,
        context=context,
    )


def pages(ctx: dict) -> dict[str, tuple[str, str]]:
    """page name → (method, address)."""
    from queues.selectors import _encode

    return {
        "dashboard": ("get", "/"),
        "list": ("get", "/conversations/"),
        "list: queue, open": ("get", f"/conversations/?queue={ctx['social']}&status=open"),
        "list: product + rating": ("get", f"/conversations/?product={ctx['android']}&rating=1&rating=2"),
        "list: search a word": ("get", "/conversations/?q=bookmarks"),
        "list: search a handle": ("get", f"/conversations/?q={ctx['handle'][1:]}"),
        "list: search a name": ("get", f"/conversations/?q={FIRST_NAMES[0]}"),
        "list: sort lowest rating": ("get", "/conversations/?sort=rating"),
        "list: deep page (middle)": ("get", f"/conversations/?after={_encode(list(ctx['middle']))}"),
        "detail: long timeline": ("get", f"/conversations/{ctx['long_timeline']}/"),
        "next conversation": ("post", f"/queues/{ctx['social']}/next/"),
        "admin list": ("get", "/admin/queues/conversation/"),
        "admin list: queue filter": ("get", f"/admin/queues/conversation/?queue__id__exact={ctx['on_hold']}"),
        "admin list: search a handle": ("get", f"/admin/queues/conversation/?q={ctx['handle'][1:]}"),
        # Every platform id starts alike ("bench-" here, "gp:AOqpTO" on Google Play): its first trigrams match all.
        "admin list: search a platform id": ("get", f"/admin/queues/conversation/?q={ctx['external_id']}"),
        # One conversation in twelve has this first name: a search that matches tens of thousands at 1M.
        "admin list: search a name": ("get", f"/admin/queues/conversation/?q={FIRST_NAMES[0]}"),
        "admin change": ("get", f"/admin/queues/conversation/{ctx['typical']}/change/"),
        # The reports (issue 18), default range: the last 12 weeks.
        "reports: escalations": ("get", "/reports/escalations/"),
        "reports: escalations, a year, one product": (
            "get",
            f"/reports/escalations/?start={ctx['year_ago']}&product={ctx['android']}",
        ),
        "reports: backlog now": ("get", "/reports/backlog/"),
        "reports: first response": ("get", "/reports/first-response/"),
        "reports: escalation to close": ("get", "/reports/escalation-to-close/"),
        "reports: on hold outcomes": ("get", "/reports/on-hold/"),
        "reports: agent activity": ("get", "/reports/agents/"),
        "reports: stale escalations": ("get", "/reports/stale/"),
        "reports: a CSV": ("get", "/reports/first-response/first-response.csv"),
    }


def request(client, method: str, address: str) -> None:
    response = getattr(client, method)(address)
    if method == "post":
        # "Next conversation" must have handed out a conversation, not "nothing waiting".
        ok = response.status_code == 302 and response["Location"].startswith("/conversations/")
    else:
        ok = response.status_code == 200
        # A search that finds nothing measures nothing: it must link at least one conversation.
        if ok and "q=" in address and not re.search(rb"/conversations?/\d+/", response.content):
            raise SystemExit(f"GET {address}: found no conversation")
    if not ok:
        raise SystemExit(f"{method.upper()} {address}: {response.status_code} {response.get('Location', '')}")


def measure(datasets: list[Dataset], requests: int) -> None:
    """Time every page at every size, in ROUNDS rounds that take turns between the sizes: the host's speed drifts
    (the machine is shared), and taking turns lets a drift slow both sizes alike rather than one. Then count the
    page's queries once more at each size and, at the largest, look for sequential scans and explain the slowest."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = []
    for dataset in datasets:
        switch_to(dataset.database)
        client = Client()
        client.force_login(dataset.context["user"])
        clients.append(client)
    per_round = -(-requests // ROUNDS)
    sql = SqlTimer()
    for name in pages(datasets[0].context):
        times = [[] for _ in datasets]
        sql_times = [[] for _ in datasets]
        for _ in range(ROUNDS):
            for dataset, client, timed, in_sql in zip(datasets, clients, times, sql_times, strict=True):
                switch_to(dataset.database)
                method, address = pages(dataset.context)[name]
                since_event = last_event_id()
                for _ in range(WARM_UP):
                    request(client, method, address)
                with connection.execute_wrapper(sql):
                    for _ in range(per_round):
                        sql.seconds = 0.0
                        began = time.perf_counter()
                        request(client, method, address)
                        timed.append((time.perf_counter() - began) * 1000)
                        in_sql.append(sql.seconds * 1000)
                if method == "post":
                    release(since_event, dataset.context["user"].pk)
        for dataset, client, timed, in_sql in zip(datasets, clients, times, sql_times, strict=True):
            switch_to(dataset.database)
            method, address = pages(dataset.context)[name]
            since_event = last_event_id()
            request(client, method, address)  # the switch emptied the ContentType cache: not the page's queries
            with CaptureQueriesContext(connection) as captured:
                request(client, method, address)
            result = Result(times_ms=timed, queries=len(captured), sql_ms=in_sql)
            if dataset is datasets[-1]:
                # Django logs COMMIT and SAVEPOINTs among a page's queries; EXPLAIN takes statements only.
                statements = [q for q in captured.captured_queries if not _TRANSACTION_CONTROL.match(q["sql"])]
                slowest = max(statements, key=lambda q: float(q["time"]))
                result.slowest_sql, result.slowest_ms = slowest["sql"], float(slowest["time"]) * 1000
                result.plan = explain_analyze(slowest["sql"])
                result.seq_scans = {t for q in captured.captured_queries for t in seq_scanned(q["sql"])}
            if method == "post":
                release(since_event, dataset.context["user"].pk)
            dataset.results[name] = result


_TRANSACTION_CONTROL = re.compile(r"\s*(COMMIT|ROLLBACK|BEGIN|SAVEPOINT|RELEASE SAVEPOINT)\b", re.IGNORECASE)


def last_event_id() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM queues_event")
        return cursor.fetchone()[0]


def release(since_event: int, user_id: int) -> None:
    """Give back what "Next conversation" took, so a run with --reuse finds the same queue again.

    The audit trail is append-only (queues/history.py); the bench alone removes its own events, in SQL, inside
    history.rewritable()."""
    from django.db import connection, transaction

    from queues import history

    with transaction.atomic(), history.rewritable(connection), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH taken AS (
                DELETE FROM queues_event WHERE id > %s AND kind = 'assigned' AND actor_id = %s
                RETURNING conversation_id)
            UPDATE queues_conversation SET assignee_id = NULL WHERE id IN (SELECT conversation_id FROM taken)
            """,
            [since_event, user_id],
        )


def explain_analyze(sql: str) -> str:
    from django.db import connection, transaction

    # EXPLAIN ANALYZE runs the statement: roll back whatever it writes or locks.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def seq_scanned(sql: str) -> set[str]:
    """The big tables the query reads a large part of (over a tenth of their rows) with a sequential scan. A scan
    that a LIMIT stops after a few thousand rows costs the same at any size and is not counted."""
    from django.db import connection, transaction

    if not sql.lstrip().upper().startswith("SELECT"):
        return set()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
        cursor.execute(
            "SELECT relname, greatest(reltuples, 1) FROM pg_class WHERE relname = ANY(%s)", [sorted(BIG_TABLES)]
        )
        sizes = dict(cursor.fetchall())
        transaction.set_rollback(True)

    def walk(node):
        table = node.get("Relation Name")
        if node.get("Node Type") == "Seq Scan" and table in BIG_TABLES:
            read = (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
            if read > sizes[table] / 10:
                yield table
        for child in node.get("Plans", []):
            yield from walk(child)

    return set(walk(plan[0]["Plan"]))


def report(small: Dataset, large: Dataset) -> None:
    a, b = _label(small.size), _label(large.size)
    header = (
        f"| page | {a} median ms | {b} median ms | ratio | {a} p95 ms | {b} p95 ms | {b} SQL ms | {b} drawing ms "
        f"| queries {a} | queries {b} | seq scans at {b} | misses |"
    )
    print(header)
    print("|" + "---|" * header.count(" | ") + "---|")
    missed = []
    for name, s in small.results.items():
        big = large.results[name]
        ratio = big.median / s.median
        target = TARGET_REPORT_MEDIAN_MS if name.startswith("reports:") else TARGET_MEDIAN_MS
        misses = [
            label
            for label, miss in [
                ("ratio", ratio > TARGET_RATIO),
                ("queries", big.queries != s.queries),
                (f"{target:.0f} ms", big.median >= target),
                ("seq scan", bool(big.seq_scans)),
            ]
            if miss
        ]
        if misses:
            missed.append((name, big))
        print(
            f"| {name} | {s.median:.1f} | {big.median:.1f} | {ratio:.2f} | {s.p95:.1f} | {big.p95:.1f} "
            f"| {big.sql_median:.1f} | {big.draw_median:.1f} | {s.queries} | {big.queries} "
            f"| {', '.join(sorted(big.seq_scans)) or '-'} | {', '.join(misses) or '-'} |"
        )
    for name, big in missed:
        print(f"\n### {name}: the slowest query at {b} ({big.slowest_ms:.1f} ms)\n")
        print(big.slowest_sql)
        print()
        print(big.plan)


def profile(dataset: Dataset, name: str, requests: int) -> None:
    """Where one page's server time goes: the functions that took the most time, cumulative, over `requests`."""
    import cProfile
    import pstats

    from django.test import Client

    switch_to(dataset.database)
    client = Client()
    client.force_login(dataset.context["user"])
    known = pages(dataset.context)
    if name not in known:
        sys.exit(f"No page {name!r}; the pages are: {', '.join(known)}")
    method, address = known[name]
    since_event = last_event_id()
    for _ in range(WARM_UP):
        request(client, method, address)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        request(client, method, address)
    profiler.disable()
    if method == "post":
        release(since_event, dataset.context["user"].pk)
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page and size (default 30)")
    parser.add_argument("--reuse", action="store_true", help="keep bench databases that exist already")
    parser.add_argument(
        "--profile",
        metavar="PAGE",
        help="instead of the table: cProfile PAGE (a name from the table) over the timed requests at the small size",
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (run under .ci/with-postgres): the bench needs one.")

    import django

    django.setup()
    from django.db import connection

    if args.profile:
        profile(prepare(args.small, reuse=args.reuse), args.profile, args.requests)
        return
    datasets = []
    for size in (args.small, args.large):
        dataset = prepare(size, reuse=args.reuse)
        datasets.append(dataset)
        state = "reused" if dataset.reused else f"generated and analysed in {dataset.seconds:.0f} s"
        print(f"{_label(size)}: {dataset.size:,} conversations ({dataset.stages}), {state}", file=sys.stderr)
    measure(datasets, args.requests)

    load = ", ".join(f"{minutes:.2f}" for minutes in os.getloadavg())
    print(
        f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} CPUs, {args.requests} requests per page, "
        f"load average {load}"
    )
    print()
    report(*datasets)


if __name__ == "__main__":
    main()
