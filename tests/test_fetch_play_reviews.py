from datetime import UTC, datetime

from queues import services
from queues.models import Conversation, FetchCursor, Message
from tests import factories as f
from tests import platform_answers as answers
from tests.fetching import RUN_LOCK_QUERIES, FetchTestCase

FIREFOX = "org.mozilla.firefox"
BASE = 1_795_000_000  # seconds: 2026-11-18


def review(number: int, *, minutes: int = 0, stars: int = 4, text: str = "", reply: str = "", reply_minutes=None):
    """A review as reviews.list returns it: the reviewer's comment, and the developer's when there is one."""
    comments = [
        {
            "userComment": {
                "text": text or f"Invented title {number}\tInvented text of review {number}",
                "lastModified": {"seconds": str(BASE + number * 60 + minutes * 60), "nanos": 250000000},
                "starRating": stars,
                "reviewerLanguage": "de",
                "device": "a54x",
                "androidOsVersion": 34,
                "appVersionCode": 2016051000,
                "appVersionName": "133.0",
                "thumbsUpCount": 0,
                "thumbsDownCount": 0,
                "deviceMetadata": {"productName": "a54x (Galaxy A54 5G)", "manufacturer": "Samsung"},
            }
        }
    ]
    if reply:
        moment = BASE + number * 60 + (reply_minutes if reply_minutes is not None else minutes + 30) * 60
        comments.append({"developerComment": {"text": reply, "lastModified": {"seconds": str(moment), "nanos": 0}}})
    return {
        "reviewId": f"gp:AOqpTOInvented{number:04d}",
        "authorName": f"Invented Reviewer {number}",
        "comments": comments,
    }


class PlayFetchTestCase(FetchTestCase):
    command = "fetch_play_reviews"

    def setUp(self):
        super().setUp()
        self.server.play_reviews.clear()

    def publish(self, *reviews, package: str = FIREFOX):
        """What the API lists: most recently modified first."""
        self.server.play_reviews[package] = sorted(
            reviews, key=lambda r: int(r["comments"][0]["userComment"]["lastModified"]["seconds"]), reverse=True
        )

    def review_requests(self):
        return self.server.get_requests(f"/androidpublisher/v3/applications/{FIREFOX}/reviews")


class FetchTests(PlayFetchTestCase):
    def test_new_reviews_become_conversations_with_their_developer_replies_and_the_next_run_costs_one_request(self):
        self.publish(review(1, reply="Thanks, a fix is coming in 134."), review(2, stars=1))
        out = self.run_command("--channel", FIREFOX)
        self.assertEqual(out, f"{FIREFOX}: 2 new conversations, 0 follow-ups, 1 reply already sent\n")
        convo = Conversation.objects.get(external_id="gp:AOqpTOInvented0001")
        self.assertEqual((convo.title, convo.body), ("Invented title 1", "Invented text of review 1"))
        self.assertEqual((convo.author_name, convo.rating, convo.language), ("Invented Reviewer 1", 4, "de"))
        self.assertEqual(
            convo.metadata, {"device": "a54x", "app_version_code": "2016051000", "app_version_name": "133.0"}
        )
        self.assertEqual(convo.created_at, datetime.fromtimestamp(BASE + 60.25, UTC))
        reply = convo.messages.get()
        self.assertEqual(
            (reply.direction, reply.delivery, reply.body),
            (Message.Direction.OUTBOUND, Message.Delivery.SENT, "Thanks, a fix is coming in 134."),
        )
        self.assertEqual(FetchCursor.objects.get(channel__account=FIREFOX).since_id, str((BASE + 120) * 1000 + 250))

        self.server.gets.clear()
        with self.assertNumQueries(1 + RUN_LOCK_QUERIES):
            out = self.run_command("--channel", FIREFOX)
        self.assertEqual(out, f"{FIREFOX}: nothing new\n")
        self.assertEqual(len(self.server.get_requests()), 1)

    def test_a_newer_last_modified_is_a_follow_up_with_the_new_stars(self):
        self.publish(review(1, stars=2))
        self.run_command("--channel", FIREFOX)
        self.publish(review(1, minutes=90, stars=5, text="Works again\tThe update fixed it."))
        out = self.run_command("--channel", FIREFOX)
        self.assertEqual(out, f"{FIREFOX}: 0 new conversations, 1 follow-up, 0 replies already sent\n")
        convo = Conversation.objects.get(external_id="gp:AOqpTOInvented0001")
        self.assertEqual(convo.rating, 5)
        self.assertEqual(convo.messages.get().body, "Works again\n\nThe update fixed it.")

    def test_a_developer_reply_matching_a_portal_reply_marks_that_reply_sent(self):
        self.publish(review(1))
        self.run_command("--channel", FIREFOX)
        convo = Conversation.objects.get()
        agent = f.agent()
        queued = services.reply(conversation_id=convo.pk, actor=agent, body="Please  try clearing the cache.")
        self.publish(review(1, reply="Please try clearing the cache.", reply_minutes=45))
        FetchCursor.objects.update(since_id="")  # the reply changes no lastModified of the review itself
        out = self.run_command("--channel", FIREFOX)
        self.assertEqual(out, f"{FIREFOX}: 0 new conversations, 0 follow-ups, 1 reply already sent\n")
        queued.refresh_from_db()
        self.assertEqual(queued.delivery, Message.Delivery.SENT)
        self.assertEqual(queued.external_id, f"devreply:{(BASE + 60 + 45 * 60) * 1000}")
        self.assertEqual(convo.messages.count(), 1)
        self.assertEqual(self.run_command("--channel", FIREFOX), f"{FIREFOX}: nothing new\n")

    def test_pages_are_followed_and_the_next_run_stops_at_the_first_page_it_has(self):
        self.publish(*[review(n) for n in range(1, 251)])
        out = self.run_command("--channel", FIREFOX)
        self.assertEqual(out, f"{FIREFOX}: 250 new conversations, 0 follow-ups, 0 replies already sent\n")
        tokens = [r.query.get("token") for r in self.review_requests()]
        self.assertEqual(tokens, [None, "100", "200"])
        self.publish(*[review(n) for n in range(1, 252)])
        self.server.gets.clear()
        out = self.run_command("--channel", FIREFOX)
        self.assertEqual(out, f"{FIREFOX}: 1 new conversation, 0 follow-ups, 0 replies already sent\n")
        self.assertEqual(len(self.review_requests()), 1)

    def test_an_expired_token_is_renewed_once(self):
        self.publish(review(1))
        self.run_command("--channel", FIREFOX)
        self.server.revoke_play_tokens()
        self.publish(review(1), review(2))
        out = self.run_command("--channel", FIREFOX)
        self.assertEqual(out, f"{FIREFOX}: 1 new conversation, 0 follow-ups, 0 replies already sent\n")

    def test_a_dry_run_writes_nothing(self):
        self.publish(review(1, reply="Thanks!"))
        before = self.snapshot()
        out = self.run_command("--channel", FIREFOX, "--dry-run")
        self.assertIn("1 new conversation, 0 follow-ups, 1 reply already sent (dry run: nothing was written)", out)
        self.assertEqual(self.snapshot(), before)


