"""The report pages against the hand-built history of tests/reports_fixture.py (read its docstring first): each
expected number is worked out by hand in the comment beside it."""

import csv
import io
from html.parser import HTMLParser
from unittest import mock

from django.test import TestCase, override_settings
from django.urls import reverse

from queues import services
from queues.models import Channel, Product
from queues.reports import rollup
from tests import factories, reports_fixture
from tests.reports_fixture import NOW

RANGE = {"start": "2026-03-16", "end": "2026-04-05"}  # Mondays 16 Mar, 23 Mar (the DST change), 30 Mar


class Tables(HTMLParser):
    """The page's tables as lists of rows of cell texts, headers included."""

    def __init__(self, html: str):
        super().__init__()
        self.tables, self._row, self._cell = [], None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self.tables[-1].append(self._row)

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@override_settings(TIME_ZONE=reports_fixture.TIME_ZONE)
class ReportPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.convos = reports_fixture.build()
        rollup.fold()
        cls.moderator = factories.moderator(username="reader")
        cls.x = Channel.objects.get(account="@FirefoxSupport")
        cls.play = Channel.objects.get(account="org.mozilla.firefox")
        cls.desktop = Product.objects.get(name="Firefox Desktop")

    def setUp(self):
        self.client.force_login(self.moderator)

    def get(self, slug, params=None, *, status=200):
        with mock.patch("django.utils.timezone.now", return_value=NOW):
            response = self.client.get(reverse("report", args=[slug]), params or {})
        self.assertEqual(response.status_code, status, response.content.decode()[:2000])
        return response

    def tables(self, slug, params=None):
        return Tables(self.get(slug, params).content.decode()).tables

    def csv(self, slug, table, params=None):
        with mock.patch("django.utils.timezone.now", return_value=NOW):
            response = self.client.get(reverse("report-csv", args=[slug, table]), params or {})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        return list(csv.reader(io.StringIO(response.content.decode())))

    def test_escalations_per_week_by_reason_count_each_escalation_in_its_berlin_week(self):
        by_reason, by_product = self.tables("escalations", RANGE)
        self.assertEqual(
            by_reason,
            [
                [
                    "week (Monday)",
                    "needs the product team",
                    "attention, no KB article",
                    "sensitive",
                    "paid product",
                    "other",
                    "total",
                ],
                ["2026-03-16", "0", "0", "0", "0", "0", "0"],
                # A (needs team), D twice (other, then needs team), C (paid), F (attention): 5. A's second
                # escalation, Sun 29 Mar 22:30 UTC, is Monday 00:30 in Berlin: the next week.
                ["2026-03-23", "2", "1", "0", "1", "1", "5"],
                ["2026-03-30", "0", "0", "1", "0", "0", "1"],
            ],
        )
        # C was escalated while its product was Focus for Android; it was set back to Firefox for Android after.
        self.assertEqual(
            by_product,
            [
                ["week (Monday)", "Firefox Desktop", "Focus for Android", "no product", "total"],
                ["2026-03-16", "0", "0", "0", "0"],
                ["2026-03-23", "2", "1", "2", "5"],
                ["2026-03-30", "1", "0", "0", "1"],
            ],
        )

    def test_escalations_filtered_by_channel_and_by_product(self):
        by_reason, _by_product = self.tables("escalations", {**RANGE, "channel": self.play.pk})
        self.assertEqual(by_reason[2], ["2026-03-23", "0", "0", "0", "1", "0", "1"])
        by_reason, _by_product = self.tables("escalations", {**RANGE, "product": self.desktop.pk})
        self.assertEqual(
            by_reason[2:], [["2026-03-23", "1", "1", "0", "0", "0", "2"], ["2026-03-30", "0", "0", "1", "0", "0", "1"]]
        )

    def test_backlog_counts_open_conversations_by_time_in_their_queue(self):
        (table,) = self.tables("backlog")
        self.assertEqual(
            table,
            [
                ["queue", "under 1 day", "1–3 days", "3–7 days", "7–30 days", "over 30 days", "total"],
                ["Mobile support - Escalation", "0", "0", "0", "0", "0", "0"],
                # A: in since its second escalation 11.5 days ago; F: escalated 14 days ago.
                ["Social support - Escalation", "0", "0", "0", "2", "0", "2"],
                # G: on hold 18 hours ago.
                ["On Hold", "1", "0", "0", "0", "0", "1"],
                ["Mobile support", "0", "0", "0", "0", "0", "0"],
                # M 23 h 50 min and N 2 d 23 h 20 min (in the hours of the 1- and 3-day edges: counted row by row);
                # L 1 d 23 h; K 3 d 1 h; E 15 d and J 29 d 23 h; I 30 d 2 h (from the hourly table, on the day of
                # the 30-day edge) and H (February, from the daily table).
                ["Social support", "1", "2", "1", "2", "2", "8"],
            ],
        )

    def test_first_response_median_and_p90_per_channel_per_week(self):
        (table,) = self.tables("first-response", RANGE)
        rows = {(row[0], row[1]): row[2:] for row in table[1:]}
        self.assertEqual(len(table), 1 + 3 * Channel.objects.count())
        # Week of 23 Mar on @FirefoxSupport: A (arrived Mon 00:30 Berlin) 2 h, B never, D 30 min, E 24 h, F 20 min
        # (the escalation statement was its first reply): sorted 20 min, 30 min, 2 h, 24 h: the median is the 2nd
        # (ceil(0.5 × 4)), the 90th percentile the 4th (ceil(0.9 × 4)).
        self.assertEqual(rows[("2026-03-23", str(self.x))], ["5", "4", "0:30:00", "24:00:00"])
        self.assertEqual(rows[("2026-03-23", str(self.play))], ["1", "1", "0:10:00", "0:10:00"])
        # In UTC, A arrived on Sunday 22 Mar; in Berlin it is the next week's.
        self.assertEqual(rows[("2026-03-16", str(self.x))], ["0", "0", "—", "—"])
        self.assertEqual(rows[("2026-03-30", str(self.x))], ["0", "0", "—", "—"])

    def test_first_response_for_one_product(self):
        (table,) = self.tables("first-response", {**RANGE, "product": self.desktop.pk, "channel": self.x.pk})
        # A 2 h, B never, E 24 h, F 20 min: median the 2nd of three, p90 the 3rd.
        self.assertEqual(table[2], ["2026-03-23", str(self.x), "4", "3", "2:00:00", "24:00:00"])
        self.assertEqual(len(table), 4)

    def test_escalation_to_close_per_product(self):
        (table,) = self.tables("escalation-to-close", RANGE)
        self.assertEqual(
            table,
            [
                ["product (at the escalation)", "closed", "median", "90th percentile"],
                ["Firefox Desktop", "1", "48:00:00", "48:00:00"],  # A: 24 Mar 10:00 to 26 Mar 10:00
                ["Focus for Android", "1", "48:00:00", "48:00:00"],  # C: 25 Mar 09:00 to 27 Mar 09:00
                ["no product", "1", "74:00:00", "74:00:00"],  # D: first escalation 25 Mar 08:00 to 28 Mar 10:00
            ],
        )

    def test_on_hold_outcomes_per_week(self):
        (table,) = self.tables("on-hold", RANGE)
        self.assertEqual(
            table,
            [
                [
                    "week (Monday)",
                    "customer came back",
                    "agent closed",
                    "automation closed",
                    "agent moved or escalated",
                    "total",
                ],
                ["2026-03-16", "0", "0", "0", "0", "0"],
                ["2026-03-23", "2", "1", "0", "0", "3"],  # B and D came back; an agent closed C
                ["2026-03-30", "0", "0", "1", "0", "1"],  # the automation closed B on 1 Apr
            ],
        )

    def test_agent_activity_per_week_and_per_agent(self):
        response = self.get("agents", RANGE)
        self.assertContains(response, "Only moderators and admins can see this page.")
        per_week, per_agent = Tables(response.content.decode()).tables
        self.assertEqual(
            per_week[1:],
            [
                ["2026-03-16", "0", "0", "0", "0", "0"],
                # replies A, C, D, D, E; the note on B; escalations A, C, D, D, F; closes A, C, D.
                ["2026-03-23", "5", "1", "5", "3", "14"],
                # A's second escalation; the automation's close of B is no agent's.
                ["2026-03-30", "0", "0", "1", "0", "1"],
            ],
        )
        self.assertEqual(
            per_agent[1:], [["Ann Agent", "5", "1", "2", "1", "9"], ["Mo Moderator", "0", "0", "4", "2", "6"]]
        )

    def test_stale_escalations_oldest_silence_first_linked(self):
        response = self.get("stale")
        (table,) = Tables(response.content.decode()).tables
        self.assertEqual([row[0] for row in table[1:]], [f"#{self.convos['F'].pk}", f"#{self.convos['A'].pk}"])
        self.assertEqual(table[1][-1], "14")
        self.assertContains(response, f'href="{self.convos["F"].get_absolute_url()}"')
        self.assertContains(response, "2 conversations.")
        (table,) = self.tables("stale", {"days": 12})
        self.assertEqual([row[0] for row in table[1:]], [f"#{self.convos['F'].pk}"])

    def test_every_csv_holds_exactly_the_numbers_of_its_table(self):
        for slug, params, table_slugs in [
            ("escalations", RANGE, ["by-reason", "by-product"]),
            ("backlog", {}, ["backlog"]),
            ("first-response", RANGE, ["first-response"]),
            ("escalation-to-close", RANGE, ["escalation-to-close"]),
            ("on-hold", RANGE, ["hold-outcomes"]),
            ("agents", RANGE, ["per-week", "per-agent"]),
            ("stale", {}, ["stale"]),
        ]:
            with self.subTest(slug):
                tables = self.tables(slug, params)
                self.assertEqual([self.csv(slug, name, params) for name in table_slugs], tables)

    def test_a_page_that_finds_too_many_new_events_says_it_is_catching_up(self):
        convo = factories.ConversationFactory()
        for _ in range(3):
            services.add_note(conversation_id=convo.pk, actor=self.moderator, body="Checked.")
        with mock.patch("queues.reports.views.CATCH_UP", 2):
            response = self.get("on-hold", RANGE)
        self.assertContains(response, "Some recent events are not counted yet")
        response = self.get("on-hold", RANGE)
        self.assertNotContains(response, "Some recent events are not counted yet")

    def test_agent_activity_has_no_channel_or_product_filter(self):
        response = self.get("agents", RANGE)
        self.assertNotContains(response, 'name="channel"')
        self.assertContains(self.get("escalations", RANGE), 'name="channel"')

    def test_a_range_without_data_says_so_and_shows_zero_weeks(self):
        response = self.get("escalations", {"start": "2020-01-06", "end": "2020-01-19"})
        self.assertContains(response, "No data in this range.")
        by_reason, _by_product = Tables(response.content.decode()).tables
        self.assertEqual(by_reason[1:], [["2020-01-06", *["0"] * 6], ["2020-01-13", *["0"] * 6]])

    def test_a_range_is_widened_to_whole_weeks(self):
        response = self.get("on-hold", {"start": "2026-03-25", "end": "2026-03-25"})
        self.assertContains(response, "Whole weeks from Monday 2026-03-23 to Sunday 2026-03-29.")
        (table,) = Tables(response.content.decode()).tables
        self.assertEqual(table[1:], [["2026-03-23", "2", "1", "0", "0", "3"]])

    def test_bad_filters_get_a_clear_message_and_no_report(self):
        for params, message in [
            ({"start": "yesterday"}, "Enter a valid date."),
            ({"start": "2026-04-01", "end": "2026-03-01"}, "The end of the range is before its start."),
            ({"start": "2020-01-01", "end": "2026-01-01"}, "Choose at most 106 weeks; this range has 314."),
            ({"channel": "999999"}, "Select a valid choice."),
            ({"product": "x"}, "Select a valid choice."),
            ({"start": "1000-01-01"}, "Choose dates between the year 2000 and 9000."),
        ]:
            with self.subTest(params):
                response = self.get("escalations", params, status=400)
                self.assertContains(response, message, status_code=400)
                self.assertNotContains(response, "<svg", status_code=400)
        response = self.get("stale", {"days": "0"}, status=400)
        self.assertContains(response, "greater than or equal to 1", status_code=400)
        with mock.patch("django.utils.timezone.now", return_value=NOW):
            self.assertEqual(self.client.get(reverse("report-csv", args=["on-hold", "nope"])).status_code, 404)
            self.assertEqual(self.client.get("/reports/nope/").status_code, 404)

    def test_charts_are_svg_drawn_on_the_server_with_classes_not_styles(self):
        response = self.get("escalations", RANGE)
        page = response.content.decode()
        self.assertIn('<svg class="chart"', page)
        self.assertIn('role="img"', page)
        self.assertIn('class="chart-s0"', page)
        self.assertNotIn("style=", page)
        self.assertNotIn("<script>", page)

    def test_each_page_asks_a_fixed_number_of_queries(self):
        # Session, user, their two permission sets, the three name tables, the rollup state and "anything new?",
        # then the report's own: one, or two (agents: their names; stale: the
        # count and the list; backlog: four, the totals, the days since 30 days ago, their hours, the edges' hours).
        for slug, params, queries in [
            ("escalations", RANGE, 10),
            ("backlog", {}, 13),
            ("first-response", RANGE, 10),
            ("escalation-to-close", RANGE, 10),
            ("on-hold", RANGE, 10),
            ("agents", RANGE, 11),
            ("stale", {}, 11),
        ]:
            with self.subTest(slug), self.assertNumQueries(queries):
                self.get(slug, params)

    def test_the_index_lists_every_report(self):
        response = self.client.get(reverse("reports"))
        for slug in ("escalations", "backlog", "first-response", "escalation-to-close", "on-hold", "agents", "stale"):
            self.assertContains(response, reverse("report", args=[slug]))


