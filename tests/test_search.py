"""The search's own table (queues/search.py): written by triggers for every way a conversation arrives or changes,
read by the list's search and the admin's. On SQLite and PostgreSQL alike."""

import pytest
from django.db import connection
from django.test import TestCase
from django.utils import timezone

from queues import search, services
from queues.models import CloseReason, Conversation, SearchText, Status
from tests import factories as f


def text_of(convo: Conversation) -> str:
    return SearchText.objects.get(conversation=convo).text


class TriggerTests(TestCase):
    def setUp(self):
        self.x = f.channel()

    def test_the_triggers_are_there_after_every_migration(self):
        # Migration 0007 rebuilds the conversation table on SQLite, which drops its triggers: post_migrate puts them
        # back (queues/apps.py). The test database is built by running every migration.
        self.assertGreaterEqual(search.triggers(connection), search.TRIGGERS)

    def test_a_conversation_from_the_orm_gets_its_row(self):
        convo = f.ConversationFactory(
            channel=self.x, external_id="1790", author_name="Anna", author_handle="@anna", title="", body="It hangs"
        )
        self.assertEqual(text_of(convo), "ANNA\n@ANNA\n\nIT HANGS")

    def test_bulk_created_and_plain_sql_conversations_get_theirs(self):
        Conversation.objects.bulk_create(
            [Conversation(channel=self.x, queue=self.x.working_queue, external_id=f"bulk-{n}") for n in range(3)]
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """INSERT INTO queues_conversation (channel_id, queue_id, external_id, permalink, author_name,
                       author_handle, title, body, language, metadata, status, escalation_reason,
                       escalation_reason_other, close_reason, created_at, received_at, updated_at)
                   VALUES (%s, %s, 'raw-1', '', 'Raw Author', '@raw', 'Title', 'Body', 'en', '{}', 'open', '', '', '',
                       %s, %s, %s)""",
                [self.x.pk, self.x.working_queue_id, *[timezone.now()] * 3],
            )
        self.assertEqual(SearchText.objects.filter(conversation__external_id__startswith="bulk-").count(), 3)
        self.assertEqual(text_of(Conversation.objects.get(external_id="raw-1")), "RAW AUTHOR\n@RAW\nTITLE\nBODY")

    def test_a_changed_text_is_written_again(self):
        convo = f.ConversationFactory(channel=self.x, external_id="e1", body="before", author_name="A")
        convo.body = "after"
        convo.save()
        self.assertIn("AFTER", text_of(convo))
        Conversation.objects.filter(pk=convo.pk).update(author_name="Renamed")
        self.assertEqual(text_of(convo).split("\n")[0], "RENAMED")

    def test_ensure_puts_back_missing_triggers_and_rows(self):
        convo = f.ConversationFactory(channel=self.x)
        search.uninstall(connection)
        SearchText.objects.filter(conversation=convo).delete()
        late = f.ConversationFactory(channel=self.x, author_name="Late")
        self.assertFalse(SearchText.objects.filter(conversation__in=[convo, late]).exists())

        search.ensure(connection)

        self.assertGreaterEqual(search.triggers(connection), search.TRIGGERS)
        self.assertEqual(SearchText.objects.filter(conversation__in=[convo, late]).count(), 2)
        self.assertIn("LATE", text_of(late))

    @pytest.mark.postgres
    def test_closing_a_conversation_does_not_write_its_search_row(self):
        # The point of the table: a change of status writes no search entry (PostgreSQL: where the row version is).
        convo = f.ConversationFactory(channel=self.x, body="Crashes when I open a tab")
        agent = f.agent()

        def version():
            with connection.cursor() as cursor:
                cursor.execute("SELECT ctid::text FROM queues_searchtext WHERE conversation_id = %s", [convo.pk])
                return cursor.fetchone()[0]

        before = version()
        services.close_conversation(conversation_id=convo.pk, actor=agent, reason=CloseReason.RESOLVED)
        convo.refresh_from_db()
        self.assertEqual(convo.status, Status.CLOSED)
        self.assertEqual(version(), before)
        Conversation.objects.filter(pk=convo.pk).update(body="Crashes when I open two tabs")
        self.assertNotEqual(version(), before)


class SearchPageTests(TestCase):
    """What the list's search and the admin's find: the same, through queues.search.matching."""

    @classmethod
    def setUpTestData(cls):
        x, play = f.channel(), f.channel("org.mozilla.firefox")
        cls.agent = f.agent()
        cls.root = f.UserFactory(username="root", is_staff=True, is_superuser=True)
        cls.by_column = {
            "Zuzanna": f.ConversationFactory(channel=x, author_name="Zuzanna Nowak"),
            "@quokka": f.ConversationFactory(channel=x, author_handle="@quokka_fan"),
            "Sync lost": f.ConversationFactory(channel=play, title="Sync lost my bookmarks"),
            "tab groups": f.ConversationFactory(channel=x, body="Where did my TAB GROUPS go? The tab bar is empty."),
        }
        cls.review = f.ConversationFactory(channel=play, external_id="gp:AOqpTOHwbNq", body="Mentions gp:AOqpTOH")
        cls.same_id = [f.ConversationFactory(channel=c, external_id="1790000000000000001") for c in (x, play)]
        f.ConversationFactory(channel=x, author_name="Nobody", body="Unrelated")

    def found(self, term: str, *, admin: bool = False) -> set[int]:
        self.client.force_login(self.root if admin else self.agent)
        if admin:
            return {c.pk for c in self.client.get("/admin/queues/conversation/", {"q": term}).context["cl"].result_list}
        return {c.pk for c in self.client.get("/conversations/", {"q": term}).context["page"].rows}

    def test_each_column_is_found_in_any_case_from_the_list_and_the_admin(self):
        for admin in (False, True):
            for term, convo in self.by_column.items():
                with self.subTest(term, admin=admin):
                    self.assertEqual(self.found(term.swapcase(), admin=admin), {convo.pk})

    def test_every_word_must_match_in_any_order_and_quotes_keep_words_together(self):
        tabs = self.by_column["tab groups"].pk
        self.assertEqual(self.found("groups where"), {tabs})
        self.assertEqual(self.found('"tab groups"'), {tabs})
        self.assertEqual(self.found('"groups tab"'), set())
        self.assertEqual(self.found("groups zuzanna"), set())

    def test_a_platform_id_finds_its_conversations_in_every_channel_and_nothing_else(self):
        for admin in (False, True):
            with self.subTest(admin=admin):
                self.assertEqual(self.found("gp:AOqpTOHwbNq", admin=admin), {self.review.pk})
                self.assertEqual(self.found("1790000000000000001", admin=admin), {c.pk for c in self.same_id})
                # Not an id: the text is searched, and the review mentions it.
                self.assertEqual(self.found("gp:aoqptoh", admin=admin), {self.review.pk})

    def test_the_admin_finds_a_conversation_by_number(self):
        self.assertEqual(self.found(f"#{self.review.pk}", admin=True), {self.review.pk})
