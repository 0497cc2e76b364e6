"""manage.py autoclose_on_hold and queues/automation.py: what it closes, what it never touches, races."""

import contextlib
import threading
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone

from queues import automation, services
from queues.models import CloseReason, Conversation, Event, Queue, Status
from tests import factories as f
from tests.threads import run_at_once

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)  # the seeded On Hold queue's auto_close_after


def run(*args, **options) -> str:
    out = StringIO()
    call_command("autoclose_on_hold", *args, stdout=out, **options)
    return out.getvalue()


def on_hold(since: datetime, *, queue: Queue | None = None, **fields) -> Conversation:
    """A conversation put on hold at `since` whose customer last wrote the day before."""
    channel = f.channel("@FirefoxSupport")
    fields.setdefault("last_customer_message_at", since - DAY)
    return f.ConversationFactory(
        channel=channel,
        queue=queue or f.queue_of_kind(Queue.Kind.ON_HOLD),
        previous_queue=channel.working_queue,
        on_hold_since=since,
        **fields,
    )


def closed_events(convo: Conversation):
    return Event.objects.filter(conversation=convo, kind=Event.Kind.CLOSED)


class AutocloseTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice")
        cls.x = f.channel("@FirefoxSupport")
        cls.on_hold = f.queue_of_kind(Queue.Kind.ON_HOLD)
        cls.short = Queue.objects.create(
            slug="on-hold-short", name="On Hold (2 days)", kind=Queue.Kind.ON_HOLD, auto_close_after=2 * DAY
        )

    def assertClosedByAutomation(self, convo: Conversation, *, at: datetime, queue: Queue | None = None):
        convo.refresh_from_db()
        self.assertEqual(
            (convo.status, convo.closed_at, convo.close_reason),
            (Status.CLOSED, at, CloseReason.NO_CUSTOMER_RESPONSE),
        )
        event = closed_events(convo).get()
        self.assertEqual(
            (event.actor, event.by_automation, event.from_queue, event.to_queue, event.created_at),
            (None, True, queue or self.on_hold, None, at),
        )
        self.assertEqual(event.details, {"reason": "no_customer_response", "automation": "autoclose_on_hold"})

    @contextlib.contextmanager
    def assertUntouched(self, *convos: Conversation):
        before = list(Conversation.objects.filter(pk__in=[c.pk for c in convos]).order_by("pk").values())
        events = Event.objects.count()
        yield
        self.assertEqual(
            list(Conversation.objects.filter(pk__in=[c.pk for c in convos]).order_by("pk").values()), before
        )
        self.assertEqual(Event.objects.count(), events)


