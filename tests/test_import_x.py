import json
from datetime import UTC, datetime

from queues import services
from queues.models import Channel, CloseReason, Conversation, Event, Message, Queue, Status
from queues.process import Stage
from tests import factories as f
from tests.importing import FIXTURES, ImportTestCase, insert_queries

PAGE_1 = FIXTURES / "x_mentions_page1.json"
PAGE_2 = FIXTURES / "x_mentions_page2.json"
SUPPORT_ID, FIREFOX_ID = "2000000000000000001", "2000000000000000002"
THREAD = "1800000000000000100"  # Mara's: root, a brand reply and a follow-up on page 1, another follow-up on page 2
BRAND_USERS = [
    {"id": SUPPORT_ID, "username": "FirefoxSupport", "name": "Firefox Support"},
    {"id": FIREFOX_ID, "username": "firefox", "name": "Firefox"},
]


def user(number: int) -> dict:
    return {"id": f"15{number:017d}", "username": f"invented_{number}", "name": f"Invented Person {number}"}


def post(number: int, *, author: dict, conversation_id: str = "", minutes: int = 0, **values) -> dict:
    return {
        "id": f"19{number:017d}",
        "text": f"@FirefoxSupport invented post {number}",
        "author_id": author["id"],
        "conversation_id": conversation_id or f"19{number:017d}",
        "created_at": f"2026-11-20T{minutes // 60:02d}:{minutes % 60:02d}:00.000Z",
        "lang": "en",
        "entities": {"mentions": [{"start": 0, "end": 15, "username": "FirefoxSupport", "id": SUPPORT_ID}]},
        **values,
    }


def payload(posts: list[dict], users: list[dict]) -> str:
    return json.dumps({"data": posts, "includes": {"users": users + BRAND_USERS}})


class XImportTestCase(ImportTestCase):
    command = "import_x"

    @classmethod
    def setUpTestData(cls):
        cls.support = f.channel("@FirefoxSupport")
        cls.firefox = f.channel("@Firefox")
        cls.on_hold = f.queue_of_kind(Queue.Kind.ON_HOLD)

    def thread(self, conversation_id: str = THREAD) -> Conversation:
        return Conversation.objects.get(external_id=conversation_id)


