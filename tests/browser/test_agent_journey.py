"""A new agent's day, in a real browser."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from queues.models import Clipping, Conversation, Message, Product, Queue, Status
from tests import factories as f
from tests.browser.conftest import check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def world():
    now = timezone.now()
    agent = f.agent(username="newbie", first_name="Nia")
    Clipping.objects.create(title="Clear cache", body="Could you clear the cache and restart, then tell us?")
    x, play = f.channel("@FirefoxSupport"), f.channel("org.mozilla.firefox")
    social = f.ConversationFactory(
        channel=x,
        author_name="Mara Okafor",
        body="Bookmarks toolbar vanished after the update",
        received_at=now - timedelta(hours=5),
    )
    review = f.ConversationFactory(
        channel=play,
        author_name="Tomasz Novak",
        title="Crashes",
        body="Crashes on every new tab",
        rating=1,
        product=Product.objects.get(slug="firefox-android"),
        received_at=now - timedelta(hours=4),
    )
    return {"agent": agent, "social": social, "review": review}


def next_in(page, queue_name):
    page.get_by_role("button", name=f"Next conversation in {queue_name}").click()
    page.wait_for_url(re.compile(r"/conversations/\d+/$"))
    assert page.get_by_text("is now assigned to you").is_visible()


def open_section(page, title):
    page.locator("summary", has_text=title).click()


def test_a_new_agent_works_escalates_and_closes(page, live_server, world):
    social, review = world["social"], world["review"]
    sign_in(page, live_server, "newbie")
    check_page(page, "dashboard")

    next_in(page, "Social support")
    assert page.url.endswith(f"/conversations/{social.pk}/")
    assert page.get_by_text("Bookmarks toolbar vanished after the update").is_visible()
    check_page(page, "conversation-working")

    # Reply with a clipping: choosing one previews it; Insert fills the reply and the counter follows.
    page.select_option("select.clipping-picker", label="Clear cache")
    assert page.input_value("textarea.reply-body") == ""
    page.get_by_role("button", name="Insert").click()
    assert page.input_value("textarea.reply-body") == "Could you clear the cache and restart, then tell us?"
    assert page.locator(".reply-counter").inner_text() == "228 characters left"
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_selector("text=The reply will be sent to X in a moment.")
    assert page.locator(".timeline-outbound").filter(has_text="Could you clear the cache").count() == 1

    open_section(page, "Put on hold")
    page.get_by_role("button", name="Put on hold").click()
    page.wait_for_selector("text=if the customer stays silent.")
    social.refresh_from_db()
    assert social.queue.kind == Queue.Kind.ON_HOLD

    page.get_by_role("link", name="Dashboard").click()
    next_in(page, "Mobile support")
    assert page.url.endswith(f"/conversations/{review.pk}/")

    open_section(page, "Escalate")
    check_page(page, "conversation-escalate-form")
    page.select_option("#escalate-reason", value="needs_product_team")
    page.fill("#escalate-note", "Crash on every new tab; asked to clear cache, still crashing.")
    page.get_by_role("button", name="Escalate").click()
    page.wait_for_selector("text=Where to ask for help")
    panel = page.locator(".help-panel")
    assert panel.get_by_role("link", name="#fenix:mozilla.org").get_attribute("href") == (
        "https://matrix.to/#/#fenix:mozilla.org"
    )
    assert "#android-support" in panel.inner_text()
    check_page(page, "conversation-escalated")
    review.refresh_from_db()
    assert review.queue == review.channel.escalation_queue
    assert Message.objects.filter(conversation=review, clipping__is_escalation_statement=True).count() == 1

    open_section(page, "Close")
    page.select_option("#close-reason", value="resolved")
    page.get_by_role("button", name="Close", exact=True).click()
    page.wait_for_selector("text=Closed.")
    review.refresh_from_db()
    assert review.status == Status.CLOSED
    check_page(page, "conversation-closed")

    page.get_by_role("link", name="Conversations").first.click()
    check_page(page, "conversation-list")
    page.get_by_role("link", name="Mine").click()
    assert page.locator("table.conversation-table tbody tr").count() == 1  # the on-hold one is still mine
    page.get_by_role("link", name="Password").click()
    check_page(page, "change-password")
    assert page.dialogs == []


def test_the_counter_and_the_server_refuse_an_over_long_google_play_reply(page, live_server, world):
    review = world["review"]
    sign_in(page, live_server, "newbie")
    page.goto(f"{live_server.url}/conversations/{review.pk}/")
    page.fill("textarea.reply-body", "a" * 351)
    counter = page.locator(".reply-counter")
    assert counter.inner_text() == "2 characters over the limit"
    assert "over" in counter.get_attribute("class")
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_selector("text=Google Play replies must be under 350 characters; this one has 351.")
    assert page.get_by_text("Nothing was changed: see the error below.").is_visible()
    check_page(page, "reply-error")
    assert not Message.objects.filter(conversation=review).exists()

    page.fill("textarea.reply-body", "火" * 10 + " 😀")
    assert counter.inner_text() == "337 characters left"  # Google Play counts characters, not weights


def test_x_counter_weighs_cjk_emoji_and_urls(page, live_server, world):
    sign_in(page, live_server, "newbie")
    page.goto(f"{live_server.url}/conversations/{world['social'].pk}/")
    page.fill("textarea.reply-body", "火火 👍🏽 https://support.mozilla.org/kb/a-very-long-article-name")
    assert page.locator(".reply-counter").inner_text() == f"{280 - (4 + 1 + 2 + 1 + 23)} characters left"


def test_escalation_errors_show_on_the_form_and_change_nothing(page, live_server, world):
    social = world["social"]
    sign_in(page, live_server, "newbie")
    page.goto(f"{live_server.url}/conversations/{social.pk}/")
    open_section(page, "Escalate")
    page.select_option("#escalate-reason", value="other")
    page.get_by_role("button", name="Escalate").click()
    # The browser's own required check stops an empty note; the server's error shows when it gets through.
    page.evaluate("document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))")
    page.get_by_role("button", name="Escalate").click()
    page.wait_for_selector("text=Describe the problem and the steps you suggested to the customer.")
    assert page.get_by_text("Say what the other reason is.").is_visible()
    check_page(page, "escalate-error")
    social.refresh_from_db()
    assert social.queue == social.channel.working_queue
    assert not Conversation.objects.filter(queue__kind=Queue.Kind.ESCALATION).exists()


def test_anonymous_visitors_only_see_sign_in(page, live_server, world):
    page.goto(f"{live_server.url}/conversations/{world['social'].pk}/")
    assert "/accounts/login/?next=" in page.url
    page.fill("#id_username", "newbie")
    page.fill("#id_password", "wrong")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=Please enter a correct username and password")
    check_page(page, "sign-in-error")