class WhatItClosesTests(AutocloseTestCase):
    def test_conversation_on_hold_exactly_the_queues_duration_is_closed_with_one_automation_event(self):
        convo = on_hold(NOW - WEEK)

        result = automation.autoclose_on_hold(now=NOW)

        self.assertClosedByAutomation(convo, at=NOW)
        self.assertEqual((result.closed, result.skipped), (1, 0))

    def test_conversation_one_second_short_of_the_duration_stays_open(self):
        convo = on_hold(NOW - WEEK + SECOND)

        with self.assertUntouched(convo):
            result = automation.autoclose_on_hold(now=NOW)

        self.assertEqual(result.closed, 0)

    def test_conversation_with_no_customer_message_recorded_is_closed(self):
        convo = on_hold(NOW - 30 * DAY, last_customer_message_at=None)

        automation.autoclose_on_hold(now=NOW)

        self.assertClosedByAutomation(convo, at=NOW)

    def test_conversation_put_on_hold_then_escalated_and_left_for_months_is_never_closed(self):
        convo = f.ConversationFactory(channel=self.x)
        services.put_on_hold(conversation_id=convo.pk, actor=self.agent, queue_id=self.on_hold.pk)
        services.escalate_conversation(
            conversation_id=convo.pk,
            actor=self.agent,
            reason="needs_product_team",
            note="Crash on start; cache cleared.",
        )
        # Even with an on-hold time left behind in its row, an escalation queue is never automated.
        stale = on_hold(NOW - 200 * DAY, queue=self.x.escalation_queue)

        with self.assertUntouched(convo, stale):
            automation.autoclose_on_hold(now=timezone.now() + 180 * DAY)

        convo.refresh_from_db()
        self.assertEqual(convo.queue, self.x.escalation_queue)

    def test_working_queue_conversation_is_never_closed_whatever_its_age(self):
        convo = on_hold(NOW - 200 * DAY, queue=self.x.working_queue)

        with self.assertUntouched(convo):
            automation.autoclose_on_hold(now=NOW)

    def test_closed_conversation_is_untouched(self):
        convo = on_hold(
            NOW - 30 * DAY, status=Status.CLOSED, closed_at=NOW - 20 * DAY, close_reason=CloseReason.RESOLVED
        )

        with self.assertUntouched(convo):
            automation.autoclose_on_hold(now=NOW)

    def test_customer_reply_after_going_on_hold_keeps_it_open(self):
        replied = f.ConversationFactory(channel=self.x)
        services.put_on_hold(conversation_id=replied.pk, actor=self.agent, queue_id=self.on_hold.pk)
        services.record_customer_message(conversation_id=replied.pk, body="Still broken after the update.")
        # A message time recorded without the move (an import, an admin edit) counts as much.
        written_since = on_hold(NOW - 30 * DAY, last_customer_message_at=NOW - 29 * DAY)

        with self.assertUntouched(replied, written_since):
            automation.autoclose_on_hold(now=timezone.now() + 30 * DAY)

        replied.refresh_from_db()
        self.assertEqual((replied.status, replied.queue), (Status.OPEN, self.x.working_queue))

    def test_each_on_hold_queue_closes_after_its_own_duration(self):
        in_week_queue = on_hold(NOW - 3 * DAY)
        in_short_queue = on_hold(NOW - 3 * DAY, queue=self.short)

        result = automation.autoclose_on_hold(now=NOW)

        self.assertClosedByAutomation(in_short_queue, at=NOW, queue=self.short)
        self.assertEqual(Conversation.objects.get(pk=in_week_queue.pk).status, Status.OPEN)
        self.assertEqual({o.queue.slug: o.closed for o in result.queues}, {"on-hold": 0, "on-hold-short": 1})

        automation.autoclose_on_hold(now=NOW + 4 * DAY)

        self.assertClosedByAutomation(in_week_queue, at=NOW + 4 * DAY)

    def test_batches_close_everything_due_and_the_limit_takes_the_oldest(self):
        due = [on_hold(NOW - WEEK - i * DAY) for i in range(11)]  # due[-1] is the oldest

        first = automation.autoclose_on_hold(now=NOW, limit=4, batch_size=3)

        self.assertEqual(first.closed, 4)
        self.assertEqual(set(Conversation.objects.closed().values_list("pk", flat=True)), {c.pk for c in due[-4:]})

        automation.autoclose_on_hold(now=NOW, batch_size=3)

        self.assertEqual(Conversation.objects.closed().count(), 11)
        self.assertEqual(Event.objects.filter(kind=Event.Kind.CLOSED, by_automation=True).count(), 11)

    def test_limit_spans_queues_in_slug_order(self):
        on_hold(NOW - 10 * DAY)
        on_hold(NOW - 10 * DAY)
        short = on_hold(NOW - 10 * DAY, queue=self.short)

        result = automation.autoclose_on_hold(now=NOW, limit=2)

        self.assertEqual({o.queue.slug: o.closed for o in result.queues}, {"on-hold": 2, "on-hold-short": 0})
        self.assertEqual(Conversation.objects.get(pk=short.pk).status, Status.OPEN)


class QueryCountTests(AutocloseTestCase):
    # The queue and one read of its due rows; per batch SAVEPOINT, UPDATE … RETURNING, INSERT of the
    # events, RELEASE (a transaction of its own outside tests). On PostgreSQL the UPDATE and the INSERT
    # are one statement, plus the run's advisory lock and its release.
    def expected(self, batches: int) -> int:
        if connection.vendor == "postgresql":
            return 2 + 3 * batches + 2
        return 2 + 4 * batches

    def test_queries_grow_with_the_number_of_batches_not_rows(self):
        for count, batches in [(3, 1), (30, 1), (250, 3)]:
            for _ in range(count):
                on_hold(NOW - 10 * DAY)
            with self.subTest(rows=count), self.assertNumQueries(self.expected(batches)):
                result = automation.autoclose_on_hold(now=NOW, queue_slug="on-hold", batch_size=100)
            self.assertEqual(result.closed, count)


