"""Two agents on one conversation, double clicks, the keyboard, a phone: the workspace as people use it all day."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from queues import services
from queues.models import Clipping, EscalationReason, Event, Message, Queue
from tests import factories as f
from tests.browser.conftest import PHONE, TIMEOUT_MS, check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def world(settings):
    settings.PRESENCE_POLL_MS = 1000  # the page asks every second here; 10 s in production
    now = timezone.now()
    alice = f.agent(username="alice", first_name="Alice")
    bob = f.agent(username="bob", first_name="Bob")
    Clipping.objects.create(title="Clear cache", body="Could you clear the cache and restart, then tell us?")
    Clipping.objects.create(title="Thanks", body="Thanks for writing to us!")
    on_hold = f.queue_of_kind(Queue.Kind.ON_HOLD)
    on_hold.auto_close_after = timedelta(days=7)
    on_hold.save()
    x = f.channel("@FirefoxSupport")
    convo = f.ConversationFactory(
        channel=x, author_name="Mara Okafor", author_handle="@mara", received_at=now - timedelta(hours=5)
    )
    f.ConversationFactory(
        channel=x,
        author_handle="@mara",
        body="Last month: sync stopped",
        received_at=now - timedelta(days=30),
        status="closed",
        closed_at=now - timedelta(days=29),
    )
    waiting = f.ConversationFactory(channel=x, author_name="Ola", received_at=now - timedelta(hours=4))
    return {"alice": alice, "bob": bob, "convo": convo, "waiting": waiting, "on_hold": on_hold}


@pytest.fixture
def second_page(chromium):
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.dialogs = []
    yield page
    context.close()


def detail_url(live_server, convo):
    return f"{live_server.url}/conversations/{convo.pk}/"


def test_two_agents_on_one_conversation_see_each_other_and_a_stale_click_changes_nothing(
    page, second_page, live_server, world
):
    convo = world["convo"]
    alice, bob = page, second_page
    sign_in(alice, live_server, "alice")
    sign_in(bob, live_server, "bob")
    alice.goto(detail_url(live_server, convo))
    bob.goto(detail_url(live_server, convo))
    assert alice.get_by_text("Last month: sync stopped").is_visible()  # the customer's other conversation

    # Bob writes a reply: Alice's page says so within seconds.
    bob.fill("textarea.reply-body", "Looking at it")
    alice.wait_for_selector("#collision-notice >> text=Bob is replying")
    check_page(alice, "collision-typing")

    # Bob escalates; Alice's page notices, and her stale "Put on hold" changes nothing.
    bob.locator("summary", has_text="Escalate").click()
    bob.select_option("#escalate-reason", value=EscalationReason.SENSITIVE)
    bob.fill("#escalate-note", f.STEPS)
    bob.get_by_role("button", name="Escalate").click()
    bob.wait_for_selector("text=Where to ask for help")
    alice.wait_for_selector("#collision-notice >> text=Bob escalated it")
    assert alice.get_by_role("link", name="Reload to see it as it is now").is_visible()
    check_page(alice, "collision-changed")
    alice.locator("summary", has_text="Put on hold").click()
    alice.get_by_role("button", name="Put on hold").click()
    alice.wait_for_selector("text=Nothing was done: this conversation changed since you opened it.")
    assert alice.url == detail_url(live_server, convo)
    assert "Bob escalated it" in alice.locator(".alert-warning").first.inner_text()
    convo.refresh_from_db()
    assert convo.stage == "escalated"
    assert convo.assignee == world["bob"]  # unassigned until Bob escalated it: now his
    assert not Event.objects.filter(conversation=convo, kind=Event.Kind.PUT_ON_HOLD).exists()
    assert re.fullmatch(r"\d+\xa0minutes? ago", alice.locator("dt:text-is('Escalated') + dd").inner_text())
    check_page(alice, "collision-refused")


def test_a_double_clicked_escalate_escalates_once_and_shows_the_success(page, live_server, world):
    convo = world["convo"]
    sign_in(page, live_server, "alice")
    page.goto(detail_url(live_server, convo))
    page.locator("summary", has_text="Escalate").click()
    page.select_option("#escalate-reason", value=EscalationReason.SENSITIVE)
    page.fill("#escalate-note", f.STEPS)
    page.get_by_role("button", name="Escalate").dblclick()
    page.wait_for_selector("text=Where to ask for help")
    assert page.get_by_text(re.compile("^Escalated: the statement was queued")).is_visible()
    assert page.get_by_text("Cannot escalate").count() == 0
    assert Event.objects.filter(conversation=convo, kind=Event.Kind.ESCALATED).count() == 1
    assert Message.objects.filter(conversation=convo).count() == 1


def test_the_keyboard_browses_clippings_and_the_statement_as_a_plain_reply_asks_first(page, live_server, world):
    convo = world["convo"]
    sign_in(page, live_server, "alice")
    page.goto(detail_url(live_server, convo))
    picker = page.locator("select.clipping-picker")
    picker.focus()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    # Browsing shows the text; the reply box stays as it was and keeps no focus.
    assert page.input_value("textarea.reply-body") == ""
    assert page.evaluate("document.activeElement.id") == "reply-clipping"
    assert page.locator(".clipping-preview").inner_text() != ""
    page.select_option("select.clipping-picker", label="Thanks")
    picker.focus()
    page.keyboard.press("Enter")
    assert page.input_value("textarea.reply-body") == "Thanks for writing to us!"
    assert page.evaluate("document.activeElement.id") == "reply-body"

    # The escalation statement sent as a plain reply: the page asks whether that was meant.
    page.fill("textarea.reply-body", "")
    page.select_option("select.clipping-picker", label="Escalation statement")
    page.get_by_role("button", name="Insert").click()
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_selector("text=Did you mean to escalate?")
    assert page.url == detail_url(live_server, convo)  # the conversation's own address, reloadable
    assert not Message.objects.filter(conversation=convo).exists()
    check_page(page, "statement-asks")
    page.get_by_label("Yes, send the escalation statement as a plain reply, without escalating").check()
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_selector("text=The reply will be sent to X in a moment.")
    assert Message.objects.filter(conversation=convo).count() == 1
    assert page.locator(".timeline-outbound").count() == 1  # once: a card, no event line besides


def test_hold_and_next_goes_on_to_the_next_conversation_and_says_when_it_auto_closes(page, live_server, world):
    convo, waiting = world["convo"], world["waiting"]
    services.assign_conversation(conversation_id=convo.pk, actor=world["alice"], assignee_id=world["alice"].pk)
    sign_in(page, live_server, "alice")
    page.goto(detail_url(live_server, convo))
    page.locator("summary", has_text="Put on hold").click()
    page.locator("#put_on_hold-and_next").check()
    page.get_by_role("button", name="Put on hold").click()
    page.wait_for_url(detail_url(live_server, waiting))
    assert page.get_by_text(
        re.compile(r"Auto-closes on \d+ \w+ \(in 7 days\) if the customer stays silent")
    ).is_visible()
    page.locator("summary", has_text="Close").click()
    assert page.locator("#close-and_next").is_checked()  # it sticks
    page.goto(f"{live_server.url}/conversations/?sort=longest_in_queue")
    assert page.get_by_text(re.compile(r"Auto-closes on \d+ \w+ \(in 7 days\)")).is_visible()
    check_page(page, "list-longest-in-queue")
    page.goto(f"{live_server.url}/")
    check_page(page, "dashboard-time-in-queue")


def test_on_a_phone_the_list_is_compact_cards(page, live_server, world):
    f.ConversationFactory.create_batch(20, channel=f.channel("@FirefoxSupport"), body="word " * 60)
    sign_in(page, live_server, "alice")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/conversations/")
    rows = page.locator("table.conversation-table tbody tr")
    first = rows.first.bounding_box()
    assert first["width"] > 300  # a card as wide as the screen, not a 80 px column
    assert first["height"] < 200
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1
    page.set_viewport_size({"width": 1366, "height": 900})
    check_page(page, "list-cards")


def test_the_portals_own_error_pages(page, live_server, world):
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/conversations/999999/")
    assert page.get_by_role("heading", name="Not found").is_visible()
    check_page(page, "error-404")
    page.goto(f"{live_server.url}/conversations/{world['convo'].pk}/reply/")
    assert page.get_by_role("heading", name="This address only takes a button press").is_visible()
    check_page(page, "error-405")