class ReportPermissionTests(TestCase):
    def test_contributors_get_403_and_no_menu_link(self):
        self.client.force_login(factories.agent())
        self.assertEqual(self.client.get(reverse("reports")).status_code, 403)
        self.assertEqual(self.client.get(reverse("report", args=["agents"])).status_code, 403)
        self.assertEqual(self.client.get(reverse("report-csv", args=["agents", "per-agent"])).status_code, 403)
        self.assertNotContains(self.client.get(reverse("dashboard")), reverse("reports"))

    def test_anonymous_users_are_sent_to_sign_in(self):
        for url in (
            reverse("reports"),
            reverse("report", args=["backlog"]),
            reverse("report-csv", args=["backlog", "backlog"]),
        ):
            response = self.client.get(url)
            self.assertEqual(response.status_code, 302)
            self.assertTrue(response["Location"].startswith(reverse("login")))

    def test_moderators_and_admins_see_the_reports_and_the_menu_link(self):
        for user in (factories.moderator(), factories.admin()):
            self.client.force_login(user)
            self.assertEqual(self.client.get(reverse("report", args=["backlog"])).status_code, 200)
            self.assertContains(self.client.get(reverse("dashboard")), f'href="{reverse("reports")}"')

    def test_the_page_folds_events_written_since_the_last_rollup(self):
        self.client.force_login(factories.moderator())
        convo = factories.ConversationFactory()
        services.put_on_hold(conversation_id=convo.pk, actor=factories.agent())
        (table,) = Tables(self.client.get(reverse("report", args=["backlog"])).content.decode()).tables
        self.assertIn(["On Hold", "1", "0", "0", "0", "0", "1"], table)
