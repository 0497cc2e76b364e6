import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings

from queues.models import Conversation, FetchCursor
from queues.platforms.fetching import lock_key
from tests import factories as f
from tests import platform_answers as answers
from tests.feed_servers import PASS
from tests.fetching import RUN_LOCK_QUERIES, FetchTestCase
from tests.platform_servers import X_SECRETS, refused_url

SUPPORT = {"id": "2000000000000000001", "username": "FirefoxSupport", "name": "Firefox Support"}
FIREFOX = {"id": "2000000000000000002", "username": "firefox", "name": "Firefox"}
START = datetime(2026, 11, 20, 8, tzinfo=UTC)


def customer(number: int) -> dict:
    return {"id": f"15{number:017d}", "username": f"invented_{number}", "name": f"Invented Person {number}"}


def mention(number: int, *, author: dict, thread: int | None = None, brand: dict = SUPPORT) -> dict:
    """A post mentioning the brand, as the mentions timeline returns it with our tweet.fields."""
    post = {
        "id": f"19{number:017d}",
        "text": f"@{brand['username']} invented question {number} &amp; more",
        "author_id": author["id"],
        "conversation_id": f"19{(thread or number):017d}",
        "created_at": (START + timedelta(minutes=number)).isoformat().replace("+00:00", ".000Z"),
        "lang": "en",
        "edit_history_tweet_ids": [f"19{number:017d}"],
        "entities": {"mentions": [{"start": 0, "end": 15, "username": brand["username"], "id": brand["id"]}]},
    }
    if thread:
        post["in_reply_to_user_id"] = brand["id"]
        post["referenced_tweets"] = [{"type": "replied_to", "id": f"19{thread:017d}"}]
    return post


class XFetchTestCase(FetchTestCase):
    command = "fetch_x"

    def setUp(self):
        super().setUp()
        self.server.x_posts.clear()
        self.server.add_x_user(SUPPORT)
        self.server.add_x_user(FIREFOX)

    def mentions_requests(self):
        return [r for r in self.server.get_requests("/2/users/") if r.path.endswith("/mentions")]