class ImportTests(XImportTestCase):
    def test_a_thread_becomes_one_conversation_with_its_brand_reply_and_follow_up(self):
        out, err = self.run_command(PAGE_1)
        self.assertEqual(
            out,
            f"{PAGE_1}: 3 new conversations, 1 follow-up, 1 brand reply, 0 unchanged, "
            "2 skipped (retweets, brand posts outside a known thread)\n",
        )
        self.assertEqual(err, "")
        convo = self.thread()
        self.assertEqual((convo.channel, convo.queue, convo.status), (self.support, self.support.working_queue, "open"))
        # X escapes & < > as HTML entities; the conversation keeps the text as the customer wrote it.
        self.assertEqual(
            convo.body,
            "@FirefoxSupport Sync stopped working on my laptop & phone 😩\nBookmarks from yesterday are missing.",
        )
        self.assertEqual((convo.author_name, convo.author_handle), ("Mara Invented 🦊", "@mara_invented"))
        self.assertEqual(convo.permalink, f"https://x.com/mara_invented/status/{THREAD}")
        self.assertEqual((convo.language, convo.created_at), ("en", datetime(2026, 11, 10, 9, tzinfo=UTC)))
        self.assertEqual(convo.metadata, {"post_id": THREAD, "author_id": "1500000000000000001"})
        messages = list(convo.messages.values_list("direction", "delivery", "external_id", "author_name", "body"))
        self.assertEqual(
            messages,
            [
                (
                    Message.Direction.OUTBOUND,
                    Message.Delivery.SENT,
                    "1800000000000000102",
                    "@FirefoxSupport",
                    "@mara_invented Sorry to hear that! Could you sign out of sync and back in, "
                    "then tell us if it works?",
                ),
                (
                    Message.Direction.INBOUND,
                    "",
                    "1800000000000000105",
                    "Mara Invented 🦊",
                    "@FirefoxSupport Did that, still nothing.",
                ),
            ],
        )
        self.assertEqual(convo.last_customer_message_at, datetime(2026, 11, 10, 10, 15, tzinfo=UTC))
        self.assertEqual(
            list(convo.events.values_list("kind", flat=True)),
            [Event.Kind.CREATED, Event.Kind.REPLIED, Event.Kind.CUSTOMER_MESSAGE],
        )

    def test_the_channel_is_the_brand_account_replied_to_or_mentioned(self):
        self.run_command(PAGE_1)
        reply_to_brand = self.thread("1800000000000000200")
        self.assertEqual(reply_to_brand.channel, self.firefox)
        self.assertEqual(reply_to_brand.body, "@firefox 新しいタブのデザイン、文字が小さすぎて読めません。")
        self.assertEqual(reply_to_brand.author_name, "架空 健二")
        mention = self.thread("1800000000000000301")
        self.assertEqual(mention.channel, self.support)
        self.assertEqual(mention.body, "@FirefoxSupport لا يمكنني تثبيت الإضافات منذ التحديث.\nهل هناك حل؟")
        self.assertEqual(mention.author_name, "ليلى المخترعة")

    def test_brand_posts_are_never_customers_and_retweets_are_skipped(self):
        self.run_command(PAGE_1)
        self.assertEqual(Conversation.objects.count(), 3)
        self.assertFalse(Conversation.objects.filter(author_handle__iexact="@FirefoxSupport").exists())
        self.assertFalse(Conversation.objects.filter(external_id__in=["1800000000000000400", "1800000000000000500"]))
        self.assertFalse(Message.objects.filter(external_id__in=["1800000000000000400", "1800000000000000501"]))

    def test_a_brand_post_that_starts_a_thread_is_kept_once_a_customer_answers_it(self):
        customer = user(1)
        announcement = post(1, author=BRAND_USERS[1], text="New Firefox is out!", entities={})
        answer = post(
            2,
            author=customer,
            conversation_id=announcement["id"],
            minutes=5,
            in_reply_to_user_id=FIREFOX_ID,
            referenced_tweets=[{"type": "replied_to", "id": announcement["id"]}],
            entities={},
        )
        # Newest first, as X sends search results.
        self.run_command(self.write("thread.json", payload([answer, announcement], [customer])))
        convo = self.thread(announcement["id"])
        self.assertEqual(
            (convo.channel, convo.body, convo.metadata["post_id"]), (self.firefox, answer["text"], answer["id"])
        )
        self.assertEqual(
            list(convo.messages.values_list("direction", "body")),
            [(Message.Direction.OUTBOUND, "New Firefox is out!")],
        )

    def test_a_post_by_the_account_of_an_inactive_channel_is_still_a_brand_reply(self):
        Channel.objects.filter(pk=self.firefox.pk).update(is_active=False)
        customer = user(1)
        question = post(1, author=customer)
        answer = post(2, author=BRAND_USERS[1], conversation_id=question["id"], minutes=1, entities={})
        out, _ = self.run_command(self.write("inactive.json", payload([question, answer], [customer])))
        self.assertIn(": 1 new conversation, 0 follow-ups, 1 brand reply,", out)
        self.assertEqual(self.thread(question["id"]).messages.get().direction, Message.Direction.OUTBOUND)

    def test_importing_the_same_file_twice_changes_nothing_and_says_so(self):
        self.run_command(PAGE_1)
        before = self.snapshot()
        out, _ = self.run_command(PAGE_1)
        self.assertEqual(
            out,
            f"{PAGE_1}: nothing new (0 new conversations, 0 follow-ups, 0 brand replies, 5 unchanged, "
            "2 skipped (retweets, brand posts outside a known thread))\n",
        )
        self.assertEqual(self.snapshot(), before)

    def test_a_later_page_adds_follow_ups_brand_replies_and_new_threads(self):
        self.run_command(PAGE_1)
        out, _ = self.run_command(PAGE_2)
        self.assertEqual(out, f"{PAGE_2}: 1 new conversation, 1 follow-up, 1 brand reply, 1 unchanged\n")
        self.assertEqual(
            self.thread().messages.last().body, "@FirefoxSupport It works again after today's update, thanks! 🎉"
        )
        reply = self.thread("1800000000000000301").messages.get()
        self.assertEqual((reply.direction, reply.delivery), (Message.Direction.OUTBOUND, Message.Delivery.SENT))
        hebrew = self.thread("1800000000000000601")
        self.assertEqual(hebrew.body, "@FirefoxSupport הסימניות שלי נעלמו אחרי העדכון. מה עושים?")
        self.assertEqual(hebrew.author_name, "נועה לדוגמה")

    def test_a_follow_up_takes_an_on_hold_thread_back_to_its_working_queue_and_stops_the_clock(self):
        self.run_command(PAGE_1)
        services.put_on_hold(conversation_id=self.thread().pk, actor=f.agent())
        self.run_command(PAGE_2)
        convo = self.thread()
        self.assertEqual(
            (convo.stage, convo.queue, convo.on_hold_since), (Stage.WORKING, self.support.working_queue, None)
        )
        event = convo.events.last()
        self.assertEqual((event.kind, event.from_queue), (Event.Kind.CUSTOMER_MESSAGE, self.on_hold))

    def test_a_follow_up_reopens_a_closed_thread_and_a_brand_reply_leaves_one_closed(self):
        self.run_command(PAGE_1)
        agent = f.agent()
        for conversation_id in (THREAD, "1800000000000000301"):
            services.close_conversation(
                conversation_id=self.thread(conversation_id).pk, actor=agent, reason=CloseReason.RESOLVED
            )
        self.run_command(PAGE_2)
        convo = self.thread()
        self.assertEqual((convo.status, convo.queue), (Status.OPEN, self.support.working_queue))
        self.assertTrue(convo.events.last().details["reopened"])
        self.assertEqual(self.thread("1800000000000000301").status, Status.CLOSED)

    def test_dry_run_reports_what_would_be_imported_and_writes_nothing(self):
        out, _ = self.run_command(PAGE_1, "--dry-run")
        self.assertEqual(
            out,
            f"{PAGE_1}: 3 new conversations, 1 follow-up, 1 brand reply, 0 unchanged, "
            "2 skipped (retweets, brand posts outside a known thread) (dry run: nothing was written)\n",
        )
        self.assertEqual(self.snapshot(), ([], [], []))

    def test_a_search_that_found_nothing_is_nothing_new(self):
        path = self.write("empty.json", json.dumps({"meta": {"result_count": 0}}))
        out, _ = self.run_command(path)
        self.assertEqual(
            out, f"{path}: nothing new (0 new conversations, 0 follow-ups, 0 brand replies, 0 unchanged)\n"
        )

    def test_the_number_of_queries_does_not_grow_with_the_number_of_threads(self):
        # 7: the channels; the file's transaction (a savepoint here), its lock; the thread lookup; the bulk
        # create's savepoint. The message lookup has no known thread to ask about.
        for first, count in ((1, 10), (1000, 100)):
            users = [user(n) for n in range(first, first + count)]
            posts = [post(n, author=users[n - first], minutes=n % 1440) for n in range(first, first + count)]
            path = self.write(f"page{first}.json", payload(posts, users))
            with self.assertNumQueries(7 + insert_queries(Conversation, count) + insert_queries(Event, count)):
                self.run_command(path)
        self.assertEqual(Conversation.objects.count(), 110)


