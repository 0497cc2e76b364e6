from datetime import timedelta
from unittest import mock

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from queues import services
from queues.admin.conversations import ConversationAdmin
from queues.models import (
    Channel,
    Clipping,
    CloseReason,
    Conversation,
    EscalationReason,
    Event,
    Message,
    Note,
    Product,
    Queue,
    Tag,
)
from queues.paginators import CappedCountPaginator
from tests import factories as f

User = get_user_model()


def url(model, view, *args):
    return reverse(f"admin:queues_{model._meta.model_name}_{view}", args=args)


def management_form(**counts):
    """The inline formsets' management data the conversation change form posts."""
    data = {}
    for prefix in ("notes", "messages", "events"):
        data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = str(counts.get(prefix, 0))
    return data


def translations_form(clipping=None):
    """The clipping form's inline of translations, posted back as the page shows it."""
    rows = list(clipping.translations.all()) if clipping else []
    data = {"translations-TOTAL_FORMS": str(len(rows)), "translations-INITIAL_FORMS": str(len(rows))}
    for i, row in enumerate(rows):
        data |= {
            f"translations-{i}-id": str(row.pk),
            f"translations-{i}-clipping": str(clipping.pk),
            f"translations-{i}-language": row.language,
            f"translations-{i}-body": row.body,
        }
    return data


class AdminTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.superuser = User.objects.create_superuser("root", "root@example.com", f.PASSWORD)
        cls.admin_user = f.admin(username="ada")
        cls.agent = f.agent(username="alice")
        cls.x = f.channel("@FirefoxSupport")
        cls.facebook = f.channel("Firefox")
        cls.play = f.channel("org.mozilla.firefox")

    def setUp(self):
        self.client.force_login(self.admin_user)

    def errors(self, response):
        """Every error the admin form shows, field and non-field."""
        form = response.context["adminform"].form
        return [str(message) for messages in form.errors.values() for message in messages]


class RegistrationTests(AdminTestCase):
    def test_every_model_is_registered(self):
        for model in (Queue, Channel, Product, Tag, Clipping, Conversation, Message, Note, Event):
            self.assertTrue(admin.site.is_registered(model), model)

    def test_every_changelist_and_change_page_loads(self):
        convo = f.ConversationFactory(channel=self.x)
        services.escalate_conversation(conversation_id=convo.pk, actor=self.agent, reason="sensitive", note="Asked.")
        self.client.force_login(self.superuser)
        for obj in (
            convo.queue,
            self.x,
            Product.objects.first(),
            f.TagFactory(),
            f.statement(),
            convo,
            Message.objects.first(),
            Note.objects.first(),
            Event.objects.first(),
        ):
            with self.subTest(model=type(obj).__name__):
                self.assertEqual(self.client.get(url(type(obj), "changelist")).status_code, 200)
                self.assertEqual(self.client.get(url(type(obj), "change", obj.pk)).status_code, 200)

    def test_agents_who_are_not_staff_cannot_reach_the_admin(self):
        self.client.force_login(self.agent)
        for target in (reverse("admin:index"), url(Conversation, "changelist"), url(Queue, "changelist")):
            response = self.client.get(target)
            self.assertRedirects(response, f"{reverse('admin:login')}?next={target}")


