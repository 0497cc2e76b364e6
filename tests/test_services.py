import io
from datetime import timedelta

from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from queues import services
from queues.models import (
    CloseReason,
    Conversation,
    EscalationReason,
    Event,
    Message,
    Note,
    Notice,
    Queue,
    Status,
)
from queues.process import Stage
from tests import factories as f


def escalate(convo, actor, **kwargs):
    return services.escalate_conversation(
        conversation_id=convo.pk,
        actor=actor,
        reason=kwargs.pop("reason", EscalationReason.NEEDS_PRODUCT_TEAM),
        note=kwargs.pop("note", f.STEPS),
        **kwargs,
    )


class ServiceTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice")
        cls.other = f.agent(username="bob")
        cls.moderator = f.moderator(username="mo")
        cls.x = f.channel("@FirefoxSupport")
        cls.play = f.channel("org.mozilla.firefox")
        cls.on_hold = f.queue_of_kind(Queue.Kind.ON_HOLD)

    def assertRefused(self, convo, call, message_part):
        """The call raises a ServiceError naming the problem, and nothing changes."""
        before = Conversation.objects.filter(pk=convo.pk).values().get()
        counts = (Event.objects.count(), Message.objects.count(), Note.objects.count())
        with self.assertRaises(services.ServiceError) as raised:
            call()
        self.assertIn(message_part, raised.exception.message)
        self.assertEqual(Conversation.objects.filter(pk=convo.pk).values().get(), before)
        self.assertEqual((Event.objects.count(), Message.objects.count(), Note.objects.count()), counts)

    def events(self, convo):
        return list(Event.objects.filter(conversation=convo).values_list("kind", flat=True))


class EscalateTests(ServiceTestCase):
    def test_escalating_writes_note_statement_and_moves_to_the_channels_escalation_queue(self):
        convo = f.ConversationFactory(channel=self.x)
        escalate(convo, self.agent)
        convo.refresh_from_db()
        self.assertEqual(convo.queue, self.x.escalation_queue)
        self.assertEqual(convo.previous_queue, self.x.working_queue)
        self.assertEqual(convo.stage, Stage.ESCALATED)
        self.assertEqual(convo.escalation_reason, EscalationReason.NEEDS_PRODUCT_TEAM)
        self.assertIsNotNone(convo.escalated_at)
        note = Note.objects.get(conversation=convo)
        self.assertEqual((note.body, note.author), (f.STEPS, self.agent))
        reply = Message.objects.get(conversation=convo)
        self.assertEqual(reply.body, f.statement().body)
        self.assertEqual(reply.clipping, f.statement())
        self.assertEqual((reply.direction, reply.delivery), (Message.Direction.OUTBOUND, Message.Delivery.QUEUED))
        event = Event.objects.get(conversation=convo)
        self.assertEqual(
            (event.kind, event.actor, event.from_queue, event.to_queue),
            (Event.Kind.ESCALATED, self.agent, self.x.working_queue, self.x.escalation_queue),
        )
        self.assertEqual(event.details["note_id"], note.pk)
        self.assertEqual(event.details["message_id"], reply.pk)

    def test_google_play_reviews_go_to_the_mobile_escalation_queue(self):
        convo = f.ConversationFactory(channel=self.play)
        escalate(convo, self.agent)
        convo.refresh_from_db()
        self.assertEqual(convo.queue, self.play.escalation_queue)
        self.assertNotEqual(self.play.escalation_queue, self.x.escalation_queue)

    def test_escalating_from_on_hold_remembers_the_original_working_queue_and_stops_the_clock(self):
        convo = f.ConversationFactory(channel=self.x)
        services.put_on_hold(conversation_id=convo.pk, actor=self.agent)
        escalate(convo, self.agent)
        convo.refresh_from_db()
        self.assertEqual(convo.previous_queue, self.x.working_queue)
        self.assertIsNone(convo.on_hold_since)

    def test_escalation_needs_a_note(self):
        convo = f.ConversationFactory()
        self.assertRefused(convo, lambda: escalate(convo, self.agent, note="   "), "steps you suggested")

    def test_escalation_needs_a_known_reason(self):
        convo = f.ConversationFactory()
        self.assertRefused(convo, lambda: escalate(convo, self.agent, reason=""), "why")
        self.assertRefused(convo, lambda: escalate(convo, self.agent, reason="bored"), "why")

    def test_other_reason_needs_its_text_and_tells_the_admins_through_the_outbox(self):
        convo = f.ConversationFactory()
        self.assertRefused(convo, lambda: escalate(convo, self.agent, reason=EscalationReason.OTHER), "other reason")
        with self.settings(ADMINS=[("Admins", "admins@example.com")], DELIVERY_BACKEND="platforms"):
            escalate(convo, self.agent, reason=EscalationReason.OTHER, other_reason="A journalist asked.")
            convo.refresh_from_db()
            self.assertEqual(convo.escalation_reason_other, "A journalist asked.")
            notice = Notice.objects.get(conversation=convo, target=Notice.Target.EMAIL)
            self.assertEqual(notice.delivery, "queued")
            self.assertEqual(len(mail.outbox), 0)
            call_command("deliver", "--once", stdout=io.StringIO())
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("A journalist asked.", mail.outbox[0].body)
        notice.refresh_from_db()
        self.assertEqual(notice.delivery, "sent")
        self.assertTrue(Event.objects.filter(conversation=convo, kind=Event.Kind.NOTICE_POSTED).exists())

    def test_an_escalated_or_closed_conversation_cannot_be_escalated(self):
        convo = f.ConversationFactory()
        escalate(convo, self.agent)
        self.assertRefused(convo, lambda: escalate(convo, self.other), "it is escalated")
        closed = f.ConversationFactory()
        services.close_conversation(conversation_id=closed.pk, actor=self.agent, reason=CloseReason.RESOLVED)
        self.assertRefused(closed, lambda: escalate(closed, self.other), "it is closed")

    def test_escalation_is_all_or_nothing_when_the_statement_does_not_fit_the_channel(self):
        statement = f.statement()
        statement.body = "x" * 400
        statement.save()
        convo = f.ConversationFactory(channel=self.play)
        self.assertRefused(convo, lambda: escalate(convo, self.agent), "under 350")

    def test_escalation_without_a_configured_statement_is_refused(self):
        f.statement().delete()
        convo = f.ConversationFactory()
        self.assertRefused(convo, lambda: escalate(convo, self.agent), "No escalation statement")


