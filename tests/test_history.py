"""The audit trail is append-only in the database (queues/history.py): the ORM's update() and delete() and raw SQL are
refused for events, and for the text of messages and notes; what the portal legitimately does still works. On SQLite
and PostgreSQL alike."""

from datetime import UTC, datetime

from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import TestCase, TransactionTestCase

from queues import history, services
from queues.models import Event, Message, Note
from tests import factories as f


class AppendOnlyTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="agent")
        cls.convo = f.ConversationFactory()
        cls.note = services.add_note(conversation_id=cls.convo.pk, actor=cls.agent, body="Asked for the version")
        cls.reply = services.reply(conversation_id=cls.convo.pk, actor=cls.agent, body="Which version is it?")
        cls.event = Event.objects.filter(conversation=cls.convo).latest("id")

    def assertRefused(self, statement):
        # A savepoint of its own: on PostgreSQL a failed statement would abort the test's transaction.
        with self.assertRaisesMessage(IntegrityError, "refused: the audit trail is append-only"), transaction.atomic():
            statement()

    def raw(self, sql, *params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def test_the_orm_cannot_update_or_delete_events(self):
        events = Event.objects.filter(pk=self.event.pk)
        self.assertRefused(lambda: events.update(kind=Event.Kind.CLOSED))
        self.assertRefused(lambda: events.update(details={"rewritten": True}))
        self.assertRefused(lambda: events.delete())
        self.assertRefused(lambda: Event.objects.all().delete())
        self.event.refresh_from_db()
        self.assertEqual((self.event.kind, self.event.actor), (Event.Kind.REPLIED, self.agent))
        self.assertEqual(Event.objects.filter(conversation=self.convo).count(), 2)

    def test_raw_sql_cannot_update_or_delete_events(self):
        self.assertRefused(lambda: self.raw("UPDATE queues_event SET kind = 'closed' WHERE id = %s", self.event.pk))
        long_ago = datetime(2001, 1, 1, tzinfo=UTC)
        self.assertRefused(lambda: self.raw("UPDATE queues_event SET created_at = %s", long_ago))
        self.assertRefused(lambda: self.raw("DELETE FROM queues_event"))
        self.assertEqual(Event.objects.filter(conversation=self.convo).count(), 2)

    def test_nulling_the_actor_together_with_another_change_is_refused(self):
        events = Event.objects.filter(pk=self.event.pk)
        self.assertRefused(lambda: events.update(actor=None, kind=Event.Kind.CLOSED))
        self.assertRefused(lambda: events.update(actor=f.agent(username="someone-else")))
        self.assertEqual(Event.objects.get(pk=self.event.pk).actor, self.agent)

    def test_the_text_of_a_message_or_a_note_cannot_change_and_neither_can_be_deleted(self):
        self.assertRefused(lambda: Message.objects.filter(pk=self.reply.pk).update(body="Something kinder"))
        self.assertRefused(lambda: self.raw("UPDATE queues_note SET body = 'rewritten' WHERE id = %s", self.note.pk))
        self.assertRefused(lambda: Note.objects.filter(pk=self.note.pk).update(body=""))
        self.assertRefused(lambda: Message.objects.filter(pk=self.reply.pk).delete())
        self.assertRefused(lambda: self.raw("DELETE FROM queues_note"))
        self.reply.refresh_from_db()
        self.note.refresh_from_db()
        self.assertEqual((self.reply.body, self.note.body), ("Which version is it?", "Asked for the version"))

    def test_a_replys_delivery_may_change_and_saving_an_unchanged_text_is_allowed(self):
        Message.objects.filter(pk=self.reply.pk).update(delivery=Message.Delivery.SENT, external_id="1790")
        self.reply.refresh_from_db()
        self.reply.delivery = Message.Delivery.FAILED
        self.reply.save()  # a full-row save writes the same text again
        self.note.save()
        self.reply.refresh_from_db()
        self.assertEqual((self.reply.delivery, self.reply.external_id), (Message.Delivery.FAILED, "1790"))

    def test_new_events_messages_and_notes_are_still_written(self):
        services.add_note(conversation_id=self.convo.pk, actor=self.agent, body="Second note")
        services.reply(conversation_id=self.convo.pk, actor=self.agent, body="Second reply")
        self.assertEqual(Event.objects.filter(conversation=self.convo).count(), 4)
        self.assertEqual((Note.objects.count(), Message.objects.filter(direction="outbound").count()), (2, 2))

    def test_deleting_a_user_keeps_their_events_with_no_actor(self):
        self.agent.delete()
        self.assertEqual(
            list(Event.objects.filter(conversation=self.convo).values_list("kind", "actor", "by_automation")),
            [(Event.Kind.NOTE_ADDED, None, False), (Event.Kind.REPLIED, None, False)],
        )
        self.assertEqual(Note.objects.get().author, None)

    def test_a_migration_may_rewrite_history_inside_rewritable_and_nowhere_else(self):
        with history.rewritable(connection):
            Event.objects.filter(pk=self.event.pk).update(details={"fixed": "by migration 00xx"})
            Note.objects.filter(pk=self.note.pk).update(body="redacted")
        self.assertEqual(Event.objects.get(pk=self.event.pk).details, {"fixed": "by migration 00xx"})
        self.assertEqual(Note.objects.get(pk=self.note.pk).body, "redacted")
        self.assertRefused(lambda: Note.objects.filter(pk=self.note.pk).update(body="again"))

    def test_the_triggers_come_back_after_a_migrate_that_lost_them(self):
        # As a migration rebuilding the table on SQLite would: post_migrate (queues/apps.py) puts them back.
        from django.apps import apps
        from django.core.management.sql import emit_post_migrate_signal

        history.uninstall(connection)
        Note.objects.filter(pk=self.note.pk).update(body="unprotected")
        emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias, apps=apps)
        self.assertRefused(lambda: Note.objects.filter(pk=self.note.pk).update(body="protected again"))
        self.assertRefused(lambda: Event.objects.filter(pk=self.event.pk).delete())


class FlushTests(TransactionTestCase):
    serialized_rollback = True  # the seeded queues and channels come back for the tests after it

    def test_flush_empties_the_trail_as_after_every_transactional_test(self):
        agent = f.agent(username="agent")
        services.add_note(conversation_id=f.ConversationFactory().pk, actor=agent, body="A note")
        # As pytest-django calls it; resetting sequences would make later tests reuse the restored rows' ids.
        call_command("flush", interactive=False, verbosity=0, reset_sequences=False)
        self.assertFalse(Event.objects.exists() or Note.objects.exists())