class RaceTests(AutocloseTestCase):
    def land_between_read_and_update(self, write):
        """Run write(ids read) once, after the automation read its first batch and before it updates."""
        close_batch = automation._close_batch
        done = []

        def write_then_close(queue, ids, **kwargs):
            if not done:
                done.append(write(list(ids)))
            return close_batch(queue, ids, **kwargs)

        return mock.patch.object(automation, "_close_batch", side_effect=write_then_close)

    def test_customer_message_landing_between_read_and_update_wins(self):
        answered, silent = on_hold(timezone.now() - 30 * DAY), on_hold(timezone.now() - 20 * DAY)

        def customer_writes(ids):
            self.assertEqual(ids, [answered.pk, silent.pk])
            return services.record_customer_message(conversation_id=answered.pk, body="Here is the log you asked for.")

        with self.land_between_read_and_update(customer_writes):
            out = run()

        self.assertRegex(out, r"^closed 1 conversation in 2 queues \(1 changed meanwhile, skipped\) in \d+\.\d s\n$")
        answered.refresh_from_db()
        self.assertEqual((answered.status, answered.queue), (Status.OPEN, self.x.working_queue))
        self.assertFalse(closed_events(answered).exists())
        self.assertEqual(Conversation.objects.get(pk=silent.pk).status, Status.CLOSED)

    def test_agent_closing_between_read_and_update_keeps_their_close_and_event(self):
        convo = on_hold(timezone.now() - 30 * DAY)

        def agent_closes(ids):
            return services.close_conversation(conversation_id=convo.pk, actor=self.agent, reason=CloseReason.RESOLVED)

        with self.land_between_read_and_update(agent_closes):
            result = automation.autoclose_on_hold()

        self.assertEqual((result.closed, result.skipped), (0, 1))
        convo.refresh_from_db()
        self.assertEqual(convo.close_reason, CloseReason.RESOLVED)
        self.assertEqual(list(closed_events(convo).values_list("actor", "by_automation")), [(self.agent.pk, False)])