class HoldTests(ServiceTestCase):
    def test_put_on_hold_moves_to_the_on_hold_queue_and_starts_the_clock(self):
        convo = f.ConversationFactory(channel=self.x)
        before = timezone.now()
        services.put_on_hold(conversation_id=convo.pk, actor=self.agent)
        convo.refresh_from_db()
        self.assertEqual(convo.queue, self.on_hold)
        self.assertEqual(convo.previous_queue, self.x.working_queue)
        self.assertGreaterEqual(convo.on_hold_since, before)
        event = Event.objects.get(conversation=convo)
        self.assertEqual(
            (event.kind, event.from_queue, event.to_queue), (Event.Kind.PUT_ON_HOLD, self.x.working_queue, self.on_hold)
        )

    def test_a_conversation_already_on_hold_cannot_be_put_on_hold_again(self):
        convo = f.ConversationFactory()
        services.put_on_hold(conversation_id=convo.pk, actor=self.agent)
        self.assertRefused(convo, lambda: services.put_on_hold(conversation_id=convo.pk, actor=self.agent), "on hold")

    def test_with_two_on_hold_queues_the_agent_must_choose(self):
        second = Queue.objects.create(
            name="Long hold", slug="long-hold", kind=Queue.Kind.ON_HOLD, auto_close_after=timedelta(days=30)
        )
        convo = f.ConversationFactory()
        self.assertRefused(convo, lambda: services.put_on_hold(conversation_id=convo.pk, actor=self.agent), "Choose")
        services.put_on_hold(conversation_id=convo.pk, actor=self.agent, queue_id=second.pk)
        convo.refresh_from_db()
        self.assertEqual(convo.queue, second)

    def test_put_on_hold_into_a_queue_of_another_kind_is_refused(self):
        convo = f.ConversationFactory(channel=self.x)
        call = lambda: services.put_on_hold(  # noqa: E731
            conversation_id=convo.pk, actor=self.agent, queue_id=self.x.escalation_queue_id
        )
        self.assertRefused(convo, call, "on hold queue")


