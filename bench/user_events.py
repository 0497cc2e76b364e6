"""The "who did what" page's query on PostgreSQL, with each index that could serve it; a script that prints a table.

    .ci/with-postgres .venv/bin/python bench/user_events.py          (--events N, default 3,000,000)

Migrates the empty database DATABASE_URL points at and fills queues_event in SQL: N events over three years, 60 %
by 200 agents (one of them, the busiest, a tenth of those), the rest by the automation or customers (no actor). Then,
for the busiest agent, it runs audit.events_of()'s queries — the first page and a page 90 % of the way down their
history (keyset: created_at <= cursor) — with each index in turn: event_actor (actor) WHERE actor IS NOT NULL, as
migration 0007 left it, and event_actor_created (actor, created_at, id) WHERE actor IS NOT NULL, migration 0008's.
The same first page for someone who left two years ago (500 events, none since). It prints the median of 15 runs of
EXPLAIN ANALYZE's execution time, and the plan's scans.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

import django

django.setup()

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from queues.audit import PAGE
from queues.models import Channel, Event

INDEXES = {
    "event_actor (actor)": "CREATE INDEX event_actor ON queues_event (actor_id) WHERE actor_id IS NOT NULL",
    "event_actor_created (actor, created_at, id)": "CREATE INDEX event_actor_created"
    " ON queues_event (actor_id, created_at, id) WHERE actor_id IS NOT NULL",
}


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def seed(total: int) -> int:
    channel = Channel.objects.order_by("pk").first()
    users = [get_user_model().objects.create_user(f"agent{n}").pk for n in range(200)]
    sql(
        """INSERT INTO queues_conversation (channel_id, queue_id, external_id, permalink, author_name, author_handle,
               title, body, language, metadata, status, escalation_reason, escalation_reason_other, close_reason,
               created_at, received_at, updated_at)
           SELECT %s, %s, 'bench-' || n, '', '', '', '', 'text', 'en', '{}', 'open', '', '', '', now(), now(), now()
           FROM generate_series(1, 1000) n""",
        [channel.pk, channel.working_queue_id],
    )
    first = sql("SELECT min(id) FROM queues_conversation")[0][0]
    # Triggers off for the bulk load, as bench/pages.py does (the append-only ones would not mind; the search ones
    # are for conversations only).
    sql("SET session_replication_role = replica")
    sql(
        """INSERT INTO queues_event (conversation_id, actor_id, by_automation, kind, details, created_at)
           SELECT %s + n %% 1000,
                  CASE WHEN n %% 10 < 4 THEN NULL
                       WHEN n %% 10 = 4 THEN %s
                       ELSE (%s::bigint[])[1 + n %% 200] END,
                  false, 'note_added', '{}',
                  now() - interval '3 years' * random()
           FROM generate_series(1, %s) n""",
        [first, users[0], users, total],
    )
    # Someone who left two years ago: 500 events, none since.
    sql(
        """INSERT INTO queues_event (conversation_id, actor_id, by_automation, kind, details, created_at)
           SELECT %s + n %% 1000, %s, false, 'note_added', '{}', now() - interval '2 years' - interval '1 day' * n
           FROM generate_series(1, 500) n""",
        [first, users[1]],
    )
    sql("SET session_replication_role = DEFAULT")
    sql("ANALYZE queues_event")
    return users[0], users[1]


def timed(query: str, params) -> tuple[float, str]:
    """Median execution time in ms, and the plan's scans."""
    times, plan = [], []
    for _ in range(15):
        plan = [row[0] for row in sql(f"EXPLAIN (ANALYZE, FORMAT TEXT) {query}", params)]
        times.append(float(plan[-1].split(":")[1].split()[0]))
    nodes = [line.strip().lstrip("-> ").split("  (")[0] for line in plan]
    scans = [node for node in nodes if "Scan" in node or node in ("Sort", "Incremental Sort")]
    return statistics.median(times), "; ".join(scans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=3_000_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/user_events.py needs PostgreSQL: run it through .ci/with-postgres")
    call_command("migrate", verbosity=0)
    busiest, quiet = seed(args.events)
    mine = sql("SELECT count(*) FROM queues_event WHERE actor_id = %s", [busiest])[0][0]
    deep_id, deep_at = sql(
        "SELECT id, created_at FROM queues_event WHERE actor_id = %s ORDER BY created_at DESC, id DESC"
        " OFFSET %s LIMIT 1",
        [busiest, int(mine * 0.9)],
    )[0]
    page = "SELECT id, conversation_id, kind, created_at FROM queues_event WHERE actor_id = %s {where}"
    page += f" ORDER BY created_at DESC, id DESC LIMIT {PAGE + 1}"
    deep = "AND (created_at < %s OR (created_at = %s AND id < %s)) AND created_at <= %s"
    queries = {
        "first page": (page.format(where=""), [busiest]),
        "a page 90 % down": (page.format(where=deep), [busiest, deep_at, deep_at, deep_id, deep_at]),
        "someone who left": (page.format(where=""), [quiet]),
    }
    print(f"{args.events:,} events; the busiest agent did {mine:,} of them\n")
    print(f"{'index':<45} {'page':<18} {'median ms':>10}  scans")
    for name, create in INDEXES.items():
        for index in ("event_actor", "event_actor_created"):
            sql(f"DROP INDEX IF EXISTS {index}")
        sql(create)
        sql("ANALYZE queues_event")
        for label, (query, params) in queries.items():
            ms, plan = timed(query, params)
            print(f"{name:<45} {label:<18} {ms:>10.2f}  {plan}")
    assert Event.objects.filter(actor_id=busiest).exists()


if __name__ == "__main__":
    main()
