"""Pages given what a browser, or someone editing its requests, can send: crafted page links, dates the time zones
cannot hold, searches of a thousand words; and what a person sees when the server fails anyway."""

import base64
import io
import json
import logging
from datetime import UTC, datetime
from unittest import mock

from django.test import Client, TestCase, override_settings
from django.urls import reverse

from queues import selectors, services
from queues.models import Conversation
from tests import factories as f


def cursor(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


# Each a cursor of the default sort (received_at, id), as a page link carries it, with something impossible in it.
CRAFTED_CURSORS = {
    "30 February": cursor("2026-02-30T10:00:00+00:00", 1),
    "hour 25": cursor("2026-11-20T25:00:00+00:00", 1),
    "offset +99:99": cursor("2026-11-20T10:00:00+99:99", 1),
    "year 1 at +14:00": cursor("0001-01-01T00:00:00+14:00", 1),
    "year 9999 at -14:00": cursor("9999-12-31T23:00:00-14:00", 1),
    "no time zone": cursor("2026-11-20T10:00:00", 1),
    "an id past 64 bits": cursor("2026-11-20T10:00:00+00:00", 10**30),
    "a negative id past 64 bits": cursor("2026-11-20T10:00:00+00:00", -(10**30)),
    "nested 100,000 deep": base64.urlsafe_b64encode(b"[" * 100_000).decode(),
    "a number of 5,000 digits": cursor("2026-11-20T10:00:00+00:00", 1)[:0]
    + base64.urlsafe_b64encode(b'["2026-11-20T10:00:00+00:00", ' + b"9" * 5000 + b"]").decode(),
    "a very long link": "A" * 100_000,
    "unicode": "ÿ\u202e\U0001f98a",
}


class CursorTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice")
        cls.convos = [f.ConversationFactory() for _ in range(3)]

    def setUp(self):
        self.client.force_login(self.agent)

    def test_a_crafted_page_link_gives_the_first_page_with_a_message_never_a_500(self):
        for name, token in CRAFTED_CURSORS.items():
            for direction, sort in (("after", "oldest"), ("before", "newest"), ("after", "rating")):
                with self.subTest(name=name, direction=direction, sort=sort):
                    response = self.client.get(reverse("conversation-list"), {direction: token, "sort": sort})
                    self.assertEqual(response.status_code, 200)
                    self.assertEqual(len(response.context["page"].rows), 3)
                    self.assertIn(
                        "That page link is not valid any more; here is the first page.",
                        [str(m) for m in response.context["messages"]],
                    )

    def test_a_cursor_at_the_edges_of_what_utc_holds_still_pages(self):
        for value in ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"):
            with self.subTest(value=value):
                page = selectors.keyset_page(selectors.list_conversations(), "oldest", after=cursor(value, 1), size=50)
                self.assertEqual(len(page.rows), 3 if value.startswith("0001") else 0)


class FarDatesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice")
        # Stored before imports refused such times, or written in the admin: the pages must still draw them.
        far = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
        cls.convo = f.ConversationFactory(created_at=far, received_at=far, last_customer_message_at=far)
        services.record_customer_message(conversation_id=cls.convo.pk, body="From the future.", sent_at=far)
        services.add_note(conversation_id=cls.convo.pk, actor=cls.agent, body="A note.")

    def setUp(self):
        self.client.force_login(self.agent)

    @override_settings(TIME_ZONE="Pacific/Kiritimati")  # UTC+14: 9999-12-31 23:00 UTC is in year 10000 here
    def test_every_page_draws_a_time_its_zone_cannot_hold_in_utc(self):
        response = self.client.get(reverse("conversation-detail", args=[self.convo.pk]))
        self.assertContains(response, "From the future.")
        self.assertContains(response, 'datetime="9999-12-31T23:00:00+00:00"')
        self.assertContains(response, "Dec. 31, 9999, 11 p.m. UTC")
        for url in (reverse("conversation-list"),):
            with self.subTest(url=url):
                self.assertContains(self.client.get(url), "Dec. 31, 9999, 11 p.m. UTC")

    @override_settings(TIME_ZONE="Europe/Berlin")
    def test_a_time_the_zone_holds_is_still_shown_in_the_zone(self):
        convo = f.ConversationFactory(created_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
        response = self.client.get(reverse("conversation-detail", args=[convo.pk]))
        self.assertContains(response, 'title="Nov. 20, 2026, 11 a.m."')


class SearchWordsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice")
        cls.match = f.ConversationFactory(body=" ".join(f"word{n}" for n in range(20)))
        cls.other = f.ConversationFactory(body="Nothing alike.")

    def setUp(self):
        self.client.force_login(self.agent)

    def test_a_search_of_a_thousand_words_is_refused_with_a_clear_message_not_a_500(self):
        response = self.client.get(reverse("conversation-list"), {"q": " ".join(f"w{n}" for n in range(1000))})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Search for at most 20 words; this search has 1000 words.")
        self.assertEqual(response.context["page"].rows, [])

    def test_twenty_words_are_searched(self):
        response = self.client.get(reverse("conversation-list"), {"q": " ".join(f"word{n}" for n in range(20))})
        self.assertEqual(response.context["page"].rows, [self.match])

    def test_quoted_words_count_as_one(self):
        words = " ".join(f'"word{n} word{n + 1}"' for n in range(0, 19))
        response = self.client.get(reverse("conversation-list"), {"q": words})
        self.assertEqual(response.context["page"].rows, [self.match])

    def test_the_admins_search_of_a_thousand_words_searches_the_first_twenty_and_says_so(self):
        self.client.force_login(f.UserFactory(username="root", is_staff=True, is_superuser=True))
        for name in ("queues_conversation", "queues_note", "queues_clipping", "queues_tag", "auth_user"):
            with self.subTest(name=name):
                response = self.client.get(
                    reverse(f"admin:{name}_changelist"), {"q": " ".join(f"w{n}" for n in range(1000))}
                )
                self.assertContains(
                    response, "Only the first 20 words and 500 characters of the search were searched for."
                )
        response = self.client.get(reverse("admin:queues_conversation_changelist"), {"q": "word0 word19"})
        self.assertContains(response, f"#{self.match.pk}")


class ServerErrorTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice")

    def failing_dashboard(self, **headers):
        client = Client(raise_request_exception=False)
        client.force_login(self.agent)
        handler = next(h for h in logging.getLogger("django.request").handlers if h.name == "console")
        stream = io.StringIO()
        previous = handler.setStream(stream)
        try:
            with mock.patch.object(selectors, "dashboard_queues", side_effect=RuntimeError("the database went away")):
                response = client.get(reverse("dashboard"), headers=headers)
        finally:
            handler.setStream(previous)
        return response, stream.getvalue()

    def test_a_server_error_is_logged_to_stderr_with_its_traceback_and_the_page_shows_its_request_id(self):
        response, log = self.failing_dashboard()
        self.assertEqual(response.status_code, 500)
        request_id = response["X-Request-ID"]
        self.assertRegex(request_id, r"^[0-9a-f]{32}$")
        self.assertContains(response, f'<code class="request-id">{request_id}</code>', status_code=500)
        self.assertNotContains(response, "<script", status_code=500)
        self.assertIn(f"ERROR django.request [{request_id}] Internal Server Error: /", log)
        self.assertIn("Traceback (most recent call last)", log)
        self.assertIn("RuntimeError: the database went away", log)

    def test_the_proxys_request_id_is_kept_and_a_hostile_one_replaced(self):
        response, log = self.failing_dashboard(X_REQUEST_ID="edge-7f3a.1")
        self.assertContains(response, "edge-7f3a.1", status_code=500)
        self.assertIn("[edge-7f3a.1]", log)
        response, log = self.failing_dashboard(X_REQUEST_ID="<script>alert(1)</script>")
        self.assertRegex(response["X-Request-ID"], r"^[0-9a-f]{32}$")
        self.assertNotContains(response, "alert(1)", status_code=500)


class NoStoreTests(TestCase):
    def test_signed_in_pages_are_never_stored(self):
        agent = f.agent(username="alice")
        self.client.force_login(agent)
        convo = f.ConversationFactory()
        for url in (reverse("dashboard"), reverse("conversation-detail", args=[convo.pk]), reverse("admin:index")):
            with self.subTest(url=url):
                self.assertIn("no-store", self.client.get(url)["Cache-Control"])
        response = self.client.post(reverse("conversation-note", args=[convo.pk]), {"body": "x"})
        self.assertIn("no-store", response["Cache-Control"])

    def test_static_files_keep_their_caching_for_signed_in_people(self):
        self.client.force_login(f.agent(username="alice"))
        response = self.client.get("/static/queues/portal.css")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("no-store", response.get("Cache-Control", ""))


class AdminDatesTests(TestCase):
    def test_a_conversation_cannot_be_added_with_a_time_the_pages_cannot_draw(self):
        self.client.force_login(f.UserFactory(username="root", is_staff=True, is_superuser=True))
        channel = f.channel("org.mozilla.firefox")
        data = {"channel": channel.pk, "external_id": "gp:far", "metadata": "{}", "created_at_1": "23:00:00"}
        for day, problem in (("9999-12-31", "is more than a year in the future"), ("1969-12-31", "is before 1970")):
            with self.subTest(day=day):
                response = self.client.post(reverse("admin:queues_conversation_add"), {**data, "created_at_0": day})
                self.assertEqual(response.status_code, 200)
                self.assertIn(problem, response.context["adminform"].form.errors["created_at"][0])
        self.assertFalse(Conversation.objects.filter(external_id="gp:far").exists())