class CustomerMessageTests(ServiceTestCase):
    def test_a_customer_message_takes_an_on_hold_conversation_back_and_stops_the_clock(self):
        convo = f.ConversationFactory(channel=self.x)
        services.put_on_hold(conversation_id=convo.pk, actor=self.agent)
        message = services.record_customer_message(conversation_id=convo.pk, body="Still broken", external_id="m1")
        convo.refresh_from_db()
        self.assertEqual((convo.queue, convo.on_hold_since, convo.previous_queue), (self.x.working_queue, None, None))
        self.assertEqual(convo.last_customer_message_at, message.created_at)
        self.assertEqual(message.direction, Message.Direction.INBOUND)
        event = Event.objects.filter(conversation=convo).last()
        self.assertEqual(
            (event.kind, event.actor, event.by_automation, event.from_queue, event.to_queue),
            (Event.Kind.CUSTOMER_MESSAGE, None, False, self.on_hold, self.x.working_queue),
        )

    def test_a_customer_message_reopens_a_closed_conversation_into_the_channels_working_queue(self):
        convo = f.ConversationFactory(channel=self.play)
        escalate(convo, self.agent)
        services.close_conversation(conversation_id=convo.pk, actor=self.agent, reason=CloseReason.RESOLVED)
        services.record_customer_message(conversation_id=convo.pk, body="It happened again")
        convo.refresh_from_db()
        self.assertEqual((convo.status, convo.closed_at, convo.close_reason), (Status.OPEN, None, ""))
        self.assertEqual(convo.queue, self.play.working_queue)
        self.assertTrue(Event.objects.filter(conversation=convo).last().details["reopened"])

    def test_a_customer_message_leaves_an_escalated_conversation_where_it_is(self):
        convo = f.ConversationFactory(channel=self.x)
        escalate(convo, self.agent)
        services.record_customer_message(conversation_id=convo.pk, body="Any news?")
        convo.refresh_from_db()
        self.assertEqual(convo.queue, self.x.escalation_queue)
        event = Event.objects.filter(conversation=convo).last()
        self.assertEqual((event.kind, event.to_queue), (Event.Kind.CUSTOMER_MESSAGE, None))

    def test_the_same_external_message_is_recorded_once(self):
        convo = f.ConversationFactory()
        first = services.record_customer_message(conversation_id=convo.pk, body="Hi", external_id="m1")
        again = services.record_customer_message(conversation_id=convo.pk, body="Hi", external_id="m1")
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(self.events(convo), [Event.Kind.CUSTOMER_MESSAGE])


class CloseAndReopenTests(ServiceTestCase):
    def test_close_records_reason_and_time_and_keeps_everything(self):
        convo = f.ConversationFactory()
        services.add_note(conversation_id=convo.pk, actor=self.agent, body="Checked")
        services.close_conversation(conversation_id=convo.pk, actor=self.agent, reason=CloseReason.RESOLVED)
        convo.refresh_from_db()
        self.assertEqual((convo.status, convo.close_reason), (Status.CLOSED, CloseReason.RESOLVED))
        self.assertIsNotNone(convo.closed_at)
        self.assertEqual(Note.objects.filter(conversation=convo).count(), 1)
        self.assertEqual(self.events(convo), [Event.Kind.NOTE_ADDED, Event.Kind.CLOSED])

    def test_closing_twice_or_without_a_reason_is_refused(self):
        convo = f.ConversationFactory()
        self.assertRefused(
            convo, lambda: services.close_conversation(conversation_id=convo.pk, actor=self.agent, reason=""), "why"
        )
        services.close_conversation(conversation_id=convo.pk, actor=self.agent, reason=CloseReason.RESOLVED)
        self.assertRefused(
            convo,
            lambda: services.close_conversation(conversation_id=convo.pk, actor=self.other, reason=CloseReason.SPAM),
            "it is closed",
        )

    def test_reopen_puts_it_back_in_the_channels_working_queue(self):
        convo = f.ConversationFactory(channel=self.x)
        services.put_on_hold(conversation_id=convo.pk, actor=self.agent)
        services.close_conversation(conversation_id=convo.pk, actor=self.agent, reason=CloseReason.SPAM)
        services.reopen_conversation(conversation_id=convo.pk, actor=self.moderator)
        convo.refresh_from_db()
        self.assertEqual((convo.status, convo.queue, convo.on_hold_since), (Status.OPEN, self.x.working_queue, None))
        self.assertEqual(Event.objects.filter(conversation=convo).last().actor, self.moderator)

    def test_an_open_conversation_cannot_be_reopened(self):
        convo = f.ConversationFactory()
        self.assertRefused(
            convo,
            lambda: services.reopen_conversation(conversation_id=convo.pk, actor=self.moderator),
            "in a working queue",
        )


