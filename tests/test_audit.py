"""Who did what (queues/audit.py): a user's events for admins, newest first, paged by a cursor."""

from datetime import timedelta

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from queues import services
from queues.models import Event
from tests import factories as f


class WhoDidWhatTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = f.admin(username="boss")
        cls.agent = f.agent(username="ann")
        cls.other = f.agent(username="bob")
        cls.convo = f.ConversationFactory()
        services.add_note(conversation_id=cls.convo.pk, actor=cls.other, body="Bob's note")
        # 120 events of ann's over five days, written in shuffled order: the page sorts by time, not by id.
        start = timezone.now() - timedelta(days=5)
        Event.objects.bulk_create(
            Event(
                conversation=cls.convo,
                actor=cls.agent,
                kind=Event.Kind.NOTE_ADDED,
                created_at=start + timedelta(minutes=(n * 37) % 120),
            )
            for n in range(120)
        )
        cls.url = reverse("admin:auth_user_events", args=[cls.agent.pk])

    def ids_on(self, response):
        return [event.pk for event in response.context["events"]]

    def test_the_users_page_in_the_admin_links_to_it(self):
        self.client.force_login(self.admin)
        page = self.client.get(reverse("admin:auth_user_change", args=[self.agent.pk]))
        self.assertContains(page, f'href="{self.url}"')

    def test_pages_go_from_newest_to_oldest_without_gaps_or_repeats(self):
        self.client.force_login(self.admin)
        expected = list(
            Event.objects.filter(actor=self.agent).order_by("-created_at", "-id").values_list("pk", flat=True)
        )
        seen, url = [], self.url
        for _ in range(3):
            page = self.client.get(url)
            self.assertEqual(page.status_code, 200)
            seen += self.ids_on(page)
            if page.context["older"] is None:
                break
            url = f"{self.url}?before={page.context['older']}"
        self.assertEqual(seen, expected)
        self.assertEqual([len(seen)], [120])
        self.assertContains(page, "Newest")
        self.assertNotContains(page, "Bob")

    def test_a_page_reads_a_fixed_number_of_queries(self):
        self.client.force_login(self.admin)
        first = self.client.get(self.url)
        # The session, the signed-in user and their permissions (2), the user shown, the cursor's time, the page.
        with self.assertNumQueries(7):
            self.client.get(f"{self.url}?before={first.context['older']}")

    def test_a_cursor_that_is_not_one_of_the_users_events_is_not_found(self):
        self.client.force_login(self.admin)
        bobs = Event.objects.get(actor=self.other).pk
        for before in (str(bobs), "abc", "-1", "99999999"):
            with self.subTest(before=before):
                self.assertEqual(self.client.get(f"{self.url}?before={before}").status_code, 404)

    def test_agents_and_anonymous_visitors_never_see_it(self):
        self.assertRedirects(self.client.get(self.url), f"{reverse('admin:login')}?next={self.url}")
        self.client.force_login(self.agent)
        self.assertRedirects(self.client.get(self.url), f"{reverse('admin:login')}?next={self.url}")

    def test_staff_without_permission_to_view_events_is_refused(self):
        self.client.force_login(f.UserFactory(username="staff-only", is_staff=True))
        self.assertEqual(self.client.get(self.url).status_code, 403)
