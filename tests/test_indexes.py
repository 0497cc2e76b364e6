"""The pages' queries can read indexes, not the whole conversation table: checked in PostgreSQL's own plans.

PostgreSQL only: the trigram index (migration 0006) exists there alone. On a table of a few thousand rows the
planner rightly prefers reading it whole, or walking the received_at index and filtering every row: these tests
fill it with 3,000 conversations, ANALYZE it, and then forbid sequential scans (SET LOCAL enable_seqscan = off) and,
for the searches, plain index scans too (enable_indexscan = off). What is left to find the matching rows is an
index that serves the condition itself, and the plan names it. So they show that an index *can* serve each query,
not which plan wins on a million rows: that is bench/pages.py's question (README, "Scale").
"""

import pytest
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from queues.models import Conversation
from tests import factories as f

pytestmark = pytest.mark.postgres

ROWS = 3_000


class PlanTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = f.UserFactory(username="root", is_staff=True, is_superuser=True)
        channels = [f.channel("@FirefoxSupport"), f.channel("org.mozilla.firefox")]
        now = timezone.now()
        Conversation.objects.bulk_create(
            Conversation(
                channel=channels[n % 2],
                queue=channels[n % 2].working_queue,
                external_id=f"ext-{n}",
                author_name=f"Customer {n}",
                author_handle=f"@customer_{n}",
                title="Crashes" if n % 2 else "",
                body=f"Since the update number {n} the browser crashes when I open a tab.",
                rating=1 + n % 5 if n % 2 else None,
                received_at=now - timezone.timedelta(minutes=n),
            )
            for n in range(ROWS)
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE queues_conversation, queues_searchtext")

    def setUp(self):
        self.client.force_login(self.user)

    def plan_of(self, url: str, *, forbid=("seqscan",), containing: str | None = None) -> str:
        """EXPLAIN of the query that reads the page's conversations (or of the first query containing that text),
        with the scans named in forbid turned off. The page's response is left in self.response."""
        with CaptureQueriesContext(connection) as captured:
            self.response = self.client.get(url)
        self.assertEqual(self.response.status_code, 200)
        queries = [q["sql"] for q in captured.captured_queries]
        if containing is None:
            sql = [q for q in queries if q.startswith('SELECT "queues_conversation"."id"')][-1]
        else:
            sql = next(q for q in queries if containing in q)
        with transaction.atomic(), connection.cursor() as cursor:
            for scan in forbid:
                cursor.execute(f"SET LOCAL enable_{scan} = off")
            cursor.execute(f"EXPLAIN {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())

    def assertReadsIndex(self, plan: str, *indexes: str):
        self.assertNotIn("Seq Scan on queues_conversation", plan)
        for index in indexes:
            self.assertRegex(plan, rf"(Index Scan using|Index Scan on) {index} ")

    def test_the_list_search_reads_the_trigram_index_without_upper_on_each_row(self):
        plan = self.plan_of("/conversations/?q=customer_1234", forbid=("seqscan", "indexscan"))
        self.assertReadsIndex(plan, "search_text_trgm")
        # UPPER() of the term was folded into the constant; the column is compared as stored.
        self.assertRegex(plan, r"Index Cond: \(text ~~ '%CUSTOMER\\_1234%'::text\)")

    def test_the_admin_search_reads_the_trigram_index_one_condition_per_word(self):
        plan = self.plan_of("/admin/queues/conversation/?q=update+crashes", forbid=("seqscan", "indexscan"))
        self.assertReadsIndex(plan, "search_text_trgm")
        self.assertIn("'%UPDATE%'", plan)
        self.assertIn("'%CRASHES%'", plan)

    def test_a_platform_id_is_looked_up_in_the_unique_index_one_probe_per_channel(self):
        plan = self.plan_of("/admin/queues/conversation/?q=ext-1234", containing="\"external_id\" = 'ext-1234'")
        self.assertEqual([c.external_id for c in self.response.context["cl"].result_list], ["ext-1234"])
        self.assertRegex(plan, r"Index (Only )?Scan using conversation_channel_external_id_unique")
        self.assertNotIn("Seq Scan on queues_conversation", plan)

    def test_lowest_rating_first_reads_its_index_in_order(self):
        plan = self.plan_of("/conversations/?sort=rating")
        self.assertReadsIndex(plan, "conv_sort_rating")
        self.assertNotIn("Sort Key", plan)

    def test_the_customers_other_conversations_are_read_from_their_index(self):
        convo = Conversation.objects.get(external_id="ext-1234")
        plan = self.plan_of(f"/conversations/{convo.pk}/", containing="NULLIF")
        self.assertNotIn("Seq Scan on queues_conversation", plan)
        self.assertRegex(plan, r"Index Scan (Backward )?using conv_channel_customer ")

    def test_a_deep_page_starts_reading_at_its_cursor(self):
        first = self.client.get("/conversations/?sort=newest")
        cursor = first.context["page"].next_cursor
        plan = self.plan_of(f"/conversations/?sort=newest&after={cursor}")
        self.assertRegex(plan, r"Index Cond: \(received_at <= ")


class NoRedundantIndexTests(TestCase):
    """Every index is written again on each change of a row: one whose columns lead another adds cost, not speed."""

    def test_no_plain_index_of_the_big_tables_is_the_leading_part_of_another(self):
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT t.relname, i.relname, x.indkey::int2[]
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_am am ON am.oid = i.relam
                WHERE t.relname IN (
                    'queues_conversation', 'queues_message', 'queues_note', 'queues_event', 'queues_searchtext'
                )
                  AND am.amname = 'btree' AND x.indpred IS NULL AND x.indexprs IS NULL
                """
            )
            indexes = cursor.fetchall()
        redundant = [
            (name, other)
            for table, name, columns in indexes
            for other_table, other, other_columns in indexes
            if table == other_table
            and name != other
            and len(columns) < len(other_columns)
            and other_columns[: len(columns)] == columns
            and not name.endswith("_pkey")
        ]
        self.assertEqual(redundant, [])
        self.assertGreater(len(indexes), 8)
