"""The agents' main pages and the admin's conversation list in Korean, German and Arabic, at desktop and phone sizes:
drawn in the language (right to left for Arabic), nothing wider than the window, the scripts speaking it too.
Screenshots land in test-artifacts/screenshots/<page>-<language>-<size>.png to be looked at."""

from datetime import timedelta

import pytest
from django.utils import timezone

from queues import services
from queues.models import Clipping, ClippingTranslation, EscalationReason, Preferences, Product
from tests import factories as f
from tests.browser.conftest import check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
# What each language's pages say, and the live counter's words for the reply box.
EXPECTED = {
    "ko": {"dashboard": "대시보드", "counter": "자 남음", "dir": "ltr"},
    "de": {"dashboard": "Übersicht", "counter": "Zeichen", "dir": "ltr"},
    "ar": {"dashboard": "لوحة المعلومات", "counter": "بقي", "dir": "rtl"},
}


@pytest.fixture
def world():
    now = timezone.now()
    admin = f.admin(username="ada", first_name="Ada")
    x, play = f.channel("@FirefoxSupport"), f.channel("org.mozilla.firefox")
    thanks = Clipping.objects.create(title="Thanks", body="Thank you for writing to us!")
    ClippingTranslation.objects.create(clipping=thanks, language="ja", body="ご連絡ありがとうございます。")
    f.ConversationFactory(channel=x, author_name="Mara Okafor", body="Bookmarks toolbar vanished after the update")
    f.ConversationFactory(
        channel=play,
        author_name="ليلى حداد",
        title="يتوقف",
        body="يتوقف التطبيق عند فتح علامة تبويب",
        rating=2,
        language="ar",
        received_at=now - timedelta(days=2),
    )
    escalated = f.ConversationFactory(
        channel=play,
        author_name="Aiko Tanaka",
        title="クラッシュ",
        body="新しいタブを開くたびにクラッシュします。",
        rating=1,
        language="ja",
        product=Product.objects.get(slug="firefox-android"),
        received_at=now - timedelta(hours=30),
    )
    services.escalate_conversation(
        conversation_id=escalated.pk,
        actor=admin,
        reason=EscalationReason.NEEDS_PRODUCT_TEAM,
        note="Asked for the version; still crashes.",
    )
    working = f.ConversationFactory(
        channel=x, author_name="Jonas Lindqvist", body="Sync stopped working", language="de"
    )
    return {"admin": admin, "escalated": escalated, "working": working}


def wider_than_the_window(page) -> list[str]:
    """The elements that stick out of the window sideways (in either direction: right to left pages grow leftwards),
    outside the tables' own scrolling boxes."""
    return page.evaluate(
        """() => {
        const width = document.documentElement.clientWidth;
        const page = document.documentElement.scrollWidth;
        if (page > width + 1) return ["the page: " + page + "px"];
        return [...document.querySelectorAll("body *")]
          .filter(e => !e.closest(".table-responsive") && e.getClientRects().length)
          .filter(e => { const r = e.getBoundingClientRect(); return r.right > width + 1 || r.left < -1; })
          .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + [...e.classList].join(".")
               + " " + JSON.stringify((e.innerText || "").slice(0, 40)));
        }"""
    )


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", EXPECTED)
def test_the_main_pages_in_each_language(chromium, live_server, world, language, size):
    Preferences.objects.create(user=world["admin"], language=language, time_zone="Asia/Seoul")
    context = chromium.new_context(viewport=SIZES[size])
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, live_server, "ada")
        expected = EXPECTED[language]
        pages = [
            ("dashboard", "/"),
            ("list", "/conversations/"),
            ("conversation-escalated", f"/conversations/{world['escalated'].pk}/"),
            ("conversation-working", f"/conversations/{world['working'].pk}/"),
            ("admin-conversations", "/admin/queues/conversation/"),
        ]
        for name, path in pages:
            page.goto(live_server.url + path)
            assert page.locator("html").get_attribute("lang") == language, name
            if not name.startswith("admin"):
                assert page.locator("html").get_attribute("dir") == expected["dir"], name
            check_page(page, f"{name}-{language}-{size}", accessibility=not name.startswith("admin"))
            if not name.startswith("admin"):
                sticking_out = wider_than_the_window(page)
                assert not sticking_out, f"{name} ({language}, {size}) is wider than the window: {sticking_out[:5]}"
        page.goto(live_server.url + "/")
        assert page.get_by_role("heading", name=expected["dashboard"]).is_visible()
        page.goto(live_server.url + f"/conversations/{world['working'].pk}/")
        assert expected["counter"] in page.locator(".reply-counter").inner_text()
    finally:
        context.close()


def test_the_picker_says_which_language_it_inserts_and_offers_english(chromium, live_server, world):
    Preferences.objects.create(user=world["admin"], language="en")
    page = chromium.new_page(viewport=SIZES["desktop"])
    try:
        sign_in(page, live_server, "ada")
        convo = f.ConversationFactory(channel=f.channel("@FirefoxSupport"), language="ja", body="ありがとう")
        page.goto(live_server.url + f"/conversations/{convo.pk}/")
        page.select_option("select.clipping-picker", label="Thanks")
        # Choosing previews it; the Insert button puts it in (tests/browser/test_workspace_journey.py).
        page.locator("button.clipping-insert").click()
        assert page.locator("textarea.reply-body").input_value() == "ご連絡ありがとうございます。"
        assert page.locator(".clipping-language").inner_text().startswith("Inserted: the Japanese text.")
        page.get_by_role("button", name="Insert the English text instead").click()
        assert page.locator("textarea.reply-body").input_value() == "Thank you for writing to us!"
        check_page(page, "clipping-picker-languages")
    finally:
        page.close()


def test_anyone_can_switch_the_sign_in_page_to_arabic(chromium, live_server):
    page = chromium.new_page(viewport=SIZES["phone"])
    try:
        page.goto(live_server.url + "/accounts/login/")
        page.select_option("#language-choice", "ar")
        page.get_by_role("button", name="Change").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.get_by_role("button", name="تسجيل الدخول").is_visible()
        assert not wider_than_the_window(page)
        check_page(page, "sign-in-ar-phone")
    finally:
        page.close()
