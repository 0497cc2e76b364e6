"""Replies and notes as a browser, or someone pretending to be one, sends them: CRLF line breaks, bodies far
past any platform's limit, and the escalation statement an admin tries to switch off."""

import time

from django.test import TestCase
from django.urls import reverse

from queues import platforms, services
from queues.models import Channel, Clipping, Conversation, EscalationReason, Event, Message, Note
from tests import factories as f

X, PLAY, FACEBOOK = Channel.Platform.X, Channel.Platform.GOOGLE_PLAY, Channel.Platform.FACEBOOK


def lines(total: int, breaks: int, newline: str) -> str:
    """total characters as the platform counts them, of which `breaks` are line breaks written as newline."""
    letters, parts = total - breaks, breaks + 1
    return newline.join("a" * (letters // parts + (index < letters % parts)) for index in range(parts))


class ReplyCapTests(TestCase):
    def test_a_reply_over_ten_thousand_characters_is_refused_before_any_platform_counts_it(self):
        # "b." repeated is the input that made the X counter quadratic; capped, it is refused at once.
        body = "b." * 50_000
        for platform in (X, PLAY, FACEBOOK):
            started = time.process_time()
            problems = platforms.reply_problems(platform, body)
            self.assertEqual(problems, ["A reply can have at most 10,000 characters; this one has 100,000."], platform)
            # Generous: a guard that counted first took seconds here on X.
            self.assertLess(time.process_time() - started, 1.0)
            self.assertEqual(platforms.reply_length(platform, body), 100_000)

    def test_the_admins_length_column_says_the_text_is_over_the_cap_without_counting_it(self):
        self.assertEqual(
            platforms.limits_summary("b." * 6000), "A reply can have at most 10,000 characters; this one has 12,000."
        )

    def test_line_breaks_count_one_character_whether_sent_as_crlf_cr_or_lf(self):
        for newline in ("\r\n", "\r", "\n"):
            x_reply = lines(280, 10, newline)
            play_reply = lines(349, 10, newline)
            with self.subTest(newline=repr(newline)):
                self.assertEqual(platforms.reply_problems(X, x_reply), [])
                self.assertEqual(platforms.reply_length(X, x_reply), 280)
                self.assertEqual(platforms.reply_problems(PLAY, play_reply), [])
                self.assertEqual(platforms.reply_length(PLAY, play_reply), 349)


class ReplyFormTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice")
        cls.x_convo = f.ConversationFactory(channel=f.channel("@FirefoxSupport"))
        cls.play_convo = f.ConversationFactory(channel=f.channel("org.mozilla.firefox"))

    def setUp(self):
        self.client.force_login(self.agent)

    def post(self, convo, name, data, **options):
        return self.client.post(reverse(f"conversation-{name}", args=[convo.pk]), data, **options)

    def test_a_280_character_x_reply_with_ten_line_breaks_as_a_browser_sends_them_is_queued_with_lf(self):
        body = lines(280, 10, "\r\n")
        self.assertEqual(len(body), 290)
        response = self.post(self.x_convo, "reply", {"body": body})
        self.assertRedirects(response, reverse("conversation-detail", args=[self.x_convo.pk]))
        message = Message.objects.get(conversation=self.x_convo)
        self.assertEqual(message.body, lines(280, 10, "\n"))

    def test_a_349_character_play_reply_with_ten_line_breaks_is_queued(self):
        response = self.post(self.play_convo, "reply", {"body": lines(349, 10, "\r\n")})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Message.objects.get(conversation=self.play_convo).body, lines(349, 10, "\n"))

    def test_a_281_character_x_reply_with_line_breaks_is_still_refused(self):
        response = self.post(self.x_convo, "reply", {"body": lines(281, 10, "\r\n")}, follow=True)
        self.assertContains(response, "this one has 281")
        self.assertFalse(Message.objects.exists())

    def test_a_100_kb_reply_is_refused_with_one_clear_message_and_nothing_is_written(self):
        events = Event.objects.count()
        response = self.post(self.x_convo, "reply", {"body": "b." * 50_000}, follow=True)
        errors = response.context["forms"]["reply"].errors["body"]
        self.assertEqual(errors, ["Ensure this value has at most 10000 characters (it has 100000)."])
        self.assertFalse(Message.objects.exists())
        self.assertEqual(Event.objects.count(), events)

    def test_the_reply_field_tells_the_browser_its_cap(self):
        response = self.client.get(reverse("conversation-detail", args=[self.x_convo.pk]))
        self.assertContains(response, 'maxlength="10000"')

    def test_a_note_is_stored_with_lf_line_breaks_and_has_a_cap(self):
        self.post(self.x_convo, "note", {"body": "first\r\nsecond\rthird"})
        self.assertEqual(Note.objects.get().body, "first\nsecond\nthird")
        response = self.post(self.x_convo, "note", {"body": "n" * 20_001}, follow=True)
        self.assertContains(response, "at most 20000 characters")
        self.assertEqual(Note.objects.count(), 1)


# The clipping form's inline of translations, empty.
NO_TRANSLATIONS = {"translations-TOTAL_FORMS": "0", "translations-INITIAL_FORMS": "0"}


class EscalationStatementTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin_user = f.admin(username="ada")
        cls.agent = f.agent(username="alice")

    def change_url(self, clipping):
        return reverse("admin:queues_clipping_change", args=[clipping.pk])

    def test_the_admin_cannot_deactivate_the_statement(self):
        self.client.force_login(self.admin_user)
        statement = f.statement()
        page = self.client.get(self.change_url(statement))
        self.assertNotContains(page, 'name="is_active"')
        # A crafted POST leaving is_active out (an unchecked box) changes only the text.
        response = self.client.post(
            self.change_url(statement), {"title": statement.title, "body": "We look.", **NO_TRANSLATIONS}
        )
        self.assertEqual(response.status_code, 302)
        statement.refresh_from_db()
        self.assertEqual((statement.body, statement.is_active), ("We look.", True))

    def test_a_new_statement_cannot_be_made_inactive(self):
        self.client.force_login(self.admin_user)
        f.statement().delete()
        response = self.client.post(
            reverse("admin:queues_clipping_add"),
            {"title": "Statement", "body": "We look into it.", "is_escalation_statement": "on", **NO_TRANSLATIONS},
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.context["adminform"].form.errors["is_active"],
            ["The escalation statement is sent by every escalation; it stays active."],
        )
        self.assertFalse(Clipping.objects.exists())

    def test_the_admin_accepts_a_statement_written_with_crlf_that_fits_once_counted_as_lf(self):
        self.client.force_login(self.admin_user)
        statement = f.statement()
        body = lines(280, 20, "\r\n")
        response = self.client.post(
            self.change_url(statement), {"title": statement.title, "body": body, **NO_TRANSLATIONS}
        )
        self.assertEqual(response.status_code, 302)
        statement.refresh_from_db()
        self.assertEqual(statement.body, lines(280, 20, "\n"))

    def test_escalation_says_why_it_cannot_send_an_inactive_statement_and_changes_nothing(self):
        Clipping.objects.filter(is_escalation_statement=True).update(is_active=False)
        convo = f.ConversationFactory()
        before = Conversation.objects.filter(pk=convo.pk).values().get()
        with self.assertRaises(services.InvalidInput) as raised:
            services.escalate_conversation(
                conversation_id=convo.pk, actor=self.agent, reason=EscalationReason.SENSITIVE, note=f.STEPS
            )
        self.assertIn("is inactive, so it cannot be sent; ask an admin to activate it", raised.exception.message)
        self.assertEqual(Conversation.objects.filter(pk=convo.pk).values().get(), before)
        self.assertFalse(Message.objects.exists())
        self.assertFalse(Note.objects.exists())
