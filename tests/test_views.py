from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from queues import selectors, services
from queues.forms import CloseForm
from queues.models import CloseReason, Conversation, EscalationReason, Event, Message, Note, Product, Queue, Status
from tests import factories as f


def detail(convo):
    return reverse("conversation-detail", args=[convo.pk])


def action(convo, name):
    return reverse(f"conversation-{name}", args=[convo.pk])


class PortalTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice", first_name="Alice")
        cls.other = f.agent(username="bob", first_name="Bob")
        cls.moderator = f.moderator(username="mo", first_name="Mo")
        cls.x = f.channel("@FirefoxSupport")
        cls.play = f.channel("org.mozilla.firefox")
        cls.on_hold = f.queue_of_kind(Queue.Kind.ON_HOLD)

    def setUp(self):
        self.client.force_login(self.agent)

    def messages_of(self, response):
        return [str(m) for m in response.context["messages"]]


class AccessTests(PortalTestCase):
    def test_anonymous_users_are_sent_to_sign_in(self):
        self.client.logout()
        convo = f.ConversationFactory()
        for url in ["/", "/conversations/", detail(convo)]:
            response = self.client.get(url)
            self.assertRedirects(response, f"{reverse('login')}?next={url}", msg_prefix=url)
        response = self.client.post(action(convo, "note"), {"body": "x"})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Note.objects.exists())

    def test_signed_in_users_who_are_not_agents_get_403(self):
        self.client.force_login(f.UserFactory(username="visitor"))
        convo = f.ConversationFactory()
        for url in ["/", "/conversations/", detail(convo)]:
            self.assertEqual(self.client.get(url).status_code, 403, url)
        self.assertEqual(self.client.post(action(convo, "note"), {"body": "x"}).status_code, 403)
        self.assertFalse(Note.objects.exists())

    def test_staff_can_work_without_a_group(self):
        self.client.force_login(f.UserFactory(username="staffer", is_staff=True))
        self.assertEqual(self.client.get("/").status_code, 200)

    def test_sign_in_page_signs_in(self):
        self.client.logout()
        self.assertContains(self.client.get(reverse("login")), "Sign in")
        response = self.client.post(reverse("login"), {"username": "alice", "password": f.PASSWORD})
        self.assertRedirects(response, "/")
        response = self.client.post(reverse("login"), {"username": "alice", "password": "wrong"})
        self.assertContains(response, "Please enter a correct username and password")

    def test_change_password_and_sign_out(self):
        response = self.client.post(
            reverse("password_change"),
            {
                "old_password": f.PASSWORD,
                "new_password1": "a much longer passphrase 42",
                "new_password2": "a much longer passphrase 42",
            },
        )
        self.assertRedirects(response, reverse("password_change_done"))
        self.agent.refresh_from_db()
        self.assertTrue(self.agent.check_password("a much longer passphrase 42"))
        self.assertRedirects(self.client.post(reverse("logout")), reverse("login"))
        self.assertEqual(self.client.get("/").status_code, 302)

    def test_actions_only_take_post(self):
        convo = f.ConversationFactory()
        self.assertEqual(self.client.get(action(convo, "close")).status_code, 405)
        self.assertEqual(self.client.post(reverse("dashboard")).status_code, 405)

    def test_unknown_conversations_and_actions_are_404(self):
        convo = f.ConversationFactory()
        self.assertEqual(self.client.get("/conversations/999999/").status_code, 404)
        self.assertEqual(self.client.post(f"/conversations/{convo.pk}/delete/").status_code, 404)
        self.assertEqual(self.client.post("/conversations/999999/note/", {"body": "x"}).status_code, 404)


