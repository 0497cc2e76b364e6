"""manage.py rollup_reports: the incremental fold, --rebuild and --check, late ids, and runs at the same time."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone

from queues.models import Event
from queues.models.reports import AgentWeek, ReportConversation, ReportState, WeeklyCount
from queues.reports import rollup
from queues.reports.check import check
from queues.reports.first_response import nearest_rank
from tests import factories, reports_fixture
from tests.threads import run_at_once


def run(*args) -> str:
    out = io.StringIO()
    call_command("rollup_reports", *args, stdout=out)
    return out.getvalue()


@override_settings(TIME_ZONE=reports_fixture.TIME_ZONE)
class RollupTests(TestCase):
    def test_folding_after_every_step_gives_what_a_recount_of_everything_gives(self):
        reports_fixture.build(fold_each_step=rollup.fold)

        upto, differences = check()

        self.assertEqual(upto, Event.objects.order_by("-id").values_list("id", flat=True)[0])
        self.assertEqual(set(differences.values()), {0}, differences)
        self.assertEqual(len(differences), 8)

    def test_check_says_the_rollup_matches_and_exits_zero(self):
        reports_fixture.build()
        run()

        self.assertEqual(
            run("--check"), f"the rollup matches a recount of every event up to id {Event.objects.latest('id').pk}\n"
        )

    def test_check_names_the_tables_that_differ_and_exits_non_zero_and_rebuild_repairs_them(self):
        reports_fixture.build()
        run()
        WeeklyCount.objects.filter(metric=WeeklyCount.Metric.ESCALATED).update(count=7)
        AgentWeek.objects.filter(metric=AgentWeek.Metric.REPLIED).delete()

        with self.assertRaises(CommandError) as raised:
            run("--check")

        # Ann's replies were all in the week of 23 March: one row. Six escalation rows (five keys that week, one
        # the next) hold 7: each differs both ways.
        self.assertEqual(
            str(raised.exception),
            f"the rollup differs from a recount of the events up to id {Event.objects.latest('id').pk}: rows that "
            "differ: AgentWeek 1, WeeklyCount 12. Run rollup_reports --rebuild.",
        )
        self.assertEqual(WeeklyCount.objects.filter(count=7).exists(), True)  # --check changed nothing

        self.assertRegex(run("--rebuild"), r"^rebuilt from \d+ events \(0 ids still awaited\) in [\d.]+ s\n$")
        self.assertIn("matches", run("--check"))

    def test_a_second_run_folds_nothing_and_a_new_event_moves_the_watermark(self):
        reports_fixture.build()
        events = Event.objects.count()

        self.assertTrue(run().startswith(f"folded {events} events (0 ids still awaited)"))
        self.assertTrue(run().startswith("folded 0 events"))
        convo = factories.ConversationFactory()
        Event.objects.create(conversation=convo, kind=Event.Kind.CREATED, to_queue=convo.queue)
        self.assertTrue(run().startswith("folded 1 events"))
        self.assertEqual(ReportState.objects.get().watermark, Event.objects.latest("id").pk)

    def test_an_id_committed_after_a_higher_one_is_folded_when_it_appears(self):
        convo = factories.ConversationFactory()
        first = Event.objects.create(conversation=convo, kind=Event.Kind.CREATED, to_queue=convo.queue)
        run()
        # Ids first+1 … first+3 are taken by a transaction still open; first+4 has committed.
        Event.objects.create(id=first.pk + 4, conversation=convo, kind=Event.Kind.NOTE_ADDED)

        self.assertIn("(3 ids still awaited)", run())
        self.assertIsNone(ReportConversation.objects.get(pk=convo.pk).first_reply_at)

        replied_at = timezone.now()
        Event.objects.create(
            id=first.pk + 2, conversation=convo, kind=Event.Kind.REPLIED, actor=factories.agent(), created_at=replied_at
        )
        self.assertIn("folded 1 events (2 ids still awaited)", run())
        self.assertEqual(ReportConversation.objects.get(pk=convo.pk).first_reply_at, replied_at)
        self.assertEqual(ReportState.objects.get().holes[0][:2], [first.pk + 1, first.pk + 1])

    def test_ids_missing_for_longer_than_the_ttl_are_given_up(self):
        convo = factories.ConversationFactory()
        first = Event.objects.create(conversation=convo, kind=Event.Kind.CREATED, to_queue=convo.queue)
        run()
        Event.objects.create(id=first.pk + 3, conversation=convo, kind=Event.Kind.NOTE_ADDED)
        run()
        state = ReportState.objects.get()
        state.holes = [[lo, hi, seen - rollup.HOLE_TTL] for lo, hi, seen in state.holes]
        state.save()

        self.assertIn("(0 ids still awaited)", run())


class NearestRankTests(TestCase):
    def test_the_median_and_90th_percentile_are_values_of_the_list(self):
        values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        self.assertEqual(nearest_rank(values, 0.5), 5)  # ceil(5) = 5th
        self.assertEqual(nearest_rank(values, 0.9), 9)  # ceil(9) = 9th
        self.assertEqual(nearest_rank([7, 100, 200], 0.5), 100)  # ceil(1.5) = 2nd
        self.assertEqual(nearest_rank([7, 100, 200], 0.9), 200)  # ceil(2.7) = 3rd
        self.assertEqual(nearest_rank([42], 0.9), 42)
        self.assertIsNone(nearest_rank([], 0.5))


@pytest.mark.postgres
class ConcurrentRollupTests(TransactionTestCase):
    serialized_rollback = True

    def setUp(self):
        with override_settings(TIME_ZONE=reports_fixture.TIME_ZONE):
            reports_fixture.build()

    def test_a_run_that_finds_another_in_progress_does_nothing(self):
        ReportState.objects.get_or_create(pk=1)
        other = connection.copy()
        try:
            other.set_autocommit(False)
            with other.cursor() as cursor:
                cursor.execute("SELECT * FROM queues_reportstate WHERE id = 1 FOR UPDATE")
            out = run()
        finally:
            other.rollback()
            other.close()

        self.assertEqual(out, "another rollup_reports run is in progress; this one did nothing\n")
        self.assertFalse(ReportConversation.objects.exists())
        self.assertIn("matches", run("--check"))

    def test_two_folds_at_once_fold_each_event_once(self):
        results = run_at_once(rollup.fold, rollup.fold)

        self.assertTrue(all(isinstance(r, rollup.FoldResult) for r in results), results)
        self.assertEqual(sum(r.events for r in results), Event.objects.count())
        with transaction.atomic():
            self.assertEqual(set(check()[1].values()), {0})
