"""Every page agents and admins see, drawn in a pseudo-locale (tests/pseudo_locale.py): any text still in plain
English outside the customer's words and the admins' data is a string that does not go through gettext."""

import ast
import json

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse

from queues import services
from queues.models import (
    Channel,
    Clipping,
    ClippingTranslation,
    Conversation,
    EscalationReason,
    Message,
    Note,
    Product,
    Queue,
    Tag,
)
from tests import factories as f
from tests.pseudo_locale import english_left, pseudo, pseudo_locale

# Not words of the portal: what the page shows of the data and the environment, and names that are the same in
# every language.
ALLOWED = {"UTC", "Firefox", "Mozilla"}
# Django's admin gives its icons untranslated alt texts; not ours to change.
DJANGO_ICON_ALTS = {"True", "False", "None", "Search"}


def is_json_record(shown: str) -> bool:
    """An event's details as the admin shows them: the record services wrote, keys and all, not prose."""
    try:
        return isinstance(json.loads(ast.literal_eval(shown)), dict)
    except (ValueError, SyntaxError):
        return False


def data_on_pages() -> list[str]:
    """Everything people typed or configured, which no catalog translates."""
    values = []
    values += Queue.objects.values_list("name", "slug", "description")
    values += Product.objects.values_list("name", "slug", "matrix_room", "slack_channel")
    values += Channel.objects.values_list("name", "account")
    values += Tag.objects.values_list("name", "slug")
    values += Clipping.objects.values_list("title", "body")
    values += ClippingTranslation.objects.values_list("body", "language")
    values += get_user_model().objects.values_list("username", "first_name", "last_name")
    values += Conversation.objects.values_list(
        "author_name",
        "author_handle",
        "title",
        "body",
        "external_id",
        "permalink",
        "language",
        "escalation_reason_other",
    )
    values += Message.objects.values_list("body", "author_name")
    values += Note.objects.values_list("body")
    flat = [str(v) for row in values for v in row if v]
    return flat + [line for value in flat for line in value.splitlines()]


class PseudoLocalePagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.moderator(username="mo", first_name="Mo")
        cls.admin = f.admin(username="ada", first_name="Ada")
        cls.product = f.ProductFactory(matrix_room="#fenix:mozilla.org", slack_channel="#fenix")
        cls.x = f.channel("@FirefoxSupport")
        cls.play = f.channel("org.mozilla.firefox")
        working = f.ConversationFactory(channel=cls.play, rating=2, title="Crashes", language="de")
        services.add_note(conversation_id=working.pk, actor=cls.agent, body="looked at it")
        services.reply(conversation_id=working.pk, actor=cls.agent, body="Thanks, we are on it.")
        on_hold = f.ConversationFactory()
        services.put_on_hold(
            conversation_id=on_hold.pk, actor=cls.agent, queue_id=f.queue_of_kind(Queue.Kind.ON_HOLD).pk
        )
        escalated = f.ConversationFactory(product=cls.product, language="ja")
        services.escalate_conversation(
            conversation_id=escalated.pk,
            actor=cls.agent,
            reason=EscalationReason.OTHER,
            other_reason="legal",
            note="Asked for the version.",
        )
        closed = f.ConversationFactory()
        services.close_conversation(conversation_id=closed.pk, actor=cls.agent, reason="resolved")
        cls.conversations = {"working": working, "on hold": on_hold, "escalated": escalated, "closed": closed}
        f.TagFactory(name="billing", slug="billing")

    def assert_no_english(self, name: str, response) -> None:
        self.assertIn(response.status_code, (200, 400), name)
        left = [
            text
            for text in english_left(response.content.decode(), data_on_pages(), ALLOWED)
            if not (text.startswith("img[alt]") and text.split(": ", 1)[1].strip("'") in DJANGO_ICON_ALTS)
            and not is_json_record(text.split(": ", 1)[1])
        ]
        self.assertIn("⟦", response.content.decode(), f"{name}: not drawn in the pseudo-locale")
        self.assertFalse(left, f"{name}: text not marked for translation:\n" + "\n".join(left))

    def walk(self, pages) -> None:
        with pseudo_locale():
            for name, request in pages:
                with self.subTest(page=name):
                    self.assert_no_english(name, request())

    def test_every_agent_page_is_translated(self):
        self.client.force_login(self.agent)
        c = self.conversations
        detail = lambda key: reverse("conversation-detail", args=[c[key].pk])  # noqa: E731
        self.walk(
            [
                ("dashboard", lambda: self.client.get("/")),
                ("list", lambda: self.client.get("/conversations/")),
                ("list, filtered", lambda: self.client.get("/conversations/?status=open&sort=rating&q=zzz")),
                ("list, a bad filter", lambda: self.client.get("/conversations/?received_from=yesterday")),
                ("list, a stale page link", lambda: self.client.get("/conversations/?after=nonsense", follow=True)),
                *((f"conversation {stage}", lambda key=stage: self.client.get(detail(key))) for stage in c),
                (
                    "escalate with errors",
                    lambda: self.client.post(
                        reverse("conversation-escalate", args=[c["working"].pk]), {"reason": "other"}, follow=True
                    ),
                ),
                (
                    "reply too long",
                    lambda: self.client.post(
                        reverse("conversation-reply", args=[c["working"].pk]), {"body": "x" * 400}, follow=True
                    ),
                ),
                (
                    "a message after an action",
                    lambda: self.client.post(
                        reverse("conversation-note", args=[c["working"].pk]), {"body": "more"}, follow=True
                    ),
                ),
                ("preferences", lambda: self.client.get(reverse("preferences"))),
                (
                    "preferences with an error",
                    lambda: self.client.post(reverse("preferences"), {"language": "xx", "time_zone": "Mars/Base"}),
                ),
                ("password change", lambda: self.client.get(reverse("password_change"))),
            ]
        )

    def test_the_sign_in_page_is_translated(self):
        self.walk(
            [
                ("sign in", lambda: self.client.get(reverse("login"))),
                (
                    "sign in, wrong password",
                    lambda: self.client.post(reverse("login"), {"username": "mo", "password": "no"}),
                ),
            ]
        )

    def test_the_admin_customisations_are_translated(self):
        self.client.force_login(self.admin)
        c = self.conversations
        ids = [c["working"].pk, c["on hold"].pk]
        self.walk(
            [
                ("admin index", lambda: self.client.get(reverse("admin:index"))),
                ("admin conversations", lambda: self.client.get(reverse("admin:queues_conversation_changelist"))),
                (
                    "admin conversations by stage",
                    lambda: self.client.get(reverse("admin:queues_conversation_changelist") + "?stage=escalated"),
                ),
                (
                    "admin conversation",
                    lambda: self.client.get(reverse("admin:queues_conversation_change", args=[c["escalated"].pk])),
                ),
                *(
                    (
                        f"admin action {action}",
                        lambda action=action: self.client.post(
                            reverse("admin:queues_conversation_changelist"),
                            {"action": action, "_selected_action": ids},
                        ),
                    )
                    for action in (
                        "escalate_selected",
                        "reply_with_clipping",
                        "close_selected",
                        "put_on_hold",
                        "move_to_queue",
                        "assign_to",
                    )
                ),
                (
                    "admin clipping with translations",
                    lambda: self.client.get(reverse("admin:queues_clipping_change", args=[f.statement().pk])),
                ),
                ("admin queues", lambda: self.client.get(reverse("admin:queues_queue_changelist"))),
                ("admin messages", lambda: self.client.get(reverse("admin:queues_message_changelist"))),
                ("admin events", lambda: self.client.get(reverse("admin:queues_event_changelist"))),
                ("admin notes", lambda: self.client.get(reverse("admin:queues_note_changelist"))),
                ("admin preferences", lambda: self.client.get(reverse("admin:queues_preferences_changelist"))),
            ]
        )


def test_a_text_left_in_english_is_found_and_named():
    html = '<p>⟦Ŝéåŕçĥ⟧ Alice</p><p title="Show more">⟦Ţéxţ⟧</p><p dir="auto">customer words</p>'
    assert english_left(html, ["Alice"], set()) == ["p[title]: 'Show more'"]


def test_the_pseudo_locale_keeps_placeholders_and_markup():
    assert pseudo("Ask the <strong>%(name)s</strong> team") == "⟦Åšķ ţĥé <strong>%(name)s</strong> ţéåɱ⟧"
