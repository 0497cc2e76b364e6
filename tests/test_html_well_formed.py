"""Every agent page and the admin's pages are well-formed HTML (tests/html_check.py)."""

from django.test import TestCase
from django.urls import reverse

from queues import services
from queues.models import CloseReason, Conversation, EscalationReason, Queue
from tests import factories as f
from tests.html_check import html_problems


class WellFormedTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice", first_name="Alice")
        cls.moderator = f.moderator(username="mo")
        cls.admin = f.admin(username="root", is_superuser=True)
        f.TagFactory(), f.TagFactory()
        cls.working = f.ConversationFactory(author_handle="@mara")
        f.ConversationFactory(author_handle="@mara")  # the customer's other conversation
        cls.held = f.ConversationFactory()
        services.put_on_hold(
            conversation_id=cls.held.pk, actor=cls.agent, queue_id=f.queue_of_kind(Queue.Kind.ON_HOLD).pk
        )
        cls.escalated = f.ConversationFactory()
        services.escalate_conversation(
            conversation_id=cls.escalated.pk, actor=cls.agent, reason=EscalationReason.SENSITIVE, note=f.STEPS
        )
        cls.closed = f.ConversationFactory()
        services.close_conversation(conversation_id=cls.closed.pk, actor=cls.agent, reason=CloseReason.RESOLVED)

    def assertWellFormed(self, url, status=200):
        response = self.client.get(url)
        self.assertEqual(response.status_code, status, url)
        self.assertEqual(html_problems(response.content.decode()), [], url)

    def test_the_checker_finds_what_it_is_for(self):
        bad = '<form><label for="a">A</label><form></form></form></form><input id="a"><input id="a"><label for="b">'
        self.assertEqual(
            html_problems(bad),
            [
                "line 1: a <form> inside a <form>",
                "line 1: </form> without a <form>",
                "line 1: id 'a' used twice",
                "label for 'b': no element has that id",
            ],
        )

    def test_the_sign_in_page(self):
        self.assertWellFormed(reverse("login"))

    def test_every_agent_page_for_a_contributor_and_a_moderator(self):
        for user in (self.agent, self.moderator):
            self.client.force_login(user)
            self.assertWellFormed("/")
            self.assertWellFormed("/conversations/")
            self.assertWellFormed("/conversations/?status=open&sort=longest_in_queue&overdue=on")
            for convo in (self.working, self.held, self.escalated, self.closed):
                self.assertWellFormed(reverse("conversation-detail", args=[convo.pk]))
            self.assertWellFormed(reverse("password_change"))
            self.assertWellFormed("/conversations/999999/", status=404)
            self.assertWellFormed(reverse("conversation-reply", args=[self.working.pk]), status=405)

    def test_a_page_with_a_refused_form(self):
        self.client.force_login(self.agent)
        url = reverse("conversation-escalate", args=[self.working.pk])
        response = self.client.post(url, {"reason": "", "note": ""}, follow=True)
        self.assertEqual(html_problems(response.content.decode()), [])

    def test_the_admins_pages(self):
        self.client.force_login(self.admin)
        convo = Conversation.objects.first()
        for url in [
            "/admin/",
            "/admin/queues/conversation/",
            "/admin/queues/conversation/?status__exact=open",
            f"/admin/queues/conversation/{convo.pk}/change/",
            "/admin/queues/queue/",
            f"/admin/queues/queue/{convo.queue_id}/change/",
            "/admin/queues/channel/",
            "/admin/queues/clipping/",
            "/admin/queues/clipping/add/",
            "/admin/queues/product/",
            "/admin/queues/tag/",
            "/admin/auth/user/",
        ]:
            self.assertWellFormed(url)