class FetchTests(XFetchTestCase):
    def test_new_mentions_become_conversations_and_follow_ups_and_the_next_run_costs_one_request(self):
        mara, lee = customer(1), customer(2)
        self.server.add_x_posts(
            [mention(1, author=mara), mention(2, author=lee), mention(3, author=mara, thread=1)], [mara, lee]
        )
        out = self.run_command("--channel", "@FirefoxSupport")
        self.assertEqual(out, "@FirefoxSupport: 2 new conversations, 1 follow-up, 0 replies already sent\n")
        convo = Conversation.objects.get(external_id=f"19{1:017d}")
        self.assertEqual(
            (convo.author_handle, convo.body), ("@invented_1", "@FirefoxSupport invented question 1 & more")
        )
        self.assertEqual(convo.queue, convo.channel.working_queue)
        self.assertEqual(list(convo.messages.values_list("external_id", flat=True)), [f"19{3:017d}"])
        cursor = FetchCursor.objects.get(channel__account="@FirefoxSupport")
        self.assertEqual((cursor.account_id, cursor.since_id, cursor.page_token), (SUPPORT["id"], f"19{3:017d}", ""))
        self.assertEqual(convo.events.get(kind="created").details, {"fetched_from": "x:mentions"})

        self.server.gets.clear()
        with self.assertNumQueries(1 + RUN_LOCK_QUERIES):  # the channels with their cursors; nothing is written
            out = self.run_command("--channel", "@FirefoxSupport")
        self.assertEqual(out, "@FirefoxSupport: nothing new\n")
        requests = self.server.get_requests()
        self.assertEqual(len(requests), 1)
        self.assertEqual(requests[0].path, f"/2/users/{SUPPORT['id']}/mentions")
        self.assertEqual(requests[0].headers["Authorization"], "Bearer AAAAAAAAAAAAAAAAAAAAAlocal-app-only-bearer")

    def test_pages_are_followed_by_next_token_and_written_oldest_first(self):
        people = [customer(n) for n in range(1, 231)]
        # 230 posts, three pages of 100 newest first; the follow-up to the oldest thread is on page 1.
        posts = [mention(n, author=people[n - 1]) for n in range(1, 230)] + [mention(230, author=people[0], thread=1)]
        self.server.add_x_posts(posts, people)
        out = self.run_command("--channel", "@FirefoxSupport")
        self.assertEqual(out, "@FirefoxSupport: 229 new conversations, 1 follow-up, 0 replies already sent\n")
        queries = [r.query for r in self.mentions_requests()]
        self.assertEqual([q.get("pagination_token") for q in queries], [None, "100", "200"])
        self.assertEqual({q["max_results"] for q in queries}, {"100"})
        self.assertIn("conversation_id", queries[0]["tweet.fields"])
        first = Conversation.objects.get(external_id=f"19{1:017d}")
        self.assertEqual(first.body, "@FirefoxSupport invented question 1 & more")
        self.assertEqual(first.messages.get().external_id, f"19{230:017d}")
        self.assertEqual(FetchCursor.objects.get(channel__account="@FirefoxSupport").since_id, f"19{230:017d}")

    def test_a_rate_limit_stops_the_run_saying_when_it_resets_and_the_next_run_goes_on(self):
        people = [customer(n) for n in range(1, 151)]
        self.server.add_x_posts([mention(n, author=people[n - 1]) for n in range(1, 151)], people)
        reset = int(time.time()) + 600
        self.server.answer("x", PASS, PASS, answers.x_rate_limited(reset))
        out = self.run_command("--channel", "@FirefoxSupport")
        when = datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%d %H:%M:%S")
        self.assertEqual(
            out,
            "@FirefoxSupport: 100 new conversations, 0 follow-ups, 0 replies already sent; "
            f"stopped: rate limited until {when} UTC; the next run goes on\n",
        )
        cursor = FetchCursor.objects.get(channel__account="@FirefoxSupport")
        self.assertEqual((cursor.since_id, cursor.page_token, cursor.pending_since_id), ("", "100", f"19{150:017d}"))

        out = self.run_command("--channel", "@FirefoxSupport")
        self.assertEqual(self.mentions_requests()[-1].query.get("pagination_token"), "100")
        self.assertEqual(out, "@FirefoxSupport: 50 new conversations, 0 follow-ups, 0 replies already sent\n")
        self.assertEqual(Conversation.objects.filter(channel__account="@FirefoxSupport").count(), 150)
        cursor.refresh_from_db()
        self.assertEqual((cursor.since_id, cursor.page_token, cursor.pending_since_id), (f"19{150:017d}", "", ""))

    def test_a_kept_page_token_x_no_longer_takes_starts_the_reading_again(self):
        mara = customer(1)
        self.server.add_x_posts([mention(1, author=mara)], [mara])
        FetchCursor.objects.create(
            channel=f.channel("@FirefoxSupport"),
            account_id=SUPPORT["id"],
            page_token="b26v89c19zqg8o3f",
            pending_since_id="5",
        )
        out = self.run_command("--channel", "@FirefoxSupport")
        self.assertEqual(out, "@FirefoxSupport: 1 new conversation, 0 follow-ups, 0 replies already sent\n")
        self.assertEqual(
            [r.query.get("pagination_token") for r in self.mentions_requests()], ["b26v89c19zqg8o3f", None]
        )
        cursor = FetchCursor.objects.get(channel__account="@FirefoxSupport")
        self.assertEqual((cursor.since_id, cursor.page_token, cursor.pending_since_id), (f"19{1:017d}", "", ""))

    def test_a_page_read_again_changes_nothing(self):
        mara = customer(1)
        self.server.add_x_posts([mention(1, author=mara), mention(2, author=mara, thread=1)], [mara])
        self.run_command("--channel", "@FirefoxSupport")
        FetchCursor.objects.update(since_id="")  # as after a crash before the cursor moved
        before = self.snapshot()[:3]
        out = self.run_command("--channel", "@FirefoxSupport")
        self.assertEqual(out, "@FirefoxSupport: nothing new\n")
        self.assertEqual(self.snapshot()[:3], before)

    def test_a_dry_run_reports_and_writes_nothing(self):
        mara = customer(1)
        self.server.add_x_posts([mention(1, author=mara)], [mara])
        before = self.snapshot()
        out = self.run_command("--channel", "@FirefoxSupport", "--dry-run")
        self.assertEqual(
            out,
            "@FirefoxSupport: 1 new conversation, 0 follow-ups, 0 replies already sent "
            "(dry run: nothing was written)\n",
        )
        self.assertEqual(self.snapshot(), before)

    def test_every_active_x_channel_is_fetched_with_its_own_line(self):
        mara = customer(1)
        self.server.add_x_posts([mention(1, author=mara), mention(2, author=mara, brand=FIREFOX)], [mara])
        out = self.run_command()
        self.assertEqual(
            out,
            "@FirefoxSupport: 1 new conversation, 0 follow-ups, 0 replies already sent\n"
            "@Firefox: 1 new conversation, 0 follow-ups, 0 replies already sent\n",
        )


