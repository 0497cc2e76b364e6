from datetime import timedelta

from django.contrib.auth.models import Group
from django.test import TestCase

from queues.models import Channel, Clipping, Product, Queue

STATEMENT = (
    "Your issue seems a bit more complicated and requires more investigation. We're currently looking into it and "
    "we'll get back to you with more details ASAP. If any other information occurs in the meantime, please let us know."
)


class SeedDataTests(TestCase):
    def test_the_escalation_statement_is_seeded_word_for_word(self):
        self.assertEqual(Clipping.objects.get(is_escalation_statement=True).body, STATEMENT)

    def test_the_process_queues_are_seeded_by_kind(self):
        kinds = {(q.name, q.kind, q.auto_close_after) for q in Queue.objects.all()}
        self.assertIn(("On Hold", Queue.Kind.ON_HOLD, timedelta(days=7)), kinds)
        self.assertIn(("Social support - Escalation", Queue.Kind.ESCALATION, None), kinds)
        self.assertIn(("Mobile support - Escalation", Queue.Kind.ESCALATION, None), kinds)
        self.assertEqual(Queue.objects.filter(kind=Queue.Kind.WORKING).count(), 2)

    def test_social_channels_escalate_to_social_and_google_play_to_mobile(self):
        for channel in Channel.objects.select_related("escalation_queue"):
            expected = (
                "Mobile support - Escalation" if channel.platform == "google_play" else "Social support - Escalation"
            )
            self.assertEqual(channel.escalation_queue.name, expected, channel)
        accounts = set(Channel.objects.values_list("platform", "account"))
        self.assertLessEqual(
            {
                ("x", "@FirefoxSupport"),
                ("google_play", "org.mozilla.firefox"),
                ("google_play", "org.mozilla.focus"),
                ("google_play", "org.mozilla.klar"),
            },
            accounts,
        )

    def test_products_carry_where_to_ask_for_help(self):
        rows = {p.name: (p.matrix_room, p.slack_channel, p.is_paid) for p in Product.objects.all()}
        self.assertEqual(
            rows,
            {
                "Firefox Desktop": ("#firefox:mozilla.org", "#desktop-sumo", False),
                "Firefox on Windows Store": ("", "#desktop-integrations", False),
                "Firefox for Enterprise": ("#firefox-enterprise:mozilla.org", "#enterprise", False),
                "Firefox for Android": ("#fenix:mozilla.org", "#android-support", False),
                "Firefox for iOS": ("#fx-ios:mozilla.org", "#ios-support", False),
                "Focus for Android": ("#focus-android:mozilla.org", "#focus-support", False),
                "Focus for iOS": ("#focus-ios:mozilla.org", "#focus-support", False),
                "Pocket": ("", "", True),
            },
        )
        self.assertEqual(
            Product.objects.get(name="Firefox for Android").matrix_url, "https://matrix.to/#/#fenix:mozilla.org"
        )

    def test_roles_exist_with_their_permissions(self):
        perms = lambda name: set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))  # noqa: E731
        self.assertEqual(perms("Contributors"), {"work_conversation"})
        self.assertLessEqual({"work_conversation", "moderate_conversation", "change_tag"}, perms("Moderators"))
        self.assertIn("change_queue", perms("Admins"))
        self.assertFalse({"delete_conversation", "change_event", "delete_event"} & perms("Admins"))