class DashboardTests(PortalTestCase):
    def test_dashboard_shows_each_active_queue_with_open_count_and_oldest_age(self):
        three_days = timezone.now() - timedelta(days=3, minutes=5)
        f.ConversationFactory.create_batch(3, received_at=three_days, queue_entered_at=three_days)
        f.ConversationFactory(status=Status.CLOSED, closed_at=timezone.now())
        inactive = Queue.objects.create(name="Retired queue", slug="retired", kind=Queue.Kind.WORKING, is_active=False)
        response = self.client.get("/")
        rows = {q.name: q for _label, queues in response.context["groups"] for q in queues}
        self.assertEqual(rows[self.x.working_queue.name].open_count, 3)
        self.assertNotIn(inactive.name, rows)
        self.assertContains(response, "3\xa0days")  # timesince keeps number and unit together
        self.assertContains(response, "Working queues")
        self.assertContains(response, "Escalation queues")

    def test_my_assigned_conversations_are_listed(self):
        mine = f.ConversationFactory(assignee=self.agent, author_handle="@mine")
        f.ConversationFactory(assignee=self.other, author_handle="@theirs")
        response = self.client.get("/")
        self.assertEqual(response.context["mine"], [mine])
        self.assertContains(response, "@mine")
        self.assertNotContains(response, "@theirs")

    def test_next_conversation_assigns_the_oldest_unassigned_and_opens_it(self):
        now = timezone.now()
        f.ConversationFactory(received_at=now)
        oldest = f.ConversationFactory(received_at=now - timedelta(hours=2))
        response = self.client.post(reverse("next-conversation", args=[self.x.working_queue_id]), follow=True)
        self.assertRedirects(response, detail(oldest))
        oldest.refresh_from_db()
        self.assertEqual(oldest.assignee, self.agent)
        self.assertIn(f"Conversation #{oldest.pk} is now assigned to you.", self.messages_of(response))

    def test_next_conversation_on_an_empty_or_wrong_queue_says_so(self):
        response = self.client.post(reverse("next-conversation", args=[self.x.working_queue_id]), follow=True)
        self.assertIn("No unassigned open conversation is waiting in that queue.", self.messages_of(response))
        response = self.client.post(reverse("next-conversation", args=[self.on_hold.pk]), follow=True)
        self.assertIn("Choose an active working queue.", self.messages_of(response))

    def test_dashboard_query_count_does_not_grow_with_rows(self):
        f.ConversationFactory.create_batch(2, assignee=self.agent)
        # session, user, its two permission lookups, queues with counts, my conversations, undelivered replies
        with self.assertNumQueries(7):
            self.client.get("/")
        f.ConversationFactory.create_batch(30, assignee=self.agent)
        f.ConversationFactory.create_batch(30, channel=self.play)
        with self.assertNumQueries(7):
            self.client.get("/")