class AssignMoveNoteTests(ServiceTestCase):
    def test_assign_and_unassign(self):
        convo = f.ConversationFactory()
        services.assign_conversation(conversation_id=convo.pk, actor=self.agent, assignee_id=self.other.pk)
        convo.refresh_from_db()
        self.assertEqual(convo.assignee, self.other)
        self.assertRefused(
            convo,
            lambda: services.assign_conversation(conversation_id=convo.pk, actor=self.agent, assignee_id=self.other.pk),
            "already assigned",
        )
        services.unassign_conversation(conversation_id=convo.pk, actor=self.agent)
        convo.refresh_from_db()
        self.assertIsNone(convo.assignee)
        self.assertRefused(
            convo, lambda: services.unassign_conversation(conversation_id=convo.pk, actor=self.agent), "not assigned"
        )
        self.assertEqual(self.events(convo), [Event.Kind.ASSIGNED, Event.Kind.UNASSIGNED])

    def test_conversations_are_only_assigned_to_agents(self):
        outsider = f.UserFactory(username="outsider")
        convo = f.ConversationFactory()
        self.assertRefused(
            convo,
            lambda: services.assign_conversation(conversation_id=convo.pk, actor=self.agent, assignee_id=outsider.pk),
            "active agents",
        )

    def test_take_next_assigns_the_oldest_unassigned_open_conversation(self):
        now = timezone.now()
        newest = f.ConversationFactory(received_at=now)
        oldest = f.ConversationFactory(received_at=now - timedelta(hours=3))
        f.ConversationFactory(received_at=now - timedelta(hours=5), assignee=self.other)
        taken = services.take_next_conversation(queue_id=self.x.working_queue_id, actor=self.agent)
        self.assertEqual((taken, taken.assignee), (oldest, self.agent))
        self.assertEqual(services.take_next_conversation(queue_id=self.x.working_queue_id, actor=self.agent), newest)
        self.assertIsNone(services.take_next_conversation(queue_id=self.x.working_queue_id, actor=self.agent))

    def test_move_between_working_queues_and_back_from_escalation(self):
        convo = f.ConversationFactory(channel=self.x)
        services.move_to_queue(conversation_id=convo.pk, actor=self.moderator, queue_id=self.play.working_queue_id)
        escalate(convo, self.agent)
        services.move_to_queue(conversation_id=convo.pk, actor=self.moderator, queue_id=self.x.working_queue_id)
        convo.refresh_from_db()
        self.assertEqual((convo.queue, convo.previous_queue), (self.x.working_queue, None))
        self.assertEqual(self.events(convo), [Event.Kind.MOVED, Event.Kind.ESCALATED, Event.Kind.MOVED])

    def test_moves_to_the_same_or_a_non_working_queue_are_refused(self):
        convo = f.ConversationFactory(channel=self.x)
        self.assertRefused(
            convo,
            lambda: services.move_to_queue(
                conversation_id=convo.pk, actor=self.moderator, queue_id=self.x.working_queue_id
            ),
            "already in",
        )
        self.assertRefused(
            convo,
            lambda: services.move_to_queue(conversation_id=convo.pk, actor=self.moderator, queue_id=self.on_hold.pk),
            "working queue",
        )

    def test_notes_are_kept_and_empty_notes_refused(self):
        convo = f.ConversationFactory()
        self.assertRefused(
            convo, lambda: services.add_note(conversation_id=convo.pk, actor=self.agent, body=" "), "empty"
        )
        note = services.add_note(conversation_id=convo.pk, actor=self.agent, body="  Looked at it  ")
        self.assertEqual(note.body, "Looked at it")

    def test_product_and_tags(self):
        convo = f.ConversationFactory()
        product = f.ProductFactory()
        tags = [f.TagFactory(), f.TagFactory()]
        services.set_product(conversation_id=convo.pk, actor=self.agent, product_id=product.pk)
        services.set_tags(conversation_id=convo.pk, actor=self.agent, tag_ids=[t.pk for t in tags])
        with self.assertRaises(services.NothingToChange):
            services.set_tags(conversation_id=convo.pk, actor=self.agent, tag_ids=[t.pk for t in tags])
        with self.assertRaises(services.NothingToChange):
            services.set_product(conversation_id=convo.pk, actor=self.agent, product_id=product.pk)
        convo.refresh_from_db()
        self.assertEqual(convo.product, product)
        self.assertEqual(set(convo.tags.all()), set(tags))
        self.assertEqual(self.events(convo), [Event.Kind.PRODUCT_SET, Event.Kind.TAGS_SET])
        self.assertRefused(
            convo,
            lambda: services.set_tags(conversation_id=convo.pk, actor=self.agent, tag_ids=[999999]),
            "does not exist",
        )


