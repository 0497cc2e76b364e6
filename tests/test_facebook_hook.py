import hashlib
import hmac
import json
from datetime import UTC, datetime

from django.test import Client, override_settings
from django.urls import reverse

from queues import services
from queues.models import Conversation, Message, WebhookDelivery
from tests import factories as f
from tests.fetching import RUN_LOCK_QUERIES, FetchTestCase
from tests.platform_servers import FACEBOOK_SECRETS

APP_SECRET = "local-webhook-app-secret"
VERIFY_TOKEN = "local-verify-token"
PAGE_ID = FACEBOOK_SECRETS["page_id"]
POST_ID = f"{PAGE_ID}_5550001"
CUSTOMER = {"id": "7100000000000001", "name": "Invented Customer"}
PAGE = {"id": PAGE_ID, "name": "Firefox"}
CREATED = 1_795_000_000


def comment_change(number: int, *, parent: str = "", author: dict = CUSTOMER, message: str = "", verb: str = "add"):
    """A feed change as the Page webhook sends it for a comment (parent_id is the post for a top-level one)."""
    return {
        "field": "feed",
        "value": {
            "from": author,
            "post": {
                "status_type": "added_photos",
                "is_published": True,
                "updated_time": "2026-11-18T10:00:00+0000",
                "permalink_url": "https://www.facebook.com/Firefox/posts/5550001",
                "promotion_status": "inactive",
                "id": POST_ID,
            },
            "message": message or f"Invented comment {number}",
            "post_id": POST_ID,
            "comment_id": f"5550001_{number}",
            "created_time": CREATED + number * 60,
            "item": "comment",
            "parent_id": parent or POST_ID,
            "verb": verb,
        },
    }


def delivery(*changes, page_id: str = PAGE_ID) -> bytes:
    body = {"object": "page", "entry": [{"id": page_id, "time": CREATED * 1000, "changes": list(changes)}]}
    return json.dumps(body).encode()


