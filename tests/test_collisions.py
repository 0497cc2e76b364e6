"""Two people on one conversation, and one person clicking twice: no action on a page that no longer tells the
truth, and a repeated submission acts once."""

import re

from django.test import TestCase
from django.urls import reverse

from queues import services
from queues.models import CloseReason, EscalationReason, Event, Message, Note, Queue
from tests import factories as f


def detail(convo):
    return reverse("conversation-detail", args=[convo.pk])


def action(convo, name):
    return reverse(f"conversation-{name}", args=[convo.pk])


def version_on(page) -> str:
    """The version the page's forms carry, as a browser would send it."""
    versions = set(re.findall(r'name="version" value="(\d+)"', page.content.decode()))
    assert len(versions) == 1, versions
    return versions.pop()


class CollisionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = f.agent(username="alice", first_name="Alice")
        cls.bob = f.agent(username="bob", first_name="Bob")
        cls.on_hold = f.queue_of_kind(Queue.Kind.ON_HOLD)
        f.statement()

    def setUp(self):
        self.client.force_login(self.alice)

    def messages_of(self, response):
        return [str(m) for m in response.context["messages"]]

    def post(self, convo, name, data):
        response = self.client.post(action(convo, name), data, follow=True)
        self.assertEqual(response.redirect_chain, [(detail(convo), 302)])
        return response

    def test_holding_a_conversation_someone_escalated_since_the_page_opened_is_refused_with_who_did_it(self):
        convo = f.ConversationFactory()
        version = version_on(self.client.get(detail(convo)))  # Alice has the page open …
        services.escalate_conversation(
            conversation_id=convo.pk, actor=self.bob, reason=EscalationReason.SENSITIVE, note="brand"
        )  # … Bob escalates it …
        response = self.post(convo, "hold", {"queue": self.on_hold.pk, "version": version})  # … Alice holds it.

        convo.refresh_from_db()
        self.assertEqual(convo.stage, "escalated")
        self.assertFalse(Event.objects.filter(conversation=convo, kind=Event.Kind.PUT_ON_HOLD).exists())
        (message,) = [m for m in self.messages_of(response) if "changed since you opened it" in m]
        self.assertIn("Bob escalated it 0\xa0minutes ago", message)
        self.assertContains(response, "Escalated")  # the page as it is now
        self.assertNotEqual(version_on(response), version)

    def test_a_stale_reply_is_refused_and_what_was_typed_is_kept_to_send_again(self):
        convo = f.ConversationFactory()
        version = version_on(self.client.get(detail(convo)))
        services.reply(conversation_id=convo.pk, actor=self.bob, body="Bob's answer")
        response = self.post(convo, "reply", {"body": "Alice's answer", "version": version})

        self.assertEqual(
            list(Message.objects.filter(conversation=convo).values_list("body", flat=True)), ["Bob's answer"]
        )
        self.assertTrue(
            any("Bob replied to the customer" in m for m in self.messages_of(response)), self.messages_of(response)
        )
        self.assertContains(response, "Alice&#x27;s answer</textarea>")
        # Sent again from the page as it is now, it goes through.
        self.post(convo, "reply", {"body": "Alice's answer", "version": version_on(response)})
        self.assertEqual(Message.objects.filter(conversation=convo).count(), 2)

    def test_a_double_clicked_escalate_escalates_once_and_shows_the_first_result(self):
        convo = f.ConversationFactory()
        version = version_on(self.client.get(detail(convo)))
        data = {"reason": EscalationReason.SENSITIVE, "note": "Brand issue", "version": version}
        first = self.post(convo, "escalate", data)
        second = self.post(convo, "escalate", data)

        self.assertEqual(Event.objects.filter(conversation=convo, kind=Event.Kind.ESCALATED).count(), 1)
        self.assertEqual(Note.objects.filter(conversation=convo).count(), 1)
        self.assertEqual(Message.objects.filter(conversation=convo).count(), 1)
        for response in (first, second):
            said = self.messages_of(response)
            self.assertTrue(any(m.startswith("Escalated") for m in said), said)
            self.assertFalse(any("Cannot" in m or "Nothing was" in m for m in said), said)

    def test_a_resubmitted_note_is_added_once(self):
        convo = f.ConversationFactory()
        version = version_on(self.client.get(detail(convo)))
        for _ in range(3):
            response = self.post(convo, "note", {"body": "Asked in #fenix", "version": version})
            self.assertIn("Note added.", self.messages_of(response))
        self.assertEqual(Note.objects.filter(conversation=convo).count(), 1)

    def test_the_same_agent_in_another_tab_doing_something_else_is_still_told(self):
        convo = f.ConversationFactory()
        version = version_on(self.client.get(detail(convo)))
        self.post(convo, "close", {"reason": CloseReason.RESOLVED, "version": version})
        response = self.post(convo, "escalate", {"reason": EscalationReason.SENSITIVE, "note": "n", "version": version})
        self.assertEqual(Event.objects.filter(conversation=convo, kind=Event.Kind.ESCALATED).count(), 0)
        self.assertTrue(any("Alice closed it" in m for m in self.messages_of(response)), self.messages_of(response))

    def test_a_page_that_is_up_to_date_acts_and_a_new_version_follows(self):
        convo = f.ConversationFactory()
        page = self.client.get(detail(convo))
        response = self.post(convo, "note", {"body": "first", "version": version_on(page)})
        response = self.post(convo, "note", {"body": "second", "version": version_on(response)})
        self.assertEqual(Note.objects.filter(conversation=convo).count(), 2)

    def test_a_validation_error_shows_at_the_conversations_own_address_and_a_reload_does_not_post(self):
        convo = f.ConversationFactory()
        response = self.post(
            convo,
            "escalate",
            {"reason": "", "note": "typed words", "version": version_on(self.client.get(detail(convo)))},
        )
        self.assertContains(response, "Choose why this conversation is escalated.")
        self.assertContains(response, "typed words</textarea>")
        self.assertContains(response, 'id="escalate" open')
        reloaded = self.client.get(detail(convo))  # the address bar's URL, loaded again
        self.assertEqual(reloaded.status_code, 200)
        self.assertNotContains(reloaded, "typed words")