class ReplyTests(ServiceTestCase):
    def test_reply_with_a_clipping_sends_its_text(self):
        convo = f.ConversationFactory(channel=self.x)
        message = services.reply(conversation_id=convo.pk, actor=self.agent, clipping_id=f.statement().pk)
        self.assertEqual((message.body, message.clipping), (f.statement().body, f.statement()))
        self.assertEqual(self.events(convo), [Event.Kind.REPLIED])

    def test_google_play_replies_over_the_limit_or_with_html_are_refused(self):
        convo = f.ConversationFactory(channel=self.play)
        self.assertRefused(
            convo, lambda: services.reply(conversation_id=convo.pk, actor=self.agent, body="a" * 350), "under 350"
        )
        self.assertRefused(
            convo, lambda: services.reply(conversation_id=convo.pk, actor=self.agent, body="<b>Hi</b>"), "HTML"
        )
        services.reply(conversation_id=convo.pk, actor=self.agent, body="a" * 349)

    def test_x_replies_over_280_weighted_characters_are_refused(self):
        convo = f.ConversationFactory(channel=self.x)
        self.assertRefused(
            convo, lambda: services.reply(conversation_id=convo.pk, actor=self.agent, body="火" * 141), "280"
        )
        services.reply(conversation_id=convo.pk, actor=self.agent, body="火" * 140)

    def test_a_closed_conversation_takes_no_reply(self):
        convo = f.ConversationFactory()
        services.close_conversation(conversation_id=convo.pk, actor=self.agent, reason=CloseReason.RESOLVED)
        self.assertRefused(
            convo, lambda: services.reply(conversation_id=convo.pk, actor=self.agent, body="Hello"), "it is closed"
        )


class CreateTests(ServiceTestCase):
    def test_a_new_conversation_lands_in_its_channels_working_queue_with_its_default_product(self):
        convo = services.create_conversation(
            channel_id=self.play.pk, external_id="gp:abc", body="Crashes", rating=1, actor=None
        )
        self.assertEqual(
            (convo.queue, convo.product, convo.status),
            (self.play.working_queue, self.play.default_product, Status.OPEN),
        )
        self.assertEqual(convo.last_customer_message_at, convo.created_at)
        event = Event.objects.get(conversation=convo)
        self.assertEqual(
            (event.kind, event.to_queue, event.by_automation), (Event.Kind.CREATED, self.play.working_queue, True)
        )

    def test_the_same_platform_id_twice_is_refused(self):
        services.create_conversation(channel_id=self.x.pk, external_id="1", body="Hi")
        with self.assertRaises(services.InvalidInput):
            services.create_conversation(channel_id=self.x.pk, external_id="1", body="Hi again")
        self.assertEqual(Conversation.objects.filter(external_id="1").count(), 1)


class RoleTests(ServiceTestCase):
    def test_contributors_cannot_move_or_reopen_or_create_tags(self):
        convo = f.ConversationFactory(channel=self.x)
        self.assertRefused(
            convo,
            lambda: services.move_to_queue(
                conversation_id=convo.pk, actor=self.agent, queue_id=self.play.working_queue_id
            ),
            "Only moderators can move to a working queue.",
        )
        self.assertRefused(
            convo,
            lambda: services.set_tags(conversation_id=convo.pk, actor=self.agent, tag_ids=[], new_tag_names=["refund"]),
            "Only moderators can create tags.",
        )
        services.close_conversation(conversation_id=convo.pk, actor=self.agent, reason=CloseReason.RESOLVED)
        self.assertRefused(
            convo, lambda: services.reopen_conversation(conversation_id=convo.pk, actor=self.agent), "Only moderators"
        )

    def test_moderators_create_tags_while_tagging(self):
        convo = f.ConversationFactory()
        services.set_tags(conversation_id=convo.pk, actor=self.moderator, tag_ids=[], new_tag_names=["Refund ", "VPN"])
        self.assertEqual(sorted(convo.tags.values_list("slug", flat=True)), ["refund", "vpn"])

    def test_users_without_a_role_can_do_nothing(self):
        outsider = f.UserFactory(username="outsider")
        convo = f.ConversationFactory()
        self.assertRefused(
            convo, lambda: services.add_note(conversation_id=convo.pk, actor=outsider, body="hi"), "Only agents"
        )
