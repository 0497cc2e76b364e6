"""The portal in each user's language and time zone, right to left for Arabic, and clippings in the customer's
language."""

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from queues import platforms, services
from queues.models import Clipping, ClippingTranslation, EscalationReason, Message, Preferences, Queue
from queues.services import InvalidInput
from tests import factories as f


def detail(convo):
    return reverse("conversation-detail", args=[convo.pk])


class LanguageChoiceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice", first_name="Alice")

    def test_the_browser_language_is_used_when_the_user_chose_none(self):
        self.client.force_login(self.agent)
        response = self.client.get("/", headers={"accept-language": "de-DE,de;q=0.9,en;q=0.5"})
        self.assertContains(response, '<html lang="de" dir="ltr">')
        self.assertContains(response, "Arbeits-Warteschlangen")
        self.assertEqual(response["Content-Language"], "de")

    def test_an_unknown_browser_language_gets_english(self):
        self.client.force_login(self.agent)
        response = self.client.get("/", headers={"accept-language": "sv-SE,sv;q=0.9"})
        self.assertContains(response, '<html lang="en" dir="ltr">')
        self.assertContains(response, "Working queues")

    def test_the_menu_switch_saves_the_users_choice_over_the_browsers(self):
        self.client.force_login(self.agent)
        response = self.client.post(
            reverse("switch-language"), {"language": "ko", "next": "/conversations/"}, headers={"accept-language": "de"}
        )
        self.assertRedirects(response, "/conversations/", fetch_redirect_response=False)
        self.assertEqual(Preferences.objects.get(user=self.agent).language, "ko")
        response = self.client.get("/", headers={"accept-language": "de"})
        self.assertContains(response, '<html lang="ko" dir="ltr">')
        self.assertContains(response, "작업 대기열")

    def test_the_choice_follows_the_user_to_a_new_session(self):
        Preferences.objects.create(user=self.agent, language="ja", time_zone="Asia/Tokyo")
        self.client.force_login(self.agent)
        response = self.client.get("/", headers={"accept-language": "de"})
        self.assertContains(response, '<html lang="ja"')
        self.assertContains(response, "ダッシュボード")

    def test_anyone_can_switch_the_sign_in_page_and_a_bad_choice_changes_nothing(self):
        response = self.client.post(reverse("switch-language"), {"language": "fr", "next": reverse("login")})
        self.assertRedirects(response, reverse("login"), fetch_redirect_response=False)
        self.assertContains(self.client.get(reverse("login")), "Se connecter")
        response = self.client.post(reverse("switch-language"), {"language": "xx", "next": "https://evil.example/"})
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertContains(self.client.get(reverse("login")), "Se connecter")
        self.assertFalse(Preferences.objects.exists())

    def test_the_switch_is_a_post_form_with_csrf_and_every_language_named_in_its_own(self):
        self.client.force_login(self.agent)
        page = self.client.get("/").content.decode()
        self.assertIn(f'action="{reverse("switch-language")}"', page)
        self.assertIn('name="csrfmiddlewaretoken"', page)
        for code, name in [("ko", "한국어"), ("de", "Deutsch"), ("ja", "日本語"), ("ar", "العربيّة")]:
            self.assertIn(f'lang="{code}"', page)
            self.assertIn(name, page)

    def test_arabic_is_drawn_right_to_left_with_bootstraps_rtl_stylesheet(self):
        Preferences.objects.create(user=self.agent, language="ar")
        self.client.force_login(self.agent)
        response = self.client.get("/")
        self.assertContains(response, '<html lang="ar" dir="rtl">')
        self.assertContains(response, "bootstrap.rtl.min.css")
        self.assertNotContains(response, "bootstrap/bootstrap.min.css")
        self.assertContains(response, "قوائم العمل")
        self.client.logout()
        ltr = self.client.get(reverse("login"), headers={"accept-language": "en"})
        self.assertContains(ltr, '<html lang="en" dir="ltr">')
        self.assertContains(ltr, "bootstrap/bootstrap.min.css")

    def test_the_scripts_catalog_is_a_script_file_in_the_users_language(self):
        Preferences.objects.create(user=self.agent, language="de")
        self.client.force_login(self.agent)
        page = self.client.get("/")
        self.assertContains(page, f'<script src="{reverse("javascript-catalog")}" defer></script>')
        catalog = self.client.get(reverse("javascript-catalog"))
        self.assertEqual(catalog["Content-Type"], 'text/javascript; charset="utf-8"')
        self.assertContains(catalog, "Zeichen \\u00fcber dem Limit")


class PreferencesPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice")

    def setUp(self):
        self.client.force_login(self.agent)

    def test_saving_a_language_and_time_zone_applies_them_at_once(self):
        response = self.client.post(
            reverse("preferences"), {"language": "es", "time_zone": "America/Bogota"}, follow=True
        )
        self.assertContains(response, "Tus preferencias se han guardado.")
        prefs = Preferences.objects.get(user=self.agent)
        self.assertEqual((prefs.language, prefs.time_zone), ("es", "America/Bogota"))

    def test_a_bad_time_zone_or_language_is_a_form_error_and_saves_nothing(self):
        response = self.client.post(reverse("preferences"), {"language": "klingon", "time_zone": "Mars/Olympus"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.context["form"].errors), {"language", "time_zone"})
        self.assertFalse(Preferences.objects.exists())

    def test_empty_choices_mean_the_browsers_language_and_the_portals_zone(self):
        Preferences.objects.create(user=self.agent, language="ja", time_zone="Asia/Tokyo")
        self.client.post(reverse("preferences"), {"language": "", "time_zone": ""})
        response = self.client.get("/", headers={"accept-language": "fr"})
        self.assertContains(response, '<html lang="fr"')


class TimeZoneTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice")
        cls.convo = f.ConversationFactory()
        services.put_on_hold(
            conversation_id=cls.convo.pk, actor=cls.agent, queue_id=f.queue_of_kind(Queue.Kind.ON_HOLD).pk
        )
        # 23:30 UTC on 1 March is already 2 March in Seoul.
        cls.convo.on_hold_since = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
        cls.convo.save(update_fields=["on_hold_since"])

    def test_times_are_shown_in_the_users_zone_and_language_with_the_zone_named_on_the_hold_deadline(self):
        Preferences.objects.create(user=self.agent, language="de", time_zone="Asia/Seoul")
        self.client.force_login(self.agent)
        page = self.client.get(detail(self.convo)).content.decode()
        self.assertIn('datetime="2026-03-02T08:30:00+09:00"', page)
        self.assertIn("2. März 2026 08:30 (KST)", page)
        deadline = self.convo.on_hold_since + f.queue_of_kind(Queue.Kind.ON_HOLD).auto_close_after
        local = timezone.localtime(deadline, timezone=ZoneInfo("Asia/Seoul"))
        self.assertIn(f'datetime="{local.isoformat()}"', page)
        self.assertIn("wenn der Kunde nicht antwortet", page)

    def test_without_a_zone_of_their_own_users_see_the_portals(self):
        self.client.force_login(self.agent)
        page = self.client.get(detail(self.convo), headers={"accept-language": "en"}).content.decode()
        self.assertIn('datetime="2026-03-01T23:30:00+00:00"', page)
        self.assertIn("(UTC)", page)


class ClippingTranslationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice")
        cls.statement = f.statement()
        cls.x = f.channel("@FirefoxSupport")

    def escalate(self, convo):
        return services.escalate_conversation(
            conversation_id=convo.pk, actor=self.agent, reason=EscalationReason.NEEDS_PRODUCT_TEAM, note="steps"
        )

    def test_the_seeded_statement_ships_in_every_language_of_the_portal_and_fits_every_platform(self):
        languages = set(self.statement.translations.values_list("language", flat=True))
        self.assertEqual(languages, {"ko", "de", "es", "fr", "pt-BR", "ja", "ar"})
        for translation in self.statement.translations.all():
            for platform in platforms.Platform:
                self.assertEqual(platforms.reply_problems(platform, translation.body), [], translation.language)

    def test_the_statement_is_sent_in_the_conversations_language(self):
        convo = f.ConversationFactory(channel=self.x, language="ja")
        self.escalate(convo)
        sent = Message.objects.get(conversation=convo, direction=Message.Direction.OUTBOUND)
        self.assertEqual(sent.body, self.statement.translations.get(language="ja").body)
        self.assertEqual(sent.clipping, self.statement)

    def test_a_regional_tag_finds_its_language_and_an_unknown_one_gets_english(self):
        brazilian = f.ConversationFactory(channel=self.x, language="pt")
        self.escalate(brazilian)
        self.assertEqual(brazilian.messages.get().body, self.statement.translations.get(language="pt-BR").body)
        swedish = f.ConversationFactory(channel=self.x, language="sv")
        self.escalate(swedish)
        self.assertEqual(swedish.messages.get().body, self.statement.body)

    def test_the_reply_limit_is_checked_on_the_translation_actually_sent(self):
        # 150 Japanese characters: 150 on Facebook, 300 weighted characters on X, over its 280.
        long_ja = "あ" * 150
        ClippingTranslation.objects.filter(clipping=self.statement, language="ja").update(body=long_ja)
        convo = f.ConversationFactory(channel=self.x, language="ja")
        with self.assertRaises(InvalidInput):
            self.escalate(convo)
        convo.refresh_from_db()
        self.assertEqual(convo.queue, self.x.working_queue)
        self.assertFalse(convo.messages.exists())
        english = f.ConversationFactory(channel=self.x, language="en")
        self.escalate(english)
        self.assertEqual(english.messages.get().body, self.statement.body)

    def test_a_clipping_sent_without_text_goes_in_the_customers_language(self):
        thanks = Clipping.objects.create(title="Thanks", body="Thank you for writing!")
        ClippingTranslation.objects.create(clipping=thanks, language="de", body="Danke für Ihre Nachricht!")
        convo = f.ConversationFactory(channel=self.x, language="de-AT")
        self.client.force_login(self.agent)
        response = self.client.post(reverse("conversation-reply", args=[convo.pk]), {"clipping": thanks.pk, "body": ""})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(convo.messages.get().body, "Danke für Ihre Nachricht!")

    def test_the_picker_offers_the_customers_language_first_then_english(self):
        thanks = Clipping.objects.create(title="Thanks", body="Thank you for writing!")
        ClippingTranslation.objects.create(clipping=thanks, language="de", body="Danke für Ihre Nachricht!")
        convo = f.ConversationFactory(channel=self.x, language="de")
        self.client.force_login(self.agent)
        response = self.client.get(detail(convo), headers={"accept-language": "en"})
        versions = response.context["clipping_bodies"][thanks.pk]
        self.assertEqual(
            versions,
            [{"language": "German", "body": "Danke für Ihre Nachricht!"}, {"language": "English", "body": thanks.body}],
        )
        self.assertContains(response, "This statement will be sent as the reply, in German:")

    def test_the_admin_refuses_a_statement_translation_a_platform_would_refuse(self):
        admin = f.admin(username="ada")
        self.client.force_login(admin)
        rows = list(self.statement.translations.all())
        data = {
            "title": self.statement.title,
            "body": self.statement.body,
            "translations-TOTAL_FORMS": str(len(rows) + 1),
            "translations-INITIAL_FORMS": str(len(rows)),
            f"translations-{len(rows)}-language": "zh-Hant",
            f"translations-{len(rows)}-body": "您" * 150,
        }
        for i, row in enumerate(rows):
            data |= {
                f"translations-{i}-id": str(row.pk),
                f"translations-{i}-clipping": str(self.statement.pk),
                f"translations-{i}-language": row.language,
                f"translations-{i}-body": row.body,
            }
        url = reverse("admin:queues_clipping_change", args=[self.statement.pk])
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 200)
        self.assertIn(
            "X replies can have at most 280 weighted characters",
            str(response.context["inline_admin_formsets"][0].formset.errors),
        )
        self.assertFalse(ClippingTranslation.objects.filter(language="zh-Hant").exists())
        data[f"translations-{len(rows)}-body"] = "您的问题比较复杂，我们正在调查。"
        self.assertEqual(self.client.post(url, data).status_code, 302)
        self.assertTrue(ClippingTranslation.objects.filter(clipping=self.statement, language="zh-Hant").exists())


class AdminMailLanguageTests(TestCase):
    def test_the_admins_are_told_in_the_portals_language_whatever_the_agents(self):
        from django.core import mail

        agent = f.agent(username="alice")
        Preferences.objects.create(user=agent, language="de")
        self.client.force_login(agent)
        convo = f.ConversationFactory()
        with self.settings(ADMINS=[("Admins", "admins@example.com")], DELIVERY_BACKEND="platforms"):
            response = self.client.post(
                reverse("conversation-escalate", args=[convo.pk]),
                {"reason": "other", "other_reason": "Rechtsfrage", "note": "Schritte"},
                follow=True,
            )
            call_command("deliver", "--once", stdout=io.StringIO())
        self.assertContains(response, "Eskaliert")
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn(f"Conversation #{convo.pk} escalated for another reason", mail.outbox[0].subject)


class DemoDataTests(TestCase):
    def test_the_demos_escalated_conversations_got_the_statement_in_their_language(self):
        from io import StringIO

        from django.core.management import call_command

        from queues.models import Conversation

        call_command("seed_demo", stdout=StringIO())
        statement = f.statement()
        escalated = Conversation.objects.filter(escalated_at__isnull=False, language="de")
        self.assertTrue(escalated.exists())
        german = statement.translations.get(language="de").body
        for convo in escalated:
            self.assertEqual(convo.messages.get(clipping=statement).body, german)
