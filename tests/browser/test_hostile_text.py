"""Customer text comes from the open internet: on every page and in the admin it stays inert text."""

import pytest
from django.contrib.auth import get_user_model

from queues import services
from queues.models import Tag
from tests import factories as f
from tests.browser.conftest import check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LONG = "A" * 5000  # one unbreakable word
HOSTILE = {
    "author_name": "<script>window.__pwned = 'author'; alert('author')</script>",
    "author_handle": '"><img src=x onerror="window.__pwned=\'handle\'">',
    "title": "<svg onload=\"window.__pwned='title'\"></svg>{{ 7|add:1 }}",
    "body": (
        "{% now 'Y' %} {{ request.user }} <a href=\"javascript:window.__pwned='body'\">click</a> "
        "<iframe src=\"javascript:window.__pwned='frame'\"></iframe> \x07\x1b[31m red \u202egnp.exe "
        "<style>body{display:none}</style> " + LONG
    ),
    "permalink": "javascript:window.__pwned='link'",
}
MARKERS = ["<script>window.__pwned", '"><img src=x', "<svg onload=", "{{ 7|add:1 }}", "{% now 'Y' %}"]


@pytest.fixture
def hostile(db):
    staff = get_user_model().objects.create_superuser("root", "root@example.com", f.PASSWORD)
    tag = Tag.objects.create(name="<b onmouseover=alert(1)>tag</b>", slug="hostile")
    convo = f.ConversationFactory(assignee=staff, rating=1, **HOSTILE)
    convo.tags.add(tag)
    services.add_note(conversation_id=convo.pk, actor=staff, body=HOSTILE["author_name"])
    services.record_customer_message(
        conversation_id=convo.pk, body=HOSTILE["author_handle"], author_name=HOSTILE["title"]
    )
    return convo


def assert_inert(page, *, markers=MARKERS, check_width=True):
    assert page.dialogs == [], page.dialogs
    assert page.evaluate("window.__pwned") is None
    injected = page.evaluate(
        """() => ({
            img: document.querySelectorAll('img[src="x"]').length,
            svg: document.querySelectorAll('svg[onload]').length,
            iframe: document.querySelectorAll('iframe').length,
            js_links: [...document.querySelectorAll('a[href]')]
                .filter(a => a.href.trim().toLowerCase().startsWith('javascript:')).length,
            inline_scripts: [...document.querySelectorAll('script:not([src])')]
                .filter(s => s.type !== 'application/json').length,
            styles: document.querySelectorAll('main style').length,
            hostile_tag: document.querySelectorAll('b[onmouseover]').length,
        })"""
    )
    assert injected == {
        "img": 0,
        "svg": 0,
        "iframe": 0,
        "js_links": 0,
        "inline_scripts": 0,
        "styles": 0,
        "hostile_tag": 0,
    }, injected
    text = page.inner_text("body")
    for marker in markers:
        assert marker in text, marker
    if check_width:
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the page scrolls sideways by {overflow}px"
    assert page.csp_violations == [], page.csp_violations


@pytest.fixture
def watched(page):
    page.csp_violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and page.csp_violations.append(message.text),
    )
    return page


def test_hostile_text_is_inert_on_every_page(watched, live_server, hostile):
    page = watched
    sign_in(page, live_server, "root")
    assert_inert(page, markers=[HOSTILE["author_handle"][:10]])  # the dashboard lists it under "Assigned to me"
    page.goto(f"{live_server.url}/conversations/{hostile.pk}/")
    assert_inert(page)
    assert page.get_by_role("link", name="Open the original").count() == 0  # a javascript: link is not offered
    check_page(page, "hostile-detail")
    page.goto(f"{live_server.url}/conversations/?q=pwned")
    assert_inert(page, markers=["<script>window.__pwned"])
    check_page(page, "hostile-list")


def test_hostile_text_is_inert_in_the_admin(watched, live_server, hostile):
    page = watched
    sign_in(page, live_server, "root")
    for path in [
        "/admin/queues/conversation/",
        f"/admin/queues/conversation/{hostile.pk}/change/",
        "/admin/queues/note/",
        "/admin/queues/message/",
        "/admin/queues/event/",
        "/admin/queues/tag/",
    ]:
        page.goto(live_server.url + path)
        assert page.title() != "Server Error (500)"
        assert_inert(page, markers=[], check_width=False)
    page.goto(f"{live_server.url}/admin/queues/conversation/{hostile.pk}/change/")
    assert "<script>window.__pwned" in page.inner_text("body")
    check_page(page, "hostile-admin-change", accessibility=False)
