from datetime import timedelta

from django.db import IntegrityError, transaction
from django.test import TestCase

from queues.models import Clipping, Conversation, Event, Queue
from tests import factories as f


class ConstraintTests(TestCase):
    def assertDatabaseRefuses(self, create):
        with self.assertRaises(IntegrityError), transaction.atomic():
            create()

    def test_an_escalation_queue_with_an_auto_close_duration_is_rejected_by_the_database(self):
        self.assertDatabaseRefuses(
            lambda: Queue.objects.create(
                name="Esc", slug="esc", kind=Queue.Kind.ESCALATION, auto_close_after=timedelta(days=7)
            )
        )
        self.assertFalse(Queue.objects.filter(slug="esc").exists())

    def test_an_escalation_queue_cannot_be_given_a_duration_by_an_update(self):
        queue = f.queue_of_kind(Queue.Kind.ESCALATION)
        self.assertDatabaseRefuses(lambda: Queue.objects.filter(pk=queue.pk).update(auto_close_after=timedelta(days=1)))

    def test_working_queues_cannot_have_a_duration_and_on_hold_queues_must(self):
        self.assertDatabaseRefuses(
            lambda: Queue.objects.create(name="W", slug="w", kind=Queue.Kind.WORKING, auto_close_after=timedelta(1))
        )
        self.assertDatabaseRefuses(lambda: Queue.objects.create(name="H", slug="h", kind=Queue.Kind.ON_HOLD))
        self.assertDatabaseRefuses(
            lambda: Queue.objects.create(name="H", slug="h", kind=Queue.Kind.ON_HOLD, auto_close_after=timedelta(0))
        )
        Queue.objects.create(name="H", slug="h", kind=Queue.Kind.ON_HOLD, auto_close_after=timedelta(hours=1))

    def test_there_is_at_most_one_escalation_statement(self):
        self.assertDatabaseRefuses(
            lambda: Clipping.objects.create(title="Second", body="…", is_escalation_statement=True)
        )
        Clipping.objects.create(title="Thanks", body="Thank you!")

    def test_external_ids_are_unique_per_channel(self):
        f.ConversationFactory(channel=f.channel("@FirefoxSupport"), external_id="123")
        f.ConversationFactory(channel=f.channel("@Firefox"), external_id="123")
        self.assertDatabaseRefuses(
            lambda: f.ConversationFactory(channel=f.channel("@FirefoxSupport"), external_id="123")
        )

    def test_ratings_are_one_to_five(self):
        self.assertDatabaseRefuses(lambda: f.ConversationFactory(rating=6))
        self.assertDatabaseRefuses(lambda: f.ConversationFactory(rating=0))
        f.ConversationFactory(rating=5)

    def test_a_closed_conversation_has_a_closed_time(self):
        self.assertDatabaseRefuses(lambda: f.ConversationFactory(status="closed"))


class NothingIsLostTests(TestCase):
    def test_deleting_a_user_keeps_their_conversations_notes_messages_and_events(self):
        from queues import services

        agent = f.agent(username="leaving")
        convo = f.ConversationFactory(assignee=agent)
        services.add_note(conversation_id=convo.pk, actor=agent, body="Note")
        services.reply(conversation_id=convo.pk, actor=agent, body="Reply")
        agent.delete()
        convo.refresh_from_db()
        self.assertIsNone(convo.assignee)
        self.assertEqual(convo.notes.get().author, None)
        self.assertEqual(convo.messages.get().author, None)
        event = Event.objects.get(conversation=convo, kind=Event.Kind.NOTE_ADDED)
        self.assertEqual((event.actor, event.by_automation), (None, False))

    def test_events_cannot_be_changed_or_deleted(self):
        from queues import services

        convo = f.ConversationFactory()
        services.add_note(conversation_id=convo.pk, actor=None, body="By the automation")
        event = Event.objects.get()
        with self.assertRaises(ValueError):
            event.save()
        with self.assertRaises(ValueError):
            event.delete()
        self.assertEqual(Event.objects.count(), 1)

    def test_a_conversation_with_history_cannot_be_deleted(self):
        from django.db.models import ProtectedError

        from queues import services

        convo = f.ConversationFactory()
        services.add_note(conversation_id=convo.pk, actor=None, body="x")
        with self.assertRaises(ProtectedError):
            convo.delete()
        self.assertTrue(Conversation.objects.filter(pk=convo.pk).exists())