def signed(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@override_settings(FACEBOOK_APP_SECRET=APP_SECRET, FACEBOOK_VERIFY_TOKEN=VERIFY_TOKEN)
class HookTestCase(FetchTestCase):
    command = "process_facebook_hooks"
    url = "/hooks/facebook/"

    def setUp(self):
        super().setUp()
        # Facebook sends no CSRF token and no session: the endpoint must not need them.
        self.client = Client(enforce_csrf_checks=True)

    def post(self, body: bytes, signature: str | None = "good", address: str = "203.0.113.9"):
        headers = {}
        if signature is not None:
            headers["HTTP_X_HUB_SIGNATURE_256"] = signed(body) if signature == "good" else signature
        return self.client.post(self.url, body, content_type="application/json", REMOTE_ADDR=address, **headers)


class HandshakeTests(HookTestCase):
    def test_the_verification_handshake_echoes_the_challenge_as_plain_text(self):
        response = self.client.get(
            self.url, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
        )
        self.assertEqual((response.status_code, response.content), (200, b"1158201444"))
        self.assertEqual(response["Content-Type"], "text/plain")

    def test_a_wrong_or_missing_verify_token_is_refused(self):
        for params in (
            {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
            {"hub.mode": "subscribe", "hub.challenge": "1"},
            {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        ):
            with self.subTest(params=params):
                self.assertEqual(self.client.get(self.url, params).status_code, 403)

    @override_settings(FACEBOOK_VERIFY_TOKEN="")
    def test_without_a_configured_verify_token_every_handshake_is_refused(self):
        response = self.client.get(self.url, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})
        self.assertEqual(response.status_code, 403)


class SignatureTests(HookTestCase):
    def test_a_signed_delivery_is_stored_and_answered_at_once(self):
        body = delivery(comment_change(1))
        with self.assertNumQueries(1):
            response = self.post(body)
        self.assertEqual((response.status_code, response.content), (200, b"ok"))
        stored = WebhookDelivery.objects.get()
        self.assertEqual((stored.body, stored.sender, stored.processed_at), (body.decode(), "203.0.113.9", None))
        self.assertFalse(Conversation.objects.exists())

    def test_a_bad_or_missing_signature_is_refused_logged_with_the_sender_and_writes_nothing(self):
        body = delivery(comment_change(1))
        for signature in (None, "", "sha256=" + "0" * 64, signed(body, "another-secret"), signed(body)[7:]):
            with self.subTest(signature=signature), self.assertLogs("queues.platforms.facebook", "WARNING") as logs:
                response = self.post(body, signature=signature, address="198.51.100.4")
                self.assertEqual(response.status_code, 403)
                self.assertIn("198.51.100.4", logs.output[0])
        self.assertFalse(WebhookDelivery.objects.exists())

    def test_a_signature_of_another_body_is_refused(self):
        body = delivery(comment_change(1))
        response = self.post(delivery(comment_change(2)), signature=signed(body))
        self.assertEqual(response.status_code, 403)
        self.assertFalse(WebhookDelivery.objects.exists())

    @override_settings(FACEBOOK_APP_SECRET="")
    def test_without_an_app_secret_every_post_is_refused(self):
        body = delivery(comment_change(1))
        self.assertEqual(self.post(body, signature=signed(body, "")).status_code, 403)

    def test_a_replayed_body_is_stored_once_and_duplicates_nothing(self):
        body = delivery(comment_change(1))
        self.assertEqual(self.post(body).status_code, 200)
        self.assertEqual(self.post(body).status_code, 200)
        self.assertEqual(WebhookDelivery.objects.count(), 1)
        self.run_command()
        self.assertEqual(self.post(body).status_code, 200)
        self.assertEqual(self.run_command(), "no webhook deliveries to take in\n")
        self.assertEqual(Conversation.objects.count(), 1)


class ProcessingTests(HookTestCase):
    def test_a_comment_starts_a_conversation_and_replies_in_its_thread_are_follow_ups_or_sent_replies(self):
        self.post(delivery(comment_change(1, message="The new tab page is blank since the update.")))
        out = self.run_command()
        self.assertEqual(out, "Firefox: 1 new conversation, 0 follow-ups, 0 replies already sent\n")
        convo = Conversation.objects.get()
        self.assertEqual((convo.external_id, convo.author_name), ("5550001_1", "Invented Customer"))
        self.assertEqual(convo.body, "The new tab page is blank since the update.")
        self.assertEqual(convo.created_at, datetime.fromtimestamp(CREATED + 60, UTC))
        self.assertEqual(convo.queue, convo.channel.working_queue)
        queued = services.reply(conversation_id=convo.pk, actor=f.agent(), body="Which version do you have?")

        self.post(
            delivery(
                comment_change(2, parent="5550001_1", author=PAGE, message="Which version do you have?"),
                comment_change(3, parent="5550001_1", message="133.0 on Windows"),
                comment_change(4, parent="5550001_3", message="And on my laptop too"),
            )
        )
        out = self.run_command()
        self.assertEqual(out, "Firefox: 0 new conversations, 2 follow-ups, 1 reply already sent\n")
        messages = list(
            convo.messages.values_list("direction", "delivery", "external_id", "body").order_by("external_id")
        )
        self.assertEqual(
            messages,
            [
                ("outbound", "sent", "5550001_2", "Which version do you have?"),
                ("inbound", "", "5550001_3", "133.0 on Windows"),
                ("inbound", "", "5550001_4", "And on my laptop too"),
            ],
        )
        queued.refresh_from_db()
        self.assertEqual((queued.delivery, queued.external_id), ("sent", "5550001_2"))
        self.assertEqual(WebhookDelivery.objects.filter(processed_at__isnull=True).count(), 0)

    def test_reactions_edits_and_the_pages_own_comments_on_its_post_are_not_conversations(self):
        like = {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": POST_ID}}
        self.post(delivery(like, comment_change(1, verb="edited"), comment_change(2, author=PAGE)))
        self.assertEqual(self.run_command(), "Firefox: nothing new\n")
        self.assertFalse(Conversation.objects.exists())

    def test_a_page_no_channel_has_is_answered_200_and_logged(self):
        self.assertEqual(self.post(delivery(comment_change(1), page_id="999999")).status_code, 200)
        with self.assertLogs("queues.platforms.facebook", "WARNING") as logs:
            self.assertEqual(self.run_command(), "no webhook deliveries to take in\n")
        self.assertIn("no active channel has page 999999", logs.output[0])
        self.assertFalse(Conversation.objects.exists())

    def test_a_bad_delivery_writes_nothing_names_the_channel_and_the_comment_and_the_others_go_in(self):
        bad = comment_change(2)
        bad["value"]["from"] = None
        numeric = comment_change(3)
        numeric["value"]["comment_id"] = 5550001
        self.post(delivery(comment_change(1), bad))
        self.post(delivery(numeric))
        self.post(delivery(comment_change(4)))
        before = self.snapshot()[:3]
        message = self.run_failing()
        self.assertIn("Firefox: webhook delivery #", message)
        self.assertIn(
            "comment 5550001_2 (entry[0].changes[1].value).from: is missing: a comment needs its author", message
        )
        self.assertIn(
            "entry[0].changes[0].value.comment_id: must be a Graph id, a string of digits, not 5550001", message
        )
        self.assertIn("nothing from this page was written", message)
        self.assertEqual(list(Conversation.objects.values_list("external_id", flat=True)), ["5550001_4"])
        self.assertEqual(before[1:], ([], []))
        self.assertEqual(WebhookDelivery.objects.exclude(problem="").count(), 2)

    def test_admins_see_the_deliveries_that_could_not_be_taken_in(self):
        self.post(b'{"object": "instagram", "entry": []}')
        self.post(delivery(comment_change(1)))
        self.run_failing()
        admin = Client()
        admin.force_login(f.UserFactory(username="root", is_staff=True, is_superuser=True))
        page = admin.get(reverse("admin:queues_webhookdelivery_changelist"), {"state": "problem"})
        self.assertContains(page, "is not a Page notification")
        self.assertContains(page, "203.0.113.9")
        self.assertEqual(len(page.context["cl"].result_list), 1)

    def test_a_nul_character_in_a_comment_is_refused(self):
        self.post(delivery(comment_change(1, message="bad \x00 text")))
        message = self.run_failing()
        self.assertIn("comment 5550001_1 (entry[0].changes[0].value).message: contains a NUL character", message)
        self.assertFalse(Conversation.objects.exists())

    def test_a_body_that_is_not_a_page_notification_is_refused_when_worked(self):
        self.post(b'{"object": "instagram", "entry": []}')
        self.post(b"[1, 2")
        message = self.run_failing()
        self.assertIn('is not a Page notification ({"object": "page", "entry": [...]})', message)
        self.assertIn("is not JSON", message)

    def test_nothing_stored_costs_one_query(self):
        with self.assertNumQueries(2 + RUN_LOCK_QUERIES):  # the Facebook channels, the deliveries not yet worked
            self.assertEqual(self.run_command(), "no webhook deliveries to take in\n")

    def test_a_dry_run_writes_nothing_and_leaves_the_delivery_to_be_worked(self):
        self.post(delivery(comment_change(1)))
        out = self.run_command("--dry-run")
        self.assertEqual(
            out, "Firefox: 1 new conversation, 0 follow-ups, 0 replies already sent (dry run: nothing was written)\n"
        )
        self.assertFalse(Conversation.objects.exists())
        self.assertFalse(Message.objects.exists())
        self.assertEqual(WebhookDelivery.objects.filter(processed_at__isnull=True).count(), 1)