class CommandTests(AutocloseTestCase):
    def test_run_prints_one_summary_line_logs_per_queue_and_a_rerun_closes_nothing_more(self):
        convo = on_hold(timezone.now() - 10 * DAY)

        with self.assertLogs("queues.automation", "INFO") as logs:
            out = run()

        self.assertRegex(out, r"^closed 1 conversation in 2 queues in \d+\.\d s\n$")
        self.assertIn("INFO:queues.automation:queue on-hold: closed 1, 0 changed meanwhile and skipped", logs.output)
        self.assertEqual(closed_events(convo).count(), 1)

        with self.assertUntouched(convo):
            out = run()

        self.assertRegex(out, r"^closed 0 conversations in 2 queues in \d+\.\d s\n$")

    def test_verbosity_0_prints_nothing_and_2_adds_a_line_per_queue(self):
        on_hold(timezone.now() - 10 * DAY)

        self.assertEqual(run(verbosity=0), "")

        on_hold(timezone.now() - 10 * DAY)
        lines = run(verbosity=2).splitlines()

        self.assertEqual(
            lines[:2],
            [
                "on-hold (closes after 7 days): closed 1 (0 changed meanwhile, skipped)",
                "on-hold-short (closes after 2 days): closed 0 (0 changed meanwhile, skipped)",
            ],
        )
        self.assertRegex(lines[2], r"^closed 1 conversation in 2 queues in")

    def test_dry_run_prints_per_queue_how_many_and_the_oldest_and_changes_nothing(self):
        now = timezone.now()
        due = [on_hold(now - WEEK - i * DAY - timedelta(hours=2)) for i in range(7)]
        waiting = on_hold(now - DAY)
        in_short = on_hold(now - 3 * DAY - timedelta(minutes=5), queue=self.short)

        with self.assertUntouched(*due, waiting, in_short):
            out = run("--dry-run")

        lines = out.splitlines()
        oldest = ", ".join(f"#{c.pk} on hold {13 - i} days 2 h" for i, c in enumerate(reversed(due[-5:])))
        self.assertEqual(lines[0], f"on-hold (closes after 7 days): would close 7; oldest: {oldest}")
        self.assertEqual(
            lines[1], f"on-hold-short (closes after 2 days): would close 1; oldest: #{in_short.pk} on hold 3 days"
        )
        self.assertRegex(lines[2], r"^would close 8 conversations in 2 queues \(dry run, nothing changed\) in")

    def test_dry_run_counts_within_the_limit(self):
        for _ in range(3):
            on_hold(timezone.now() - 10 * DAY)

        out = run("--dry-run", "--limit", "2", "--queue", "on-hold")

        self.assertIn("on-hold (closes after 7 days): would close 2;", out)
        self.assertIn("would close 2 conversations in 1 queue (dry run", out)

    def test_queue_option_closes_only_that_queue(self):
        in_week_queue, in_short_queue = (
            on_hold(timezone.now() - 10 * DAY),
            on_hold(timezone.now() - 10 * DAY, queue=self.short),
        )

        out = run("--queue", "on-hold-short")

        self.assertRegex(out, r"^closed 1 conversation in 1 queue in")
        self.assertEqual(Conversation.objects.get(pk=in_short_queue.pk).status, Status.CLOSED)
        self.assertEqual(Conversation.objects.get(pk=in_week_queue.pk).status, Status.OPEN)

    def test_inactive_on_hold_queue_still_closes_what_it_holds(self):
        Queue.objects.filter(pk=self.short.pk).update(is_active=False)
        convo = on_hold(timezone.now() - 10 * DAY, queue=self.short)

        run()

        self.assertEqual(Conversation.objects.get(pk=convo.pk).status, Status.CLOSED)

    def test_bad_arguments_are_clear_errors_and_change_nothing(self):
        convo = on_hold(timezone.now() - 10 * DAY)
        cases = [
            (["--queue", "no-such-queue"], "There is no queue with the slug “no-such-queue”."),
            (
                ["--queue", "social-support"],
                "“social-support” is not an on hold queue (its kind is working); only on hold queues auto-close.",
            ),
            (
                ["--queue", "social-support-escalation"],
                "“social-support-escalation” is not an on hold queue (its kind is escalation)",
            ),
            (["--limit", "0"], "The limit must be a positive whole number."),
            (["--limit", "-5"], "The limit must be a positive whole number."),
            (["--batch-size", "0"], "The batch size must be a whole number from 1 to 10000."),
            (["--batch-size", "-1"], "The batch size must be a whole number from 1 to 10000."),
            (["--batch-size", "10001"], "The batch size must be a whole number from 1 to 10000."),
            (["--limit", "ten"], "argument --limit: invalid int value: 'ten'"),
        ]
        for args, message in cases:
            with self.subTest(args=args), self.assertUntouched(convo), self.assertRaisesMessage(CommandError, message):
                run(*args)

    def test_bad_arguments_exit_non_zero_from_the_command_line(self):
        stderr = StringIO()
        # run_from_argv closes every connection when it is done, this test's transaction with it.
        with (
            contextlib.redirect_stderr(stderr),
            mock.patch("django.core.management.base.connections.close_all"),
            self.assertRaises(SystemExit) as exit,
        ):
            execute_from_command_line(["manage.py", "autoclose_on_hold", "--queue", "social-support"])

        self.assertEqual(exit.exception.code, 1)
        self.assertIn("CommandError: “social-support” is not an on hold queue", stderr.getvalue())

    def test_database_failure_is_a_command_error(self):
        with mock.patch.object(automation, "_close_batch", side_effect=DatabaseError("connection lost")):
            on_hold(timezone.now() - 10 * DAY)
            with self.assertRaisesMessage(CommandError, "autoclose_on_hold failed: connection lost."):
                run()