class QueueAdminTests(AdminTestCase):
    def post_queue(self, kind, auto_close_after="", slug="new-queue"):
        return self.client.post(
            url(Queue, "add"),
            {"name": "New queue", "slug": slug, "kind": kind, "auto_close_after": auto_close_after, "is_active": "on"},
        )

    def test_an_escalation_or_working_queue_cannot_get_an_auto_close_duration(self):
        for kind in (Queue.Kind.ESCALATION, Queue.Kind.WORKING):
            with self.subTest(kind=kind):
                response = self.post_queue(kind, "7 00:00:00")
                self.assertEqual(response.status_code, 200)
                self.assertIn(
                    f"Only on hold queues auto-close; leave this empty for a {Queue.Kind(kind).label.lower()} queue.",
                    response.context["adminform"].form.errors["auto_close_after"],
                )
        self.assertFalse(Queue.objects.filter(slug="new-queue").exists())

    def test_an_on_hold_queue_needs_a_positive_auto_close_duration(self):
        response = self.post_queue(Queue.Kind.ON_HOLD)
        self.assertEqual(response.status_code, 200)
        self.assertIn("An on hold queue needs an auto-close duration, e.g. 7 days.", self.errors(response))
        response = self.post_queue(Queue.Kind.ON_HOLD, "0")
        self.assertIn("The auto-close duration must be positive.", self.errors(response))
        self.assertFalse(Queue.objects.filter(slug="new-queue").exists())

        response = self.post_queue(Queue.Kind.ON_HOLD, "3 00:00:00")
        self.assertRedirects(response, url(Queue, "changelist"))
        self.assertEqual(Queue.objects.get(slug="new-queue").auto_close_after, timedelta(days=3))

    def test_the_kind_of_a_queue_channels_use_cannot_change(self):
        escalation = self.x.escalation_queue
        response = self.client.post(
            url(Queue, "change", escalation.pk),
            {"name": escalation.name, "slug": escalation.slug, "kind": Queue.Kind.ON_HOLD, "auto_close_after": "7"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn(
            "Channels use this queue as their escalation queue; point them elsewhere first.", self.errors(response)
        )
        escalation.refresh_from_db()
        self.assertEqual(escalation.kind, Queue.Kind.ESCALATION)

    def test_the_kind_of_a_queue_holding_open_conversations_cannot_change(self):
        spare = Queue.objects.create(name="Spare", slug="spare", kind=Queue.Kind.WORKING)
        convo = f.ConversationFactory(channel=self.x)
        services.move_to_queue(conversation_id=convo.pk, actor=None, queue_id=spare.pk)
        data = {"name": "Spare", "slug": "spare", "kind": Queue.Kind.ESCALATION, "auto_close_after": ""}
        response = self.client.post(url(Queue, "change", spare.pk), data)
        self.assertIn("This queue holds open conversations; its kind cannot change.", self.errors(response))

        services.close_conversation(conversation_id=convo.pk, actor=self.agent, reason=CloseReason.RESOLVED)
        self.assertRedirects(self.client.post(url(Queue, "change", spare.pk), data), url(Queue, "changelist"))
        spare.refresh_from_db()
        self.assertEqual(spare.kind, Queue.Kind.ESCALATION)

    def test_the_list_counts_open_conversations_in_one_query(self):
        f.ConversationFactory.create_batch(2, channel=self.x)
        closed = f.ConversationFactory(channel=self.x)
        services.close_conversation(conversation_id=closed.pk, actor=self.agent, reason=CloseReason.SPAM)
        with CaptureQueriesContext(connection) as few_queues:
            response = self.client.get(url(Queue, "changelist"))
        counts = {queue.name: queue.open_count for queue in response.context["cl"].result_list}
        self.assertEqual(counts[self.x.working_queue.name], 2)
        self.assertEqual(counts[self.x.escalation_queue.name], 0)

        for number in range(5):
            Queue.objects.create(name=f"More {number}", slug=f"more-{number}", kind=Queue.Kind.WORKING)
        with self.assertNumQueries(len(few_queues)):
            self.client.get(url(Queue, "changelist"))


class ChannelAdminTests(AdminTestCase):
    def test_the_working_and_escalation_queues_must_be_of_their_kind(self):
        data = {
            "name": self.x.name,
            "platform": self.x.platform,
            "account": self.x.account,
            "working_queue": self.x.escalation_queue.pk,
            "escalation_queue": self.x.working_queue.pk,
            "is_active": "on",
        }
        response = self.client.post(url(Channel, "change", self.x.pk), data)
        self.assertEqual(response.status_code, 200)
        form = response.context["adminform"].form
        self.assertEqual(set(form.errors), {"working_queue", "escalation_queue"})
        self.x.refresh_from_db()
        self.assertEqual(self.x.working_queue.kind, Queue.Kind.WORKING)


class ProductAdminTests(AdminTestCase):
    def post_product(self, matrix_room="", slack_channel=""):
        return self.client.post(
            url(Product, "add"),
            {"name": "Thunderbird", "slug": "thunderbird", "matrix_room": matrix_room, "slack_channel": slack_channel},
        )

    def test_the_matrix_room_must_look_like_room_colon_server(self):
        for room in ("thunderbird:mozilla.org", "#thunderbird", "#thunder bird:mozilla.org", "https://matrix.to/#/x"):
            with self.subTest(room=room):
                response = self.post_product(matrix_room=room)
                self.assertEqual(
                    response.context["adminform"].form.errors["matrix_room"],
                    ["Enter the Matrix room as #room:server, e.g. #fenix:mozilla.org."],
                )
        self.assertFalse(Product.objects.filter(slug="thunderbird").exists())

    def test_the_slack_channel_must_look_like_hash_channel(self):
        for channel in ("thunderbird", "#Thunderbird", "#thunder bird", "#"):
            with self.subTest(channel=channel):
                response = self.post_product(slack_channel=channel)
                self.assertIn("Enter the Slack channel as #channel", self.errors(response)[0])
        self.assertFalse(Product.objects.filter(slug="thunderbird").exists())

    def test_a_well_formed_product_is_saved_and_its_room_links_to_matrix_to(self):
        response = self.post_product("#thunderbird:mozilla.org", "#tb-support")
        self.assertRedirects(response, url(Product, "changelist"))
        response = self.client.get(url(Product, "changelist"))
        self.assertContains(
            response, '<a href="https://matrix.to/#/#thunderbird:mozilla.org">#thunderbird:mozilla.org</a>', html=True
        )

    def test_the_seeded_products_are_well_formed(self):
        for product in Product.objects.all():
            product.full_clean()


class ClippingAdminTests(AdminTestCase):
    def test_a_second_escalation_statement_is_a_form_error(self):
        response = self.client.post(
            url(Clipping, "add"),
            {"title": "Another", "body": "We are on it.", "is_escalation_statement": "on", **translations_form()},
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.context["adminform"].form.errors["is_escalation_statement"],
            ["“Escalation statement” is the escalation statement; there is exactly one. Edit its text instead."],
        )
        self.assertEqual(Clipping.objects.filter(is_escalation_statement=True).count(), 1)

    def test_the_statement_cannot_be_unflagged_but_its_text_can_be_edited(self):
        statement = f.statement()
        response = self.client.get(url(Clipping, "change", statement.pk))
        self.assertNotContains(response, 'name="is_escalation_statement"')
        text = "We need to look into this more closely and will get back to you soon."
        response = self.client.post(
            url(Clipping, "change", statement.pk),
            {"title": statement.title, "body": text, **translations_form(statement)},
        )
        self.assertRedirects(response, url(Clipping, "changelist"))
        statement.refresh_from_db()
        self.assertEqual((statement.body, statement.is_escalation_statement), (text, True))

    def test_the_statement_must_fit_every_platform_it_is_sent_on(self):
        statement = f.statement()
        response = self.client.post(
            url(Clipping, "change", statement.pk),
            {"title": statement.title, "body": "x" * 400, **translations_form(statement)},
        )
        self.assertEqual(response.status_code, 200)
        errors = response.context["adminform"].form.errors["body"]
        self.assertEqual(len(errors), 2)
        self.assertIn("Google Play: Google Play replies must be under 350 characters; this one has 400.", errors[0])
        self.assertIn("X: X replies can have at most 280 weighted characters", errors[1])
        statement.refresh_from_db()
        self.assertNotEqual(statement.body, "x" * 400)

    def test_the_statement_cannot_be_deleted_even_by_a_superuser(self):
        self.client.force_login(self.superuser)
        statement = f.statement()
        self.assertEqual(self.client.post(url(Clipping, "delete", statement.pk), {"post": "yes"}).status_code, 403)

        thanks = Clipping.objects.create(title="Thanks", body="Thank you!")
        selected = {"action": "delete_selected", "_selected_action": [statement.pk, thanks.pk]}
        response = self.client.post(url(Clipping, "changelist"), selected)
        self.assertContains(response, "the escalation statement is sent by every escalation and is never deleted.")
        self.client.post(url(Clipping, "changelist"), {**selected, "post": "yes"})
        self.assertEqual(Clipping.objects.filter(pk__in=[statement.pk, thanks.pk]).count(), 2)

        self.client.post(url(Clipping, "delete", thanks.pk), {"post": "yes"})
        self.assertFalse(Clipping.objects.filter(pk=thanks.pk).exists())

    def test_the_list_shows_the_length_against_each_platforms_limit(self):
        Clipping.objects.create(title="Long", body="a" * 300)
        response = self.client.get(url(Clipping, "changelist"))
        self.assertContains(response, "X 223/280 ✓, Facebook 223/8000 ✓, Google Play 223/349 ✓")
        self.assertContains(response, "X 300/280 ✗, Facebook 300/8000 ✓, Google Play 300/349 ✓")


class ConversationFormTests(AdminTestCase):
    def test_a_conversation_added_in_the_admin_goes_through_the_service(self):
        self.client.force_login(self.superuser)
        response = self.client.post(
            url(Conversation, "add"),
            {
                "channel": self.play.pk,
                "external_id": "gp:new-review",
                "author_name": "Mara Okafor",
                "body": "Crashes on start.",
                "rating": "2",
                "metadata": "{}",
                "created_at_0": "2026-01-05",
                "created_at_1": "10:00:00",
            },
        )
        convo = Conversation.objects.get(external_id="gp:new-review")
        self.assertRedirects(response, url(Conversation, "changelist"))
        self.assertEqual(convo.queue, self.play.working_queue)
        self.assertEqual(convo.product, self.play.default_product)
        self.assertEqual(convo.last_customer_message_at, convo.created_at)
        event = Event.objects.get(conversation=convo)
        self.assertEqual((event.kind, event.actor, event.to_queue), (Event.Kind.CREATED, self.superuser, convo.queue))

    def test_adding_a_conversation_the_channel_already_has_is_a_form_error(self):
        self.client.force_login(self.superuser)
        f.ConversationFactory(channel=self.x, external_id="123")
        data = {"channel": self.x.pk, "external_id": "123", "metadata": "{}", "created_at_0": "2026-01-05"}
        data["created_at_1"] = "10:00:00"
        response = self.client.post(url(Conversation, "add"), data)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.context["adminform"].form.errors["__all__"],
            ["Conversation with this Channel and External id already exists."],
        )
        self.assertEqual(Conversation.objects.filter(external_id="123").count(), 1)

    def test_the_change_form_shows_the_history_and_keeps_service_fields_read_only(self):
        convo = f.ConversationFactory(channel=self.x)
        services.escalate_conversation(
            conversation_id=convo.pk, actor=self.agent, reason=EscalationReason.SENSITIVE, note="Asked about the CEO."
        )
        response = self.client.get(url(Conversation, "change", convo.pk))
        self.assertContains(response, "Asked about the CEO.")
        self.assertContains(response, "requires more investigation")
        self.assertContains(response, "escalated")
        form = response.context["adminform"].form
        self.assertEqual(set(form.fields), {"product", "tags"})
        self.assertNotContains(response, url(Conversation, "delete", convo.pk))
        for inline in response.context["inline_admin_formsets"]:
            self.assertFalse(inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission)

    def test_product_and_tags_are_changed_through_the_services_and_nothing_else(self):
        convo = f.ConversationFactory(channel=self.x)
        product, tag = Product.objects.get(slug="firefox-desktop"), f.TagFactory(name="crash", slug="crash")
        other_queue = self.play.working_queue
        response = self.client.post(
            url(Conversation, "change", convo.pk),
            {
                "product": product.pk,
                "tags": [tag.pk],
                "status": "closed",
                "queue": other_queue.pk,
                "body": "rewritten",
                **management_form(),
            },
        )
        self.assertRedirects(response, url(Conversation, "changelist"))
        convo.refresh_from_db()
        self.assertEqual((convo.product, list(convo.tags.all())), (product, [tag]))
        self.assertEqual((convo.status, convo.queue), ("open", self.x.working_queue))
        self.assertNotEqual(convo.body, "rewritten")
        kinds = list(Event.objects.filter(conversation=convo).values_list("kind", "actor"))
        self.assertEqual(
            kinds, [(Event.Kind.PRODUCT_SET, self.admin_user.pk), (Event.Kind.TAGS_SET, self.admin_user.pk)]
        )


class NothingIsDeletedTests(AdminTestCase):
    def test_conversations_messages_notes_and_events_cannot_be_deleted_even_by_a_superuser(self):
        self.client.force_login(self.superuser)
        convo = f.ConversationFactory(channel=self.x)
        services.escalate_conversation(conversation_id=convo.pk, actor=self.agent, reason="sensitive", note="Asked.")
        for obj in (convo, Message.objects.get(), Note.objects.get(), Event.objects.get()):
            with self.subTest(model=type(obj).__name__):
                response = self.client.post(url(type(obj), "delete", obj.pk), {"post": "yes"})
                self.assertEqual(response.status_code, 403)
                self.assertTrue(type(obj).objects.filter(pk=obj.pk).exists())
                action_form = self.client.get(url(type(obj), "changelist")).context["action_form"]
                actions = dict(action_form.fields["action"].choices) if action_form else {}
                self.assertNotIn("delete_selected", actions)

    def test_events_are_read_only_for_everyone_superusers_included(self):
        convo = f.ConversationFactory(channel=self.x)
        services.put_on_hold(conversation_id=convo.pk, actor=self.agent)
        event = Event.objects.get()
        for user in (self.superuser, self.admin_user):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                response = self.client.get(url(Event, "change", event.pk))
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, 'name="_save"')
                self.assertNotContains(response, url(Event, "delete", event.pk))
                changed = {"kind": Event.Kind.CLOSED, "details": "{}", "created_at_0": "2020-01-01"}
                self.assertEqual(self.client.post(url(Event, "change", event.pk), changed).status_code, 403)
                self.assertEqual(self.client.get(url(Event, "add")).status_code, 403)
                self.assertEqual(
                    self.client.post(url(Event, "add"), {**changed, "conversation": convo.pk}).status_code, 403
                )
                self.assertNotContains(self.client.get(url(Event, "changelist")), url(Event, "add"))
        self.assertEqual(list(Event.objects.values_list("pk", "kind")), [(event.pk, Event.Kind.PUT_ON_HOLD)])

    def test_the_event_list_filters_by_the_automation(self):
        convo = f.ConversationFactory(channel=self.x)
        services.put_on_hold(conversation_id=convo.pk, actor=self.agent)
        self.client.force_login(self.superuser)
        response = self.client.get(url(Event, "changelist"), {"by_automation__exact": "1"})
        self.assertContains(response, "By the automation")
        self.assertNotContains(response, "By by")
        self.assertContains(response, "0 results")
        response = self.client.get(url(Event, "changelist"), {"by_automation__exact": "0"})
        self.assertContains(response, "put on hold")


