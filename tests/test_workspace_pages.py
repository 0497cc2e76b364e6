"""Every control usable: unique ids and labels, the conversation's own address after an error, the portal's own
error pages, each reply and note once, the Play Console's replies, "and next", the customer's other conversations."""

from datetime import timedelta
from html.parser import HTMLParser

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from queues import services
from queues.models import CloseReason, Conversation, Message, Queue
from tests import factories as f


def detail(convo):
    return reverse("conversation-detail", args=[convo.pk])


class Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.label_fors = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "label" and "for" in attrs:
            self.label_fors.append(attrs["for"])


class WorkspacePageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = f.moderator(username="alice", first_name="Alice")
        cls.on_hold = f.queue_of_kind(Queue.Kind.ON_HOLD)
        f.statement()

    def setUp(self):
        self.client.force_login(self.alice)

    def test_every_id_on_the_conversation_page_is_unique_and_every_label_names_its_own_field(self):
        convo = f.ConversationFactory()
        f.TagFactory(), f.TagFactory()
        parser = Ids()
        parser.feed(self.client.get(detail(convo)).content.decode())
        duplicates = {i for i in parser.ids if parser.ids.count(i) > 1}
        self.assertEqual(duplicates, set())
        self.assertEqual(len(parser.label_fors), len(set(parser.label_fors)))
        self.assertTrue(set(parser.label_fors) <= set(parser.ids), set(parser.label_fors) - set(parser.ids))
        self.assertIn("note-body", parser.label_fors)
        self.assertIn("reply-body", parser.label_fors)
        self.assertIn("close-reason", parser.label_fors)

    def test_error_pages_are_the_portals_own(self):
        self.assertContains(self.client.get("/conversations/999999/"), "Not found", status_code=404)
        convo = f.ConversationFactory()
        page = self.client.get(reverse("conversation-reply", args=[convo.pk]))
        self.assertContains(page, "This address only takes a button press", status_code=405)
        self.assertEqual(page["Allow"], "POST")
        self.client.force_login(f.UserFactory(username="visitor"))
        self.assertContains(self.client.get("/"), "You are not allowed to do that", status_code=403)

    def test_a_play_console_reply_shows_as_the_developers_reply(self):
        convo = f.ConversationFactory(channel=f.channel("org.mozilla.firefox"))
        services.record_sent_replies_bulk(
            messages=[Message(conversation=convo, external_id="devreply:1700000000000", body="Thanks for the report")]
        )
        page = self.client.get(detail(convo))
        self.assertContains(page, "<strong>Developer reply (Play Console)</strong>", html=True)
        self.assertNotContains(page, "deleted user")
        self.assertContains(page, "Thanks for the report", count=1)

    def test_and_next_takes_the_agent_to_the_next_conversation_of_their_queue_and_the_choice_sticks(self):
        now = timezone.now()
        current = f.ConversationFactory(assignee=self.alice, received_at=now - timedelta(hours=3))
        waiting = f.ConversationFactory(received_at=now - timedelta(hours=2))
        f.ConversationFactory(channel=f.channel("org.mozilla.firefox"), received_at=now - timedelta(hours=5))
        page = self.client.post(
            reverse("conversation-hold", args=[current.pk]),
            {"queue": self.on_hold.pk, "and_next": "on"},
            follow=True,
        )
        self.assertEqual(page.redirect_chain, [(detail(waiting), 302)])
        waiting.refresh_from_db()
        self.assertEqual(waiting.assignee, self.alice)
        # The box is ticked on the next page: the choice sticks.
        self.assertContains(page, 'name="and_next" class="checkboxinput form-check-input" id="close-and_next" checked')
        page = self.client.post(
            reverse("conversation-close", args=[waiting.pk]), {"reason": CloseReason.RESOLVED, "and_next": "on"}
        )
        self.assertRedirects(page, "/", fetch_redirect_response=False)  # nothing else waits in that queue
        # Unticked, the agent stays on the conversation, and it stays unticked.
        services.reopen_conversation(conversation_id=waiting.pk, actor=self.alice)
        page = self.client.post(reverse("conversation-close", args=[waiting.pk]), {"reason": CloseReason.RESOLVED})
        self.assertRedirects(page, detail(waiting), fetch_redirect_response=False)
        services.reopen_conversation(conversation_id=waiting.pk, actor=self.alice)
        self.assertNotContains(self.client.get(detail(waiting)), 'id="close-and_next" checked')

    def test_the_page_lists_the_customers_other_conversations_newest_first(self):
        now = timezone.now()
        x = f.channel("@FirefoxSupport")
        convo = f.ConversationFactory(channel=x, author_handle="@mara", received_at=now)
        older = f.ConversationFactory(channel=x, author_handle="@mara", received_at=now - timedelta(days=9))
        newer = f.ConversationFactory(channel=x, author_handle="@mara", received_at=now - timedelta(days=1))
        f.ConversationFactory(channel=x, author_handle="@someone")
        f.ConversationFactory(channel=f.channel("org.mozilla.firefox"), author_handle="@mara")
        others = self.client.get(detail(convo)).context["others"]
        self.assertEqual([c.pk for c in others], [newer.pk, older.pk])

    def test_a_double_clicked_hold_and_next_lands_on_the_same_next_conversation_twice(self):
        now = timezone.now()
        current = f.ConversationFactory(assignee=self.alice, received_at=now - timedelta(hours=3))
        waiting = f.ConversationFactory(received_at=now - timedelta(hours=2))
        f.ConversationFactory(received_at=now - timedelta(hours=1))
        version = self.client.get(detail(current)).context["version"]
        data = {"queue": self.on_hold.pk, "and_next": "on", "version": version}
        first = self.client.post(reverse("conversation-hold", args=[current.pk]), data)
        second = self.client.post(reverse("conversation-hold", args=[current.pk]), data)
        self.assertRedirects(first, detail(waiting), fetch_redirect_response=False)
        self.assertRedirects(second, detail(waiting), fetch_redirect_response=False)
        self.assertEqual(Conversation.objects.filter(assignee=self.alice).count(), 2)  # one next, not two