class RefusalTests(PlayFetchTestCase):
    def test_permission_denied_fails_naming_the_channel(self):
        self.publish(review(1))
        self.server.answer(
            "google_play",
            answers.play_error(403, "PERMISSION_DENIED", "The caller does not have permission"),
        )
        message = self.run_failing("--channel", FIREFOX)
        self.assertIn(f"{FIREFOX}: the platform refused the channel's credentials (HTTP 403", message)
        self.assertFalse(Conversation.objects.exists())

    def test_a_bad_review_names_the_channel_and_the_review_and_writes_nothing_from_its_page(self):
        bad = review(2, stars=7)
        self.publish(review(1), bad)
        before = self.snapshot()
        message = self.run_failing("--channel", FIREFOX)
        self.assertIn(f"{FIREFOX}: reviews page 1: review gp:AOqpTOInvented0002 (reviews[0]): ", message)
        self.assertIn("starRating must be a whole number from 1 to 5, not 7", message)
        self.assertIn("nothing from this page was written", message)
        self.assertEqual(self.snapshot(), before)

    def test_a_review_without_a_comment_from_the_reviewer_is_refused(self):
        broken = review(1)
        broken["comments"] = [{"developerComment": {"text": "hi", "lastModified": {"seconds": "1", "nanos": 0}}}]
        self.server.play_reviews[FIREFOX] = [broken]
        message = self.run_failing("--channel", FIREFOX)
        self.assertIn("review gp:AOqpTOInvented0001 (reviews[0]): has no userComment", message)

    def test_a_nul_character_is_refused_before_anything_is_written(self):
        self.publish(review(1), review(2, text="Title\tBroken \x00 text"))
        before = self.snapshot()
        message = self.run_failing("--channel", FIREFOX)
        self.assertIn("review gp:AOqpTOInvented0002 (reviews[0]): a comment contains a NUL character", message)
        self.assertEqual(self.snapshot(), before)

    def test_a_rate_limit_stops_the_run_and_exits_zero(self):
        self.publish(review(1))
        self.server.answer(
            "google_play",
            answers.play_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", headers={"Retry-After": "120"}),
        )
        out = self.run_command("--channel", FIREFOX)
        self.assertIn(f"{FIREFOX}: nothing new; stopped: rate limited until ", out)
        self.assertFalse(Conversation.objects.exists())
