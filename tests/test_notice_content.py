from datetime import timedelta

from django.test import TestCase, override_settings
from django.utils import timezone

from queues.models import EscalationReason
from queues.notices.content import escalation_notice, follow_up
from tests import factories as f


@override_settings(PORTAL_URL="https://portal.example.org/")
class NoticeContentTests(TestCase):
    def setUp(self):
        self.now = timezone.now()
        self.convo = f.ConversationFactory(
            author_name="Dana <b>Ruiz</b>",
            author_handle="@dana_r",
            title="Sync & crash",
            body="My bookmarks vanished <script>alert(1)</script>",
            created_at=self.now - timedelta(days=3),
            escalation_reason=EscalationReason.OTHER,
            escalation_reason_other="legal asked about it",
        )
        self.link = f"https://portal.example.org/conversations/{self.convo.pk}/"

    def notice(self, private):
        return escalation_notice(
            self.convo, escalated_by="alice", note="Asked for logs; <none> came", private=private, now=self.now
        )

    def test_a_public_notice_carries_the_link_product_channel_and_reason_only(self):
        notice = self.notice(private=False)
        for text in (notice.plain, notice.html, notice.slack):
            self.assertIn(str(self.convo.channel), text)
            self.assertIn("Other (describe it; admins are told)", text)
            self.assertIn("3\xa0days", text)
            self.assertIn("alice", text)
            for secret in ("Dana", "dana_r", "bookmarks", "legal asked", "Asked for logs"):
                self.assertNotIn(secret, text)
        self.assertIn(self.link, notice.plain)
        self.assertIn(f'<a href="{self.link}">', notice.html)
        self.assertIn(f"<{self.link}|", notice.slack)

    def test_a_private_notice_adds_the_customer_the_text_and_the_note_escaped(self):
        notice = self.notice(private=True)
        self.assertIn("Dana <b>Ruiz</b> @dana_r", notice.plain)
        self.assertIn("legal asked about it", notice.plain)
        self.assertIn("Asked for logs; <none> came", notice.plain)
        self.assertIn("Dana &lt;b&gt;Ruiz&lt;/b&gt;", notice.html)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", notice.html)
        self.assertNotIn("<script>", notice.html)
        self.assertIn("Sync &amp; crash", notice.slack)
        self.assertNotIn("<script>", notice.slack)

    def test_a_long_customer_text_is_cut_in_a_private_notice(self):
        self.convo.body = "word " * 400
        notice = self.notice(private=True)
        quoted = next(line for line in notice.plain.splitlines() if line.startswith("Customer's text"))
        self.assertLessEqual(len(quoted), len("Customer's text: ") + 500)
        self.assertTrue(quoted.endswith("…"))

    def test_a_follow_up_names_the_conversation_and_links_it(self):
        notice = follow_up(self.convo, what="closed (Resolved) by bob")
        self.assertEqual(notice.plain, f"Conversation #{self.convo.pk}: closed (Resolved) by bob\n{self.link}")