class PresenceTests(TestCase):
    """What the open page asks every few seconds (static/queues/workspace.js)."""

    @classmethod
    def setUpTestData(cls):
        cls.alice = f.agent(username="alice", first_name="Alice")
        cls.bob = f.agent(username="bob", first_name="Bob")
        f.statement()

    def setUp(self):
        from django.core.cache import cache

        cache.clear()

    def presence(self, user, convo, version):
        self.client.force_login(user)
        return self.client.get(reverse("conversation-presence", args=[convo.pk]), {"version": version}).json()

    def test_the_page_hears_that_the_conversation_changed_and_who_is_replying(self):
        convo = f.ConversationFactory()
        self.client.force_login(self.alice)
        version = version_on(self.client.get(detail(convo)))
        self.assertEqual(
            self.presence(self.alice, convo, version),
            {"version": int(version), "changed": False, "change": "", "typing": []},
        )
        self.client.force_login(self.bob)
        self.client.post(reverse("conversation-presence", args=[convo.pk]), {"what": "reply"})
        self.assertEqual(self.presence(self.alice, convo, version)["typing"], ["Bob is replying"])
        self.assertEqual(self.presence(self.bob, convo, version)["typing"], [])  # not told about themselves
        services.put_on_hold(conversation_id=convo.pk, actor=self.bob, queue_id=f.queue_of_kind(Queue.Kind.ON_HOLD).pk)
        answer = self.presence(self.alice, convo, version)
        self.assertTrue(answer["changed"])
        self.assertEqual(answer["change"], "Bob put it on hold 0\xa0minutes ago.")

    def test_presence_is_for_agents_and_takes_only_a_number_as_version(self):
        convo = f.ConversationFactory()
        self.client.force_login(self.alice)
        url = reverse("conversation-presence", args=[convo.pk])
        self.assertEqual(self.client.get(url, {"version": "x"}).status_code, 400)
        self.assertEqual(
            self.client.get(reverse("conversation-presence", args=[999999]), {"version": 1}).status_code, 404
        )
        self.client.force_login(f.UserFactory(username="visitor"))
        self.assertEqual(self.client.get(url, {"version": 1}).status_code, 403)