class RefusalTests(XFetchTestCase):
    def test_refused_credentials_fail_naming_the_channel_and_write_nothing(self):
        self.write_credentials({"x:@FirefoxSupport": {**X_SECRETS, "bearer_token": "revoked"}})
        self.server.add_x_posts([mention(1, author=customer(1))], [customer(1)])
        before = self.snapshot()
        message = self.run_failing("--channel", "@FirefoxSupport")
        self.assertIn(
            "@FirefoxSupport: the platform refused the channel's credentials (HTTP 401: Unauthorized)", message
        )
        self.assertEqual(self.snapshot(), before)

    def test_a_forbidden_answer_fails_naming_the_channel(self):
        self.server.answer("x", answers.x_forbidden("When authenticating requests to the Twitter API v2 endpoints…"))
        message = self.run_failing("--channel", "@FirefoxSupport")
        self.assertIn("@FirefoxSupport: the platform refused the channel's credentials (HTTP 403", message)

    def test_an_account_x_does_not_know_fails_naming_the_channel(self):
        del self.server.x_users["firefox"]
        self.addCleanup(self.server.add_x_user, FIREFOX)
        message = self.run_failing("--channel", "@Firefox")
        self.assertIn("@Firefox: X has no user Firefox (Could not find user with username: [Firefox].)", message)

    def test_an_unreachable_platform_fails_naming_the_channel_and_the_other_channels_are_still_fetched(self):
        mara = customer(1)
        self.server.add_x_posts([mention(1, author=mara, brand=FIREFOX)], [mara])
        FetchCursor.objects.create(channel=f.channel("@FirefoxSupport"), account_id="1")
        with override_settings(X_API_URL=refused_url()):
            message = self.run_failing()
        self.assertIn("@FirefoxSupport: ", message)
        self.assertIn("no answer", message)
        self.assertIn("@Firefox: ", message)

    def test_a_channel_missing_from_the_credentials_file_fails_naming_it(self):
        self.write_credentials({})
        message = self.run_failing("--channel", "@Firefox")
        self.assertIn('@Firefox: the credentials file has no entry "x:@Firefox"', message)


class BadPageTests(XFetchTestCase):
    def assertPageRefused(self, posts, users, *expected):
        good = customer(1)
        self.server.add_x_posts([mention(1, author=good), *posts], [good, *users])
        before = self.snapshot()
        message = self.run_failing("--channel", "@FirefoxSupport")
        for part in expected:
            self.assertIn(part, message)
        self.assertIn("nothing from this page was written", message)
        self.assertEqual(self.snapshot(), before)

    def test_a_post_whose_author_is_missing_from_includes_names_the_channel_and_the_post(self):
        stranger = customer(9)
        self.assertPageRefused(
            [mention(2, author=stranger)],
            [],
            f"@FirefoxSupport: mentions page 1: post 19{2:017d} (data[0].author_id)",
        )

    def test_ids_as_numbers_are_refused(self):
        post = mention(2, author=customer(2))
        post["conversation_id"] = int(post["conversation_id"])
        self.assertPageRefused([post], [customer(2)], f"post 19{2:017d} (data[0]", "conversation_id")

    def test_a_truncated_body_fails_naming_the_channel(self):
        self.server.answer("x", PASS, answers.Answer(200, '{"data": [{"id": "19'))
        message = self.run_failing("--channel", "@FirefoxSupport")
        self.assertIn("@FirefoxSupport: mentions page 1: the answer is not JSON", message)

    def test_an_unexpected_shape_fails_naming_the_channel(self):
        self.server.answer("x", PASS, answers.Answer(200, {"data": {"id": "1"}, "includes": {"users": []}}))
        before = self.snapshot()
        message = self.run_failing("--channel", "@FirefoxSupport")
        self.assertIn("@FirefoxSupport: mentions page 1: data: must be a list of posts", message)
        self.assertEqual(self.snapshot(), before)


@pytest.mark.postgres
class OverlapTests(XFetchTestCase):
    def test_a_run_that_finds_another_in_progress_does_nothing(self):
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [lock_key("fetch_x")])
            self.server.add_x_posts([mention(1, author=customer(1))], [customer(1)])
            out = StringIO()
            call_command("fetch_x", stdout=out)
            self.assertEqual(out.getvalue(), "another fetch_x run is in progress; this one did nothing\n")
            self.assertEqual(self.server.get_requests(), [])
            self.assertFalse(Conversation.objects.exists())
        finally:
            other.close()