@override_settings(TIME_ZONE="America/New_York")
class TimeZoneTests(AutocloseTestCase):
    """Durations are absolute: a week on hold is 168 hours, even across a daylight saving change."""

    new_york = ZoneInfo("America/New_York")

    def closes_168_hours_after(self, local: datetime) -> str:
        """Put on hold at local time; return the local time it was closed."""
        since = local.astimezone(UTC)
        convo = on_hold(since)

        self.assertEqual(automation.autoclose_on_hold(now=since + WEEK - SECOND).closed, 0)
        automation.autoclose_on_hold(now=since + WEEK)

        self.assertClosedByAutomation(convo, at=since + WEEK)
        self.assertEqual(convo.closed_at - convo.on_hold_since, timedelta(hours=168))
        return timezone.localtime(convo.closed_at).strftime("%a %d %H:%M %Z")

    def test_a_week_on_hold_across_the_spring_change_closes_168_hours_later(self):
        # Friday noon EST; the same wall-clock time a week later would be only 167 hours.
        closed = self.closes_168_hours_after(datetime(2025, 3, 7, 12, 0, tzinfo=self.new_york))

        self.assertEqual(closed, "Fri 14 13:00 EDT")

    def test_a_week_on_hold_across_the_autumn_change_closes_168_hours_later(self):
        closed = self.closes_168_hours_after(datetime(2025, 10, 31, 12, 0, tzinfo=self.new_york))

        self.assertEqual(closed, "Fri 07 11:00 EST")


@pytest.mark.postgres
class OverlappingRunsTests(TransactionTestCase):
    """Real concurrent runs, each thread on its own connection."""

    serialized_rollback = True

    def setUp(self):
        now = timezone.now()
        self.due = [on_hold(now - WEEK - i * timedelta(minutes=1)) for i in range(300)]

    def assertEachClosedOnce(self, results):
        self.assertTrue(all(isinstance(r, automation.AutocloseResult) for r in results), results)
        self.assertEqual(sum(r.closed for r in results), len(self.due))
        self.assertEqual(Conversation.objects.closed().count(), len(self.due))
        per_conversation = Event.objects.filter(kind=Event.Kind.CLOSED).values_list("conversation_id", flat=True)
        self.assertEqual(sorted(per_conversation), sorted(c.pk for c in self.due))

    def test_two_runs_at_once_close_each_conversation_once(self):
        results = run_at_once(*[lambda: automation.autoclose_on_hold(batch_size=10)] * 2)

        self.assertEachClosedOnce(results)

    def test_without_the_run_lock_the_guarded_update_still_closes_each_conversation_once(self):
        with mock.patch.object(automation.locks, "run_alone", lambda key: contextlib.nullcontext(True)):
            results = run_at_once(*[lambda: automation.autoclose_on_hold(batch_size=10)] * 3)

        self.assertEachClosedOnce(results)

    def test_a_run_that_finds_another_in_progress_does_nothing(self):
        other = connection.copy()
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [automation.RUN_LOCK_KEY])
            out = run()
        finally:
            other.close()

        self.assertEqual(out, "another autoclose_on_hold run is in progress; this one did nothing\n")
        self.assertFalse(Conversation.objects.closed().exists())
        self.assertEqual(run().split(" in ")[0], "closed 300 conversations")

    def test_customer_message_committed_while_the_update_waits_for_its_row_wins(self):
        answered = self.due[-1]  # the oldest: in the first batch
        locked, release = threading.Event(), threading.Event()

        def customer_writes():
            with transaction.atomic():
                services.record_customer_message(conversation_id=answered.pk, body="Here is the log.")
                locked.set()
                release.wait(timeout=30)

        def automation_waits_on_a_row_lock():
            locked.wait(timeout=30)
            with connection.cursor() as cursor:
                for _ in range(300):
                    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.05)
            release.set()

        def automation_runs():
            locked.wait(timeout=30)
            return automation.autoclose_on_hold()

        results = run_at_once(customer_writes, automation_runs, automation_waits_on_a_row_lock)

        self.assertEqual((results[1].closed, results[1].skipped), (len(self.due) - 1, 1), results)
        answered.refresh_from_db()
        self.assertEqual((answered.status, answered.on_hold_since), (Status.OPEN, None))
        self.assertFalse(closed_events(answered).exists())