class ListTests(PortalTestCase):
    def ids(self, response):
        return [c.pk for c in response.context["page"].rows]

    def test_filters_live_in_the_query_string(self):
        product = Product.objects.get(slug="firefox-android")
        tag = f.TagFactory(name="crash", slug="crash")
        a = f.ConversationFactory(channel=self.play, rating=1, product=product, author_name="Zed Quux")
        a.tags.add(tag)
        b = f.ConversationFactory(channel=self.play, rating=5, product=product, body="Great browser")
        c = f.ConversationFactory(channel=self.x, assignee=self.agent)
        d = f.ConversationFactory(channel=self.x, assignee=self.other)
        services.escalate_conversation(
            conversation_id=d.pk, actor=self.agent, reason=EscalationReason.SENSITIVE, note="n"
        )
        e = f.ConversationFactory(status=Status.CLOSED, closed_at=timezone.now())
        cases = {
            f"queue={self.play.working_queue_id}": [a, b],
            "status=closed": [e],
            f"channel={self.x.pk}&status=open": [c, d],
            f"product={product.pk}&rating=1": [a],
            "rating=1&rating=5": [a, b],
            "assignee=me": [c],
            "assignee=unassigned&status=open": [a, b],
            "assignee=anyone": [c, d],
            "tag=crash": [a],
            "escalation_reason=sensitive": [d],
            "q=quux": [a],
            "q=great browser": [b],
        }
        for query, expected in cases.items():
            response = self.client.get(f"/conversations/?{query}")
            self.assertEqual(self.ids(response), [x.pk for x in expected], query)

    def test_received_date_range(self):
        now = timezone.now()
        old = f.ConversationFactory(received_at=now - timedelta(days=10))
        new = f.ConversationFactory(received_at=now)
        since = (now - timedelta(days=2)).date().isoformat()
        self.assertEqual(self.ids(self.client.get(f"/conversations/?received_from={since}")), [new.pk])
        self.assertEqual(self.ids(self.client.get(f"/conversations/?received_to={since}")), [old.pk])

    def test_sorts(self):
        now = timezone.now()
        one = f.ConversationFactory(channel=self.play, rating=4, received_at=now - timedelta(hours=3))
        two = f.ConversationFactory(channel=self.play, rating=1, received_at=now - timedelta(hours=2))
        three = f.ConversationFactory(channel=self.x, received_at=now - timedelta(hours=1))
        self.assertEqual(self.ids(self.client.get("/conversations/?sort=oldest")), [one.pk, two.pk, three.pk])
        self.assertEqual(self.ids(self.client.get("/conversations/?sort=newest")), [three.pk, two.pk, one.pk])
        self.assertEqual(self.ids(self.client.get("/conversations/?sort=rating")), [two.pk, one.pk, three.pk])

    def test_keyset_pages_walk_every_row_once_both_ways(self):
        now = timezone.now()
        # Equal receive times on purpose: the id breaks ties.
        rows = [f.ConversationFactory(received_at=now - timedelta(minutes=i // 3)) for i in range(120)]
        for sort in ("oldest", "newest", "rating"):
            seen, url, pages = [], f"/conversations/?sort={sort}", []
            while url:
                response = self.client.get(url)
                pages.append(response)
                seen += self.ids(response)
                cursor = response.context["page"].next_cursor
                url = f"/conversations/?sort={sort}&after={cursor}" if cursor else None
            self.assertEqual(len(seen), 120, sort)
            self.assertEqual(set(seen), {r.pk for r in rows}, sort)
            self.assertEqual(len(pages), 3)
            # And back from the last page.
            previous = pages[-1].context["page"].previous_cursor
            back = self.client.get(f"/conversations/?sort={sort}&before={previous}")
            self.assertEqual(self.ids(back), self.ids(pages[1]), sort)
            self.assertContains(pages[1], 'rel="prev"')
            self.assertNotContains(pages[-1], 'rel="next"')

    def test_lowest_rating_first_pages_through_ratings_and_unrated_alike(self):
        now = timezone.now()
        rows = [
            f.ConversationFactory(channel=self.play, rating=1 + i % 5, received_at=now - timedelta(minutes=i // 4))
            for i in range(70)
        ] + [f.ConversationFactory(channel=self.x, received_at=now - timedelta(minutes=i)) for i in range(40)]
        expected = [c.pk for c in sorted(rows, key=lambda c: (c.rating or 6, c.received_at, c.pk))]
        seen, url = [], "/conversations/?sort=rating"
        while url:
            page = self.client.get(url).context["page"]
            seen += [c.pk for c in page.rows]
            url = f"/conversations/?sort=rating&after={page.next_cursor}" if page.next_cursor else None
        self.assertEqual(seen, expected)

    def test_a_broken_page_link_shows_the_first_page_with_a_message(self):
        f.ConversationFactory()
        for cursor in ["garbage", "W10", "WyJub3QtYS1kYXRlIiwgMV0"]:
            response = self.client.get(f"/conversations/?after={cursor}")
            self.assertEqual(response.status_code, 200)
            self.assertEqual(len(self.ids(response)), 1)
            self.assertIn("That page link is not valid any more; here is the first page.", self.messages_of(response))

    def test_bad_filter_values_show_errors_not_500(self):
        f.ConversationFactory()
        response = self.client.get("/conversations/?queue=abc&rating=9&received_from=yesterday&sort=sideways")
        self.assertEqual(response.status_code, 200)
        errors = response.context["filter"].form.errors
        self.assertEqual(set(errors), {"queue", "rating", "received_from", "sort"})
        self.assertContains(response, "Select a valid choice")

    def test_list_query_count_does_not_grow_with_rows(self):
        f.ConversationFactory.create_batch(3)
        # session, user, its two permission lookups, one page of conversations, the filter form's
        # queue, channel, product and tag choices
        with self.assertNumQueries(9):
            self.client.get("/conversations/")
        with self.assertNumQueries(10):  # and the chosen queue, fetched to validate it
            self.client.get(f"/conversations/?queue={self.x.working_queue_id}&status=open&sort=newest")
        f.ConversationFactory.create_batch(60, channel=self.play, assignee=self.other, product=Product.objects.first())
        with self.assertNumQueries(9):
            self.client.get("/conversations/")

    def test_several_ratings_need_no_distinct(self):
        # A conversation has one rating: SELECT DISTINCT would only make the database sort every match first.
        f.ConversationFactory(channel=self.play, rating=1)
        f.ConversationFactory(channel=self.play, rating=2)
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get("/conversations/?rating=1&rating=2")
        self.assertEqual(len(response.context["page"].rows), 2)
        self.assertFalse([q["sql"] for q in queries if "DISTINCT" in q["sql"]])


class DetailTests(PortalTestCase):
    def test_detail_shows_the_conversation_and_its_timeline(self):
        convo = f.ConversationFactory(
            channel=self.play,
            rating=2,
            title="Crashes",
            body="It crashes on start",
            author_name="Mara Okafor",
            permalink="https://play.google.com/apps/publish?reviewId=gp:1",
        )
        services.add_note(conversation_id=convo.pk, actor=self.other, body="Looked into it")
        services.reply(conversation_id=convo.pk, actor=self.agent, body="Sorry! Which device?")
        response = self.client.get(detail(convo))
        for text in [
            "Mara Okafor",
            "It crashes on start",
            "Crashes",
            "Google Play · org.mozilla.firefox",
            "2 of 5 stars",
            "Looked into it",
            "Sorry! Which device?",
            "Open the original",
            "https://play.google.com/apps/publish?reviewId=gp:1",
            "Bob",
            "added an internal note",
        ]:
            self.assertContains(response, text)
        # Each note and reply shows once: its card, without an event line saying it again.
        kinds = [entry.kind for entry in response.context["timeline"]]
        self.assertEqual(kinds, ["note", "message"])

    def test_customer_text_is_escaped(self):
        convo = f.ConversationFactory(author_name="<script>alert(1)</script>", body="<img src=x onerror=alert(2)>")
        response = self.client.get(detail(convo))
        self.assertNotContains(response, "<script>alert(1)</script>")
        self.assertNotContains(response, "<img src=x")
        self.assertContains(response, "&lt;img src=x onerror=alert(2)&gt;")

    def test_the_page_offers_the_actions_the_stage_and_role_allow(self):
        convo = f.ConversationFactory()
        response = self.client.get(detail(convo))
        self.assertEqual(
            set(response.context["forms"]),
            {"reply", "note", "set_product", "set_tags", "put_on_hold", "escalate", "close"},
        )
        self.assertNotIn("new_tags", response.context["forms"]["set_tags"].fields)
        self.client.force_login(self.moderator)
        response = self.client.get(detail(convo))
        self.assertEqual(
            set(response.context["forms"]),
            {"reply", "note", "set_product", "set_tags", "move", "put_on_hold", "escalate", "close"},
        )
        self.assertIn("new_tags", response.context["forms"]["set_tags"].fields)
        services.close_conversation(conversation_id=convo.pk, actor=self.agent, reason=CloseReason.RESOLVED)
        response = self.client.get(detail(convo))
        self.assertEqual(set(response.context["forms"]), {"note", "set_product", "set_tags"})
        self.assertContains(response, "Reopen")
        self.client.force_login(self.agent)
        self.assertNotContains(self.client.get(detail(convo)), "Reopen")

    def test_detail_query_count_does_not_grow_with_the_timeline(self):
        convo = f.ConversationFactory()
        services.add_note(conversation_id=convo.pk, actor=self.agent, body="one")
        # session, user, two permission lookups, the conversation, every queue (its own, its channel's, and the hold
        # and move forms' choices), every product (its own and the choices), every tag (marked when the conversation
        # has it: its list and the tags' boxes), clippings and their translations (for the page and the reply's
        # picker), the timeline's messages, notes and events, the customer's other conversations (one query, capped)
        with self.assertNumQueries(14):
            self.client.get(detail(convo))
        for i in range(20):
            services.add_note(conversation_id=convo.pk, actor=self.other, body=f"note {i}")
            services.reply(conversation_id=convo.pk, actor=self.agent, body=f"reply {i}")
        convo.tags.add(f.TagFactory(), f.TagFactory())
        # session, user, two permission lookups, the conversation, every queue (its own, its channel's, and the hold
        # and move forms' choices), every product (its own and the choices), every tag (marked when the conversation
        # has it: its list and the tags' boxes), clippings and their translations (for the page and the reply's
        # picker), the timeline's messages, notes and events, the customer's other conversations (one query, capped)
        with self.assertNumQueries(14):
            self.client.get(detail(convo))

    def test_a_long_timeline_shows_its_latest_entries_and_links_to_the_whole(self):
        convo = f.ConversationFactory()
        for i in range(4):
            services.add_note(conversation_id=convo.pk, actor=self.agent, body=f"note {i}")
            if i % 2:
                services.unassign_conversation(conversation_id=convo.pk, actor=self.agent)
            else:
                services.assign_conversation(conversation_id=convo.pk, actor=self.agent, assignee_id=self.agent.pk)
        # 8 entries: each note (its event is the note's card itself) and an assign or unassign event.
        with mock.patch.object(selectors, "TIMELINE_LATEST", 5):
            response = self.client.get(detail(convo))
            with self.assertNumQueries(14):
                whole = self.client.get(detail(convo) + "?timeline=all")
        entries = response.context["timeline"]
        self.assertEqual(len(entries), 5)
        self.assertEqual([e.item.body for e in entries if e.kind == "note"], ["note 2", "note 3"])
        self.assertEqual(entries[-1].kind, "event")
        self.assertContains(response, "The latest 5 entries.")
        self.assertContains(response, 'href="?timeline=all#timeline-heading"')
        self.assertEqual(len(whole.context["timeline"]), 8)
        self.assertNotContains(whole, "Show the whole timeline")
        short = self.client.get(detail(convo))
        self.assertEqual(len(short.context["timeline"]), 8)
        self.assertNotContains(short, "Show the whole timeline")

    def test_timeline_events_show_their_reason_and_time(self):
        convo = f.ConversationFactory()
        services.close_conversation(conversation_id=convo.pk, actor=self.agent, reason=CloseReason.NO_ACTION_NEEDED)
        closed = Event.objects.get(conversation=convo, kind=Event.Kind.CLOSED)
        at = timezone.localtime(closed.created_at)
        response = self.client.get(detail(convo))
        self.assertContains(response, "<strong>Alice</strong> closed · No action needed")
        shown = formats.date_format(at, "DATETIME_FORMAT")
        self.assertContains(response, f'<time datetime="{at.isoformat()}">{shown}</time>', html=True)

    @pytest.mark.postgres
    def test_form_choices_are_read_without_a_server_side_cursor(self):
        # On PostgreSQL iterator() would DECLARE, FETCH and CLOSE a cursor for each select on the page.
        convo = f.ConversationFactory()
        with CaptureQueriesContext(connection) as queries:
            self.client.get(detail(convo))
            self.client.get("/conversations/")
        self.assertFalse([q["sql"] for q in queries if "DECLARE" in q["sql"]])


class ActionTests(PortalTestCase):
    def post(self, convo, name, data=None, **kwargs):
        """Post an action and follow to where it leads: refusals show on the conversation's own address."""
        kwargs.setdefault("follow", True)
        response = self.client.post(action(convo, name), data or {}, **kwargs)
        for url, _status in getattr(response, "redirect_chain", []):
            self.assertEqual(url, detail(convo))
        return response

    def assertUnchanged(self, convo, response, error):
        """The page shows the error, and nothing in the database changed."""
        self.assertContains(response, error, status_code=response.status_code)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(Event.objects.filter(conversation=convo).count(), 0)
        self.assertEqual(Message.objects.filter(conversation=convo).count(), 0)
        self.assertEqual(Note.objects.filter(conversation=convo).count(), 0)

    def test_reply_typed_and_from_a_clipping(self):
        convo = f.ConversationFactory(channel=self.x)
        response = self.post(convo, "reply", {"body": "Could you try a refresh?"}, follow=True)
        self.assertRedirects(response, detail(convo))
        self.assertIn("The reply will be sent to X in a moment.", self.messages_of(response))
        asked = self.post(convo, "reply", {"body": "", "clipping": f.statement().pk})
        self.assertContains(asked, "This is the escalation statement. Did you mean to escalate?")
        self.assertEqual(Message.objects.filter(conversation=convo).count(), 1)
        self.post(convo, "reply", {"body": "", "clipping": f.statement().pk, "send_statement": "on"})
        bodies = list(Message.objects.filter(conversation=convo).values_list("body", "clipping"))
        self.assertEqual(bodies, [("Could you try a refresh?", None), (f.statement().body, f.statement().pk)])

    def test_an_over_long_or_html_google_play_reply_is_refused_on_the_form(self):
        convo = f.ConversationFactory(channel=self.play)
        response = self.post(convo, "reply", {"body": "a" * 350})
        self.assertUnchanged(convo, response, "Google Play replies must be under 350 characters; this one has 350.")
        self.assertContains(response, "a" * 350, status_code=200)  # what they typed is kept
        response = self.post(convo, "reply", {"body": "<b>Thanks</b>"})
        self.assertUnchanged(convo, response, "Google Play replies cannot contain HTML")
        response = self.post(convo, "reply", {"body": "  "})
        self.assertUnchanged(convo, response, "The reply is empty.")

    def test_empty_note_is_refused_and_a_note_is_added(self):
        convo = f.ConversationFactory()
        self.assertUnchanged(convo, self.post(convo, "note", {"body": "   "}), "A note cannot be empty.")
        self.post(convo, "note", {"body": "Asked in #fenix"})
        self.assertEqual(Note.objects.get(conversation=convo).author, self.agent)

    def test_assign_to_me_and_unassign(self):
        convo = f.ConversationFactory()
        self.post(convo, "assign")
        convo.refresh_from_db()
        self.assertEqual(convo.assignee, self.agent)
        response = self.post(convo, "assign", follow=True)
        self.assertIn(f"Conversation #{convo.pk} is already assigned to alice.", self.messages_of(response))
        self.post(convo, "unassign")
        convo.refresh_from_db()
        self.assertIsNone(convo.assignee)

    def test_set_product_and_tags(self):
        convo = f.ConversationFactory()
        product = Product.objects.get(slug="pocket")
        tags = [f.TagFactory(), f.TagFactory()]
        self.post(convo, "product", {"product": product.pk})
        self.post(convo, "tags", {"tags": [t.pk for t in tags], "new_tags": "sneaky"})  # ignored: not a moderator
        convo.refresh_from_db()
        self.assertEqual(convo.product, product)
        self.assertEqual(set(convo.tags.all()), set(tags))
        response = self.post(convo, "product", {"product": 999999})
        self.assertContains(response, "Select a valid choice", status_code=200)
        self.client.force_login(self.moderator)
        self.post(convo, "tags", {"tags": [tags[0].pk], "new_tags": "billing, vpn"})
        self.assertEqual(sorted(convo.tags.values_list("slug", flat=True)), sorted([tags[0].slug, "billing", "vpn"]))

    def test_moderators_move_to_a_working_queue_and_contributors_get_403(self):
        convo = f.ConversationFactory(channel=self.x)
        self.assertEqual(self.post(convo, "move", {"queue": self.play.working_queue_id}).status_code, 403)
        convo.refresh_from_db()
        self.assertEqual(convo.queue, self.x.working_queue)
        self.client.force_login(self.moderator)
        self.post(convo, "move", {"queue": self.play.working_queue_id})
        convo.refresh_from_db()
        self.assertEqual(convo.queue, self.play.working_queue)
        response = self.post(convo, "move", {"queue": self.on_hold.pk})
        self.assertContains(response, "Select a valid choice", status_code=200)

    def test_put_on_hold(self):
        convo = f.ConversationFactory(channel=self.x)
        response = self.post(convo, "hold", {"queue": self.on_hold.pk}, follow=True)
        (said,) = self.messages_of(response)
        self.assertRegex(said, r"^Put on hold\. Auto-closes on \d+ \w+ \(in \d+ days\) if the customer stays silent\.$")
        convo.refresh_from_db()
        self.assertEqual((convo.queue, convo.previous_queue), (self.on_hold, self.x.working_queue))
        self.assertIsNotNone(convo.on_hold_since)

    def test_escalate_moves_sends_the_statement_and_shows_where_to_ask_for_help(self):
        convo = f.ConversationFactory(channel=self.play, product=Product.objects.get(slug="firefox-android"))
        page = self.client.get(detail(convo))
        self.assertContains(page, f.statement().body)
        self.assertContains(page, "Mobile support - Escalation")
        self.assertContains(page, "Describe the problem and the steps you suggested to the customer.")
        response = self.post(
            convo,
            "escalate",
            {"reason": EscalationReason.NEEDS_PRODUCT_TEAM, "note": "Crash on start; cache cleared."},
            follow=True,
        )
        self.assertRedirects(response, detail(convo))
        convo.refresh_from_db()
        self.assertEqual(convo.queue, self.play.escalation_queue)
        self.assertEqual(Message.objects.get(conversation=convo).body, f.statement().body)
        self.assertEqual(Note.objects.get(conversation=convo).body, "Crash on start; cache cleared.")
        self.assertContains(response, "Where to ask for help")
        self.assertContains(response, 'href="https://matrix.to/#/#fenix:mozilla.org"')
        self.assertContains(response, "#android-support")

    def test_escalation_without_reason_or_note_is_refused(self):
        convo = f.ConversationFactory()
        response = self.post(convo, "escalate", {"reason": "", "note": "Something"})
        self.assertUnchanged(convo, response, "Choose why this conversation is escalated.")
        response = self.post(convo, "escalate", {"reason": EscalationReason.SENSITIVE, "note": ""})
        self.assertUnchanged(convo, response, "Describe the problem and the steps you suggested to the customer.")
        response = self.post(convo, "escalate", {"reason": EscalationReason.OTHER, "note": "n", "other_reason": ""})
        self.assertUnchanged(convo, response, "Say what the other reason is.")
        self.assertContains(response, "<details", status_code=200)
        self.assertContains(response, 'id="escalate" open', status_code=200)

    def test_help_panel_without_a_product_asks_to_set_one(self):
        convo = f.ConversationFactory(product=None)
        services.escalate_conversation(
            conversation_id=convo.pk, actor=self.agent, reason=EscalationReason.OTHER, note="n", other_reason="Press"
        )
        self.assertContains(self.client.get(detail(convo)), "Set the product below to see its Matrix room")

    def test_close_and_reopen(self):
        convo = f.ConversationFactory(channel=self.x)
        self.assertUnchanged(
            convo, self.post(convo, "close", {"reason": ""}), "Choose why this conversation is closed."
        )
        self.post(convo, "close", {"reason": CloseReason.RESOLVED})
        convo.refresh_from_db()
        self.assertEqual((convo.status, convo.close_reason), (Status.CLOSED, CloseReason.RESOLVED))
        self.assertEqual(self.post(convo, "reopen").status_code, 403)
        self.client.force_login(self.moderator)
        self.post(convo, "reopen")
        convo.refresh_from_db()
        self.assertEqual((convo.status, convo.queue), (Status.OPEN, self.x.working_queue))

    def test_a_stale_form_for_a_conversation_someone_else_closed_changes_nothing(self):
        convo = f.ConversationFactory()
        self.client.get(detail(convo))  # the agent has the page open …
        services.close_conversation(conversation_id=convo.pk, actor=self.other, reason=CloseReason.RESOLVED)
        events = Event.objects.count()
        for name, data in [
            ("reply", {"body": "Hello"}),
            ("escalate", {"reason": EscalationReason.SENSITIVE, "note": "n"}),
            ("hold", {"queue": self.on_hold.pk}),
            ("close", {"reason": CloseReason.SPAM}),
        ]:
            response = self.post(convo, name, data, follow=True)
            self.assertEqual(response.status_code, 200, name)
            self.assertTrue(
                any("it is closed" in m for m in self.messages_of(response)), (name, self.messages_of(response))
            )
        self.assertEqual(Event.objects.count(), events)
        self.assertFalse(Message.objects.filter(conversation=convo).exists())
        convo.refresh_from_db()
        self.assertEqual(convo.close_reason, CloseReason.RESOLVED)

    def test_a_race_lost_after_the_form_validated_shows_the_current_state(self):
        convo = f.ConversationFactory()
        original_clean = CloseForm.clean

        def closed_meanwhile(form):
            # Another agent closes it between our form's validation and our service call.
            services.close_conversation(conversation_id=convo.pk, actor=self.other, reason=CloseReason.DUPLICATE)
            return original_clean(form)

        with mock.patch.object(CloseForm, "clean", closed_meanwhile):
            response = self.post(convo, "close", {"reason": CloseReason.RESOLVED}, follow=True)
        self.assertTrue(any("it is closed" in m for m in self.messages_of(response)))
        self.assertEqual(Event.objects.filter(conversation=convo, kind=Event.Kind.CLOSED).count(), 1)
        self.assertEqual(Conversation.objects.get(pk=convo.pk).close_reason, CloseReason.DUPLICATE)
