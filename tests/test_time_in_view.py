"""Time, visible: how long in this queue, when an on-hold conversation auto-closes, when it was escalated, how long
the first reply took; the list sorts and filters by time in queue and shows what is overdue."""

from datetime import timedelta

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from queues import services
from queues.models import EscalationReason, Queue
from tests import factories as f


class TimeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = f.agent(username="alice", first_name="Alice")
        cls.on_hold = f.queue_of_kind(Queue.Kind.ON_HOLD)
        cls.on_hold.auto_close_after = timedelta(days=7)
        cls.on_hold.save()

    def setUp(self):
        self.client.force_login(self.alice)

    def hold(self, convo, days_ago):
        services.put_on_hold(conversation_id=convo.pk, actor=self.alice, queue_id=self.on_hold.pk)
        since = timezone.now() - timedelta(days=days_ago)
        type(convo).objects.filter(pk=convo.pk).update(on_hold_since=since, queue_entered_at=since)

    def test_the_dashboard_shows_the_longest_wait_in_the_queue_not_the_age_of_the_post(self):
        convo = f.ConversationFactory(received_at=timezone.now() - timedelta(days=180))
        self.hold(convo, days_ago=2)
        page = self.client.get("/")
        self.assertContains(page, "2\xa0days in this queue")
        self.assertNotContains(page, "months")

    def test_holding_says_when_it_auto_closes_in_the_message_the_page_and_the_list(self):
        convo = f.ConversationFactory()
        page = self.client.post(reverse("conversation-hold", args=[convo.pk]), {"queue": self.on_hold.pk}, follow=True)
        due = timezone.localtime(timezone.now() + timedelta(days=7))
        expected = f"Auto-closes on {due.day} {due:%b} (in 7 days)"
        said = [str(m) for m in page.context["messages"]]
        self.assertEqual(said, [f"Put on hold. {expected} if the customer stays silent."])
        self.assertContains(page, expected)
        self.assertContains(self.client.get(reverse("conversation-list")), expected)

    def test_an_on_hold_conversation_past_its_auto_close_is_shown_overdue_and_can_be_listed_alone(self):
        overdue, fresh = f.ConversationFactory(), f.ConversationFactory()
        self.hold(overdue, days_ago=9)
        self.hold(fresh, days_ago=1)
        listed = self.client.get(reverse("conversation-list"), {"overdue": "on"})
        self.assertEqual([c.pk for c in listed.context["page"].rows], [overdue.pk])
        self.assertContains(listed, "Overdue: due to auto-close on")
        self.assertContains(self.client.get(reverse("conversation-detail", args=[overdue.pk])), "2 days ago")

    def test_the_list_sorts_and_filters_by_time_in_queue(self):
        now = timezone.now()
        recent = f.ConversationFactory(received_at=now - timedelta(days=30), queue_entered_at=now - timedelta(hours=1))
        waiting = f.ConversationFactory(received_at=now - timedelta(days=1), queue_entered_at=now - timedelta(days=5))
        rows = self.client.get(reverse("conversation-list"), {"sort": "longest_in_queue"}).context["page"].rows
        self.assertEqual([c.pk for c in rows], [waiting.pk, recent.pk])
        rows = self.client.get(reverse("conversation-list"), {"in_queue_days": "3"}).context["page"].rows
        self.assertEqual([c.pk for c in rows], [waiting.pk])

    def test_moving_restarts_the_time_in_queue(self):
        convo = f.ConversationFactory(queue_entered_at=timezone.now() - timedelta(days=4))
        services.put_on_hold(conversation_id=convo.pk, actor=self.alice, queue_id=self.on_hold.pk)
        convo.refresh_from_db()
        self.assertLess(timezone.now() - convo.queue_entered_at, timedelta(minutes=5))

    def test_escalating_an_unassigned_conversation_gives_it_to_the_escalating_agent(self):
        convo = f.ConversationFactory()
        page = self.client.post(
            reverse("conversation-escalate", args=[convo.pk]),
            {"reason": EscalationReason.SENSITIVE, "note": f.STEPS},
            follow=True,
        )
        convo.refresh_from_db()
        self.assertEqual(convo.assignee, self.alice)
        self.assertContains(page, "Escalated")
        self.assertContains(page, "0\xa0minutes ago")
        bob = f.agent(username="bob")
        other = f.ConversationFactory(assignee=bob)
        services.escalate_conversation(
            conversation_id=other.pk, actor=self.alice, reason=EscalationReason.SENSITIVE, note=f.STEPS
        )
        other.refresh_from_db()
        self.assertEqual(other.assignee, bob)  # someone had it: they keep it

    def test_the_first_response_time_shows_on_the_conversation(self):
        convo = f.ConversationFactory(received_at=timezone.now() - timedelta(hours=3))
        page = self.client.get(reverse("conversation-detail", args=[convo.pk]))
        self.assertContains(page, "No reply yet (waiting 3\xa0hours)")
        services.reply(conversation_id=convo.pk, actor=self.alice, body="Hello")
        page = self.client.get(reverse("conversation-detail", args=[convo.pk]))
        self.assertContains(page, "After 3\xa0hours")