class ConversationChangelistTests(AdminTestCase):
    def changelist_queries(self, **params):
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url(Conversation, "changelist"), params)
        self.assertEqual(response.status_code, 200)
        return response, queries

    def add_conversations(self, count):
        channels, product, tags = (
            [self.x, self.facebook, self.play],
            Product.objects.first(),
            f.TagFactory.create_batch(2),
        )
        for number in range(count):
            convo = f.ConversationFactory(
                channel=channels[number % 3], product=product, assignee=self.agent if number % 2 else None
            )
            convo.tags.set(tags)

    def test_the_query_count_does_not_grow_with_the_rows(self):
        # session, user, the user's and the groups' permissions, the capped count, the page, and the choices of
        # the queue, channel, product and assignee filters: 10, for 5 rows as for 50.
        self.add_conversations(5)
        with self.assertNumQueries(10):
            response = self.client.get(url(Conversation, "changelist"))
        self.assertEqual(len(response.context["cl"].result_list), 5)

        self.add_conversations(45)
        with self.assertNumQueries(10):
            response = self.client.get(url(Conversation, "changelist"))
        self.assertEqual(len(response.context["cl"].result_list), 50)

    def test_the_changelist_never_counts_the_whole_table(self):
        f.ConversationFactory.create_batch(5, channel=self.x)
        with mock.patch.object(CappedCountPaginator, "cap", 3):
            response, queries = self.changelist_queries(_facets="True")
        self.assertContains(response, "more than 3 conversations")
        self.assertContains(response, "more than 3 results")
        self.assertEqual(len(response.context["cl"].result_list), 5)
        counts = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
        self.assertEqual(len(counts), 1)
        self.assertIn("LIMIT 4", counts[0])
        # Any cap + 1 rows count the same: unordered, the database need not read them in the page's order.
        self.assertNotIn("ORDER BY", counts[0])

    def test_a_search_counts_to_its_own_lower_cap(self):
        f.ConversationFactory.create_batch(5, channel=self.x, author_name="Anna Novak")
        f.ConversationFactory.create_batch(2, channel=self.x, author_name="Ben Kim")
        with mock.patch.object(ConversationAdmin, "search_count_cap", 3):
            response, queries = self.changelist_queries(q="anna")
            self.assertContains(response, "more than 3 results")
            self.assertEqual(len(response.context["cl"].result_list), 5)
            counts = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
            self.assertIn("LIMIT 4", counts[0])
            # Without a search the list counts to the paginator's own cap.
            response, _queries = self.changelist_queries()
            self.assertContains(response, "7 conversations")
            self.assertNotContains(response, "more than")

    def test_a_page_holds_50_conversations_each_with_its_checkbox(self):
        f.ConversationFactory.create_batch(51, channel=self.x)
        response = self.client.get(url(Conversation, "changelist"))
        rows = response.context["cl"].result_list
        self.assertEqual(len(rows), 50)
        self.assertContains(response, 'class="action-select"', count=50)
        self.assertContains(
            response,
            f'<input type="checkbox" name="_selected_action" value="{rows[0].pk}" class="action-select" '
            f'aria-label="Select this object for an action - {rows[0]}">',
            html=True,
        )
        self.assertEqual(len(self.client.get(url(Conversation, "changelist"), {"p": 2}).context["cl"].result_list), 1)

    def test_under_the_cap_the_count_is_exact(self):
        f.ConversationFactory.create_batch(3, channel=self.x)
        response, _queries = self.changelist_queries()
        self.assertContains(response, "3 conversations")
        self.assertNotContains(response, "more than")

    def test_hash_number_finds_a_conversation_and_the_stage_filter_uses_the_queue_kind(self):
        working, escalated = f.ConversationFactory.create_batch(2, channel=self.x)
        services.escalate_conversation(conversation_id=escalated.pk, actor=self.agent, reason="sensitive", note="x")
        response, _queries = self.changelist_queries(q=f"#{working.pk}")
        self.assertEqual(list(response.context["cl"].result_list), [working])
        response, _queries = self.changelist_queries(stage="escalated")
        self.assertEqual(list(response.context["cl"].result_list), [escalated])
        response, _queries = self.changelist_queries(q="#" + "9" * 30)
        self.assertEqual(list(response.context["cl"].result_list), [])

    def test_staff_without_the_view_permission_cannot_see_conversations(self):
        staff = f.UserFactory(username="clerk", is_staff=True)
        staff.user_permissions.add(Permission.objects.get(codename="view_queue"))
        self.client.force_login(staff)
        self.assertEqual(self.client.get(url(Conversation, "changelist")).status_code, 403)
        self.assertEqual(self.client.get(url(Queue, "changelist")).status_code, 200)
