from io import StringIO

from django.core.management import call_command
from django.test import override_settings

from queues.models import Conversation, Message
from tests import platform_answers as answers
from tests.fetching import RUN_LOCK_QUERIES, FetchTestCase
from tests.platform_servers import FACEBOOK_SECRETS
from tests.test_facebook_hook import APP_SECRET, HookTestCase, comment_change, delivery

PAGE_ID = FACEBOOK_SECRETS["page_id"]
POST_ID = f"{PAGE_ID}_5550001"
CUSTOMER = {"name": "Invented Customer", "id": "7100000000000001"}
PAGE = {"name": "Firefox", "id": PAGE_ID}


def comment(number: int, *, parent: str = "", author: dict = CUSTOMER, message: str = "") -> dict:
    """A comment as GET /{page-id}/feed?fields=comments.filter(stream){…} lists it."""
    item = {
        "id": f"5550001_{number}",
        "message": message or f"Invented comment {number}",
        "from": author,
        "created_time": f"2026-11-18T08:{number % 60:02d}:00+0000",
        "permalink_url": f"https://www.facebook.com/Firefox/posts/5550001?comment_id={number}",
    }
    if parent:
        item["parent"] = {"id": parent}
    return item


class FacebookFetchTestCase(FetchTestCase):
    command = "fetch_facebook"

    def setUp(self):
        super().setUp()
        self.server.graph_posts.clear()

    def publish(self, *comments, post_id: str = POST_ID):
        post = {"id": post_id, "created_time": "2026-11-18T07:00:00+0000", "comments": list(comments)}
        self.server.graph_posts[PAGE_ID] = [post]


class FetchTests(FacebookFetchTestCase):
    def test_comments_the_webhook_missed_arrive_and_the_next_run_costs_one_request(self):
        self.publish(
            comment(1, message="Bookmarks are gone after the update"),
            comment(2, parent="5550001_1", author=PAGE, message="Sorry! Which version?"),
            comment(3, parent="5550001_1", message="133.0"),
            comment(4, author=PAGE, message="Update: 133.0.1 is out."),
        )
        out = self.run_command()
        self.assertEqual(out, "Firefox: 1 new conversation, 1 follow-up, 1 reply already sent\n")
        convo = Conversation.objects.get()
        self.assertEqual((convo.external_id, convo.body), ("5550001_1", "Bookmarks are gone after the update"))
        self.assertEqual(convo.permalink, "https://www.facebook.com/Firefox/posts/5550001?comment_id=1")
        self.assertEqual(
            list(convo.messages.values_list("external_id", "direction").order_by("external_id")),
            [("5550001_2", "outbound"), ("5550001_3", "inbound")],
        )
        request = self.server.get_requests(f"/v21.0/{PAGE_ID}/feed")[0]
        self.assertIn("comments.filter(stream)", request.query["fields"])
        self.assertEqual(request.query["access_token"], FACEBOOK_SECRETS["page_access_token"])

        self.server.gets.clear()
        # The channels; the page's channel-row lock and two lookups; under TestCase its transaction is a savepoint.
        with self.assertNumQueries(6 + RUN_LOCK_QUERIES):
            self.assertEqual(self.run_command(), "Firefox: nothing new\n")
        self.assertEqual(len(self.server.get_requests()), 1)

    def test_comment_pages_are_followed(self):
        self.publish(*[comment(n) for n in range(1, 31)])
        out = self.run_command()
        self.assertEqual(out, "Firefox: 30 new conversations, 0 follow-ups, 0 replies already sent\n")
        pages = self.server.get_requests(f"/v21.0/{POST_ID}/comments")
        self.assertEqual([r.query["after"] for r in pages], ["25"])

    def test_a_refused_token_fails_naming_the_channel(self):
        self.server.answer(
            "facebook", answers.facebook_error(190, "Error validating access token: Session has expired")
        )
        message = self.run_failing()
        self.assertIn("Firefox: the platform refused the channel's credentials (HTTP 400: Error validating", message)

    def test_a_comment_without_its_author_writes_nothing_and_names_the_channel_and_the_comment(self):
        bad = comment(2)
        del bad["from"]
        self.publish(comment(1), bad)
        before = self.snapshot()
        message = self.run_failing()
        self.assertIn("Firefox: feed: comment 5550001_2 (data[0].comments.data[1]).from: is missing", message)
        self.assertEqual(self.snapshot(), before)

    def test_an_unexpected_shape_is_refused(self):
        self.server.answer("facebook", answers.Answer(200, {"data": {"id": POST_ID}}))
        message = self.run_failing()
        self.assertIn("Firefox: feed: data: must be a list of posts", message)


@override_settings(FACEBOOK_APP_SECRET=APP_SECRET)
class WebhookThenFetchTests(HookTestCase):
    def test_what_the_webhook_brought_is_not_taken_in_twice(self):
        self.post(delivery(comment_change(1), comment_change(2, parent="5550001_1")))
        self.run_command()
        post = {"id": POST_ID, "created_time": "2026-11-18T07:00:00+0000"}
        post["comments"] = [comment(1), comment(2, parent="5550001_1"), comment(3)]
        self.server.graph_posts[PAGE_ID] = [post]
        stdout = StringIO()
        call_command("fetch_facebook", stdout=stdout)
        self.assertEqual(stdout.getvalue(), "Firefox: 1 new conversation, 0 follow-ups, 0 replies already sent\n")
        self.assertEqual(Conversation.objects.count(), 2)
        self.assertEqual(Message.objects.count(), 1)
