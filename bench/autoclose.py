"""Benchmark of the On Hold automation on PostgreSQL; a script that prints a table, not a test.

    .ci/with-postgres .venv/bin/python bench/autoclose.py      (or: make bench-autoclose)

Migrates the database DATABASE_URL points at, which must be PostgreSQL and hold no conversations,
and seeds it with 1,000,000 conversations: 100,000 on hold and due, 20,000 on hold and not yet due,
50,000 escalated months ago, the rest closed or in working queues. Then it times, on the same data
restored between runs: `manage.py autoclose_on_hold`; a per-row ORM loop (fetch the due
conversations, save() each, create its Event), as the common helpdesks do it; and the floor, the
same UPDATE and INSERT of events as one hand-written SQL statement in one transaction.

Seconds are measured without tracemalloc; peak Python memory in one more, otherwise identical run.
"""

import argparse
import logging
import os
import statistics
import sys
import time
import tracemalloc
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

import django

django.setup()

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from queues.automation import AUTOMATION, due_for_autoclose
from queues.models import Channel, CloseReason, Conversation, Event, Queue, Status

TOTAL = 1_000_000


def sql(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def seed(total: int) -> None:
    """INSERT … SELECT generate_series: the rows never pass through Python."""
    channels = list(Channel.objects.order_by("pk").values_list("pk", "working_queue", "escalation_queue"))
    channel_ids, working_ids, escalation_ids = (list(column) for column in zip(*channels, strict=True))
    on_hold = Queue.objects.get(kind=Queue.Kind.ON_HOLD, slug="on-hold")
    # Conversations arrive evenly over 200 days, oldest id first (5,000 a day, as PRODUCT.md plans).
    # Of the first nine tenths, every 9th was put on hold 1 to 72 hours after it arrived and is due
    # (a backlog: cron did not run), every 18th from the 1st was escalated a day after it arrived;
    # of the last tenth (the last 20 days) every 5th from the 3rd is on hold under a week. The rest
    # are closed (2 in 3) or open in working queues.
    sql(
        """
        INSERT INTO queues_conversation (
            external_id, permalink, author_name, author_handle, title, body, language, metadata,
            status, escalation_reason, escalation_reason_other, escalated_at, on_hold_since,
            last_customer_message_at, closed_at, close_reason, created_at, received_at, updated_at,
            channel_id, queue_id, previous_queue_id)
        SELECT 'bench-' || g, '', 'Customer ' || g, '@customer' || g, '', 'It crashes on start.', 'en', '{}',
            CASE WHEN kind = 'closed' THEN 'closed' ELSE 'open' END,
            CASE WHEN kind = 'escalated' THEN 'needs_product_team' ELSE '' END, '',
            CASE WHEN kind = 'escalated' THEN created + interval '1 day' END,
            CASE WHEN kind = 'due' THEN created + (1 + mod(g, 72)) * interval '1 hour'
                 WHEN kind = 'waiting' THEN greatest(created, now() - mod(g, 6) * interval '1 day') END,
            created,
            CASE WHEN kind = 'closed' THEN created + interval '2 days' END,
            CASE WHEN kind = 'closed' THEN 'resolved' ELSE '' END,
            created, created, created,
            (%(channels)s::bigint[])[1 + mod(g, %(n)s)],
            CASE kind WHEN 'due' THEN %(on_hold)s WHEN 'waiting' THEN %(on_hold)s
                      WHEN 'escalated' THEN (%(escalation)s::bigint[])[1 + mod(g, %(n)s)]
                      ELSE (%(working)s::bigint[])[1 + mod(g, %(n)s)] END,
            CASE WHEN kind IN ('due', 'waiting', 'escalated') THEN (%(working)s::bigint[])[1 + mod(g, %(n)s)] END
        FROM (
            SELECT g, now() - interval '200 days' + g * (interval '200 days' / %(total)s) AS created,
                CASE WHEN g <= %(history)s AND mod(g, 9) = 0 THEN 'due'
                     WHEN g <= %(history)s AND mod(g, 18) = 1 THEN 'escalated'
                     WHEN g > %(history)s AND mod(g, 5) = 3 THEN 'waiting'
                     WHEN mod(g, 3) <> 0 THEN 'closed' ELSE 'working' END AS kind
            FROM generate_series(1, %(total)s) AS g
        ) AS plan
        """,
        {
            "channels": channel_ids,
            "working": working_ids,
            "escalation": escalation_ids,
            "n": len(channel_ids),
            "on_hold": on_hold.pk,
            "total": total,
            "history": total * 9 // 10,
        },
    )
    # An audit trail to append to: one "created" event per conversation.
    sql(
        """INSERT INTO queues_event (by_automation, kind, details, created_at, conversation_id, to_queue_id)
           SELECT false, 'created', '{}', created_at, id, queue_id FROM queues_conversation"""
    )
    vacuum()


def vacuum() -> None:
    """Clean up after a run, and CHECKPOINT: every timed run then starts with no dirty page and pays for the first
    write of each page it changes (a full page image in the WAL), whatever the run before it left behind."""
    sql("VACUUM ANALYZE queues_conversation, queues_event")
    sql("CHECKPOINT")


def last_event_id() -> int:
    return sql("SELECT coalesce(max(id), 0) FROM queues_event")[0][0]


def restore(since_event: int) -> None:
    """Put back what a method closed. The audit trail is append-only (queues/history.py): the bench, and nothing
    else, removes the events it wrote, inside history.rewritable()."""
    from django.db import connection

    from queues import history

    with transaction.atomic(), history.rewritable(connection):
        sql(
            """UPDATE queues_conversation SET status = 'open', closed_at = NULL, close_reason = ''
               WHERE id IN (SELECT conversation_id FROM queues_event WHERE id > %s AND kind = 'closed')""",
            [since_event],
        )
        sql("DELETE FROM queues_event WHERE id > %s", [since_event])
    vacuum()


def run_command() -> None:
    call_command("autoclose_on_hold", stdout=StringIO())


def per_row_loop(sample: int | None):
    def loop() -> None:
        now = timezone.now()
        for queue in Queue.objects.filter(kind=Queue.Kind.ON_HOLD):
            due = due_for_autoclose(queue, now=now).order_by("on_hold_since")
            for convo in due[:sample] if sample else due:
                convo.status, convo.closed_at, convo.close_reason = Status.CLOSED, now, CloseReason.NO_CUSTOMER_RESPONSE
                convo.save()
                Event.objects.create(
                    conversation=convo,
                    by_automation=True,
                    kind=Event.Kind.CLOSED,
                    from_queue=queue,
                    details={"reason": CloseReason.NO_CUSTOMER_RESPONSE, "automation": AUTOMATION},
                    created_at=now,
                )

    return loop


def sql_floor() -> None:
    with transaction.atomic():
        sql(
            """
            WITH closed AS (
                UPDATE queues_conversation AS c
                SET status = 'closed', closed_at = now(), close_reason = 'no_customer_response', updated_at = now()
                FROM queues_queue AS q
                WHERE q.kind = 'on_hold' AND c.queue_id = q.id AND c.status = 'open'
                  AND c.on_hold_since IS NOT NULL AND c.on_hold_since <= now() - q.auto_close_after
                  AND (c.last_customer_message_at IS NULL OR c.last_customer_message_at < c.on_hold_since)
                RETURNING c.id, c.queue_id
            )
            INSERT INTO queues_event (by_automation, kind, details, created_at, conversation_id, from_queue_id)
            SELECT true, 'closed', '{"reason": "no_customer_response", "automation": "autoclose_on_hold"}', now(),
                   id, queue_id
            FROM closed
            """
        )


def timed(method) -> tuple[int, float]:
    """(rows closed, seconds) of one run, checked and then undone."""
    mark = last_event_id()
    started = time.perf_counter()
    method()
    seconds = time.perf_counter() - started
    rows = sql("SELECT count(*) FROM queues_event WHERE id > %s AND kind = 'closed'", [mark])[0][0]
    check(mark, rows)
    restore(mark)
    return rows, seconds


def peak_memory(method) -> int:
    """Peak bytes of Python allocations of one more run under tracemalloc."""
    mark = last_event_id()
    tracemalloc.start()
    method()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    restore(mark)
    return peak


def measure(methods: list, *, repeat: int) -> list[tuple[int, float, int]]:
    """(rows closed, median seconds, peak bytes) per method. The methods take turns, round after round, each
    run starting from the same data restored and vacuumed: the host's speed drifts over minutes, and taking
    turns lets a drift meet every method alike instead of whichever ran last."""
    runs = [[] for _ in methods]
    for _ in range(repeat):
        for method, timings in zip(methods, runs, strict=True):
            timings.append(timed(method))
    return [
        (timings[0][0], statistics.median(seconds for _rows, seconds in timings), peak_memory(method))
        for method, timings in zip(methods, runs, strict=True)
    ]


def check(mark: int, rows: int) -> None:
    """What a method closed: one event each, every one due and on hold, no escalated conversation."""
    (closed, events, not_on_hold, escalated) = sql(
        """SELECT count(DISTINCT c.id), count(*), count(*) FILTER (WHERE q.kind <> 'on_hold'),
                  (SELECT count(*) FROM queues_conversation c2 JOIN queues_queue q2 ON q2.id = c2.queue_id
                   WHERE q2.kind = 'escalation' AND c2.status = 'closed')
           FROM queues_event e JOIN queues_conversation c ON c.id = e.conversation_id
           JOIN queues_queue q ON q.id = c.queue_id
           WHERE e.id > %s AND e.kind = 'closed'""",
        [mark],
    )[0]
    assert closed == events == rows and not_on_hold == 0, (closed, events, rows, not_on_hold)
    assert escalated == 0, f"{escalated} escalated conversations closed"


def explain_read() -> str:
    """The plan of the automation's one read per queue (queues/automation.py, _close_due)."""
    queue = Queue.objects.get(slug="on-hold")
    return due_for_autoclose(queue, now=timezone.now()).order_by("on_hold_since", "id").values_list("id").explain()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--per-row-sample",
        type=int,
        default=0,
        help="Time the per-row loop on this many rows and extrapolate its rate (default 0: all of them, ~5 minutes"
        " with its memory run).",
    )
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs of the floor and the command.")
    parser.add_argument("--scale", type=float, default=1.0, help="Seed this fraction of the 1,000,000 rows.")
    args = parser.parse_args()

    logging.getLogger("queues").setLevel(logging.WARNING)  # the table is the output
    if connection.vendor != "postgresql":
        sys.exit("bench/autoclose.py needs PostgreSQL: run it as .ci/with-postgres .venv/bin/python bench/autoclose.py")
    call_command("migrate", verbosity=0)
    if Conversation.objects.exists():
        sys.exit("bench/autoclose.py seeds its own data: point DATABASE_URL at an empty database.")
    total = int(TOTAL * args.scale)
    started = time.perf_counter()
    seed(total)
    counts = dict(
        sql(
            "SELECT q.kind, count(*) FROM queues_conversation c JOIN queues_queue q ON q.id = c.queue_id "
            "WHERE c.status = 'open' GROUP BY q.kind"
        )
    )
    due = sum(due_for_autoclose(q, now=timezone.now()).count() for q in Queue.objects.filter(kind=Queue.Kind.ON_HOLD))
    print(
        f"seeded {total:,} conversations in {time.perf_counter() - started:.0f} s: {due:,} due on hold, "
        f"{counts.get('on_hold', 0) - due:,} on hold not yet due, {counts.get('escalation', 0):,} escalated (open), "
        f"{counts.get('working', 0):,} open in working queues, the rest closed"
    )
    print("plan of the read of due rows:\n  " + explain_read().replace("\n", "\n  "))

    # Every timed run starts from data that went through one close-and-restore already, as the
    # later runs do: the first UPDATE of freshly seeded, perfectly packed rows is faster than any
    # after it, and whichever method ran first would get it.
    mark = last_event_id()
    sql_floor()
    restore(mark)

    sample = args.per_row_sample or None
    extrapolated = sample is not None and sample < due
    names = [
        "SQL floor: one UPDATE … INSERT statement",
        "manage.py autoclose_on_hold (batch size 1000)",
        "per-row ORM loop" + (f" ({sample:,}-row sample, rate extrapolated)" if extrapolated else ""),
    ]
    measured = measure([sql_floor, run_command], repeat=args.repeat) + measure([per_row_loop(sample)], repeat=1)
    results = [(name, *numbers) for name, numbers in zip(names, measured, strict=True)]
    floor_rate = results[0][1] / results[0][2]
    print()
    print(f"{'method':<62} {'rows closed':>11} {'seconds':>8} {'rows/s':>8} {'peak MiB':>8} {'x floor':>7}")
    for name, rows, seconds, peak in results:
        rate = rows / seconds
        print(f"{name:<62} {rows:>11,} {seconds:>8.2f} {rate:>8,.0f} {peak / 2**20:>8.1f} {floor_rate / rate:>7.2f}")
    command_rate, loop_rate = (rows / seconds for _name, rows, seconds, _peak in results[1:])
    print()
    print(
        f"seconds: median of {args.repeat} runs, the floor and the command taking turns (per-row loop: 1);"
        " peak MiB: Python allocations (tracemalloc)"
    )
    if extrapolated:
        print(f"per-row loop for all {due:,}: {due / loop_rate:.0f} s at its measured rate")
    print(f"command: {floor_rate / command_rate:.2f}x the floor's time per row (target <= 1.5)")
    print(
        f"command: {command_rate / loop_rate:.1f}x the per-row loop's rate (target >= 30);"
        f" the floor: {floor_rate / loop_rate:.1f}x"
    )
    print("escalated conversations closed: 0 after every run (checked)")


if __name__ == "__main__":
    main()