class BrokenFileTests(XImportTestCase):
    def good(self) -> dict:
        return json.loads(PAGE_1.read_text(encoding="utf-8"))

    def test_broken_json_is_refused_naming_line_and_column(self):
        path = self.write(
            "broken.json", '{"data": [\n  {"id": "1800000000000000900"\n   "text": "a comma is missing"}\n]}'
        )
        self.assertRefused(path, "line 3 column 4", "broken JSON (Expecting ',' delimiter)")

    def test_bytes_that_are_not_utf8_are_refused_naming_the_line(self):
        path = self.write("latin.json", b'{"data": [\n  {"text": "caf\xe9"}\n]}')
        self.assertRefused(path, "line 2", "is not valid UTF-8 text")

    def test_a_payload_without_data_is_refused(self):
        path = self.write("nodata.json", json.dumps({"includes": {"users": BRAND_USERS}}))
        self.assertRefused(path, "data", "is missing: this is not an X API v2 payload")

    def test_an_unparsable_time_is_refused_naming_its_json_path(self):
        document = self.good()
        document["data"][3]["created_at"] = "10 Nov 2026"
        path = self.write("time.json", json.dumps(document))
        self.assertRefused(path, "data[3].created_at", "is not an ISO 8601 time with a zone: '10 Nov 2026'")

    def test_a_numeric_id_is_refused(self):
        document = self.good()
        document["data"][0]["id"] = 1800000000000000105
        path = self.write("number.json", json.dumps(document))
        self.assertRefused(path, "data[0].id", "must be a non-empty string")

    def test_an_author_missing_from_the_users_is_refused(self):
        document = self.good()
        document["includes"]["users"] = [u for u in document["includes"]["users"] if u["username"] != "leila_madeup"]
        path = self.write("author.json", json.dumps(document))
        self.assertRefused(path, "data[4].author_id", "names a user that is not in includes.users")

    def test_missing_users_are_refused(self):
        document = self.good()
        del document["includes"]
        self.assertRefused(self.write("users.json", json.dumps(document)), "includes.users", "is missing")

    def test_a_new_thread_addressed_to_no_channel_is_refused_and_nothing_of_the_file_is_written(self):
        # Found only while writing, after a first chunk of 500 threads: the file's transaction takes them back.
        stranger = user(1)
        posts = [post(n, author=stranger, minutes=n) for n in range(600)]
        posts.append(post(600, author=stranger, minutes=600, text="Nice weather today", entities={}))
        path = self.write("stranger.json", payload(posts, [stranger]))
        self.assertRefused(
            path,
            "data[600]",
            "starts a thread that is not known, and neither replies to nor mentions an active X channel (@Firefox, "
            "@FirefoxSupport)",
        )
