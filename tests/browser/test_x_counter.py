"""The live reply counter counts what the server will count: the stripped body, newlines as one."""

import pytest

from tests import factories as f
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def x_conversation():
    f.agent(username="newbie")
    return f.ConversationFactory(channel=f.channel("@FirefoxSupport"), body="Where did my bookmarks go?")


COUNTS = [
    ("a" * 279, "1 character left"),
    ("a" * 280, "0 characters left"),
    ("a" * 281, "1 character over the limit"),
    ("a" * 282, "2 characters over the limit"),
    # The server strips the reply and gets "\n" for a line break, however the browser submits it.
    ("  Hello\nworld\n\n  ", f"{280 - 11} characters left"),
    ("a\n" * 140, f"{280 - 279} character left"),
    # twitter-text's rules: a bare domain with a long ending, an emoji followed by joiners.
    ("see example.photography", f"{280 - 4 - 23} characters left"),
    ("👍" + "\u200d" * 300, "22 characters over the limit"),
]


def test_the_x_counter_counts_as_the_server(page, live_server, x_conversation):
    sign_in(page, live_server, "newbie")
    page.goto(f"{live_server.url}/conversations/{x_conversation.pk}/")
    shown = []
    for typed, _ in COUNTS:
        page.fill("textarea.reply-body", typed)
        shown.append(page.locator(".reply-counter").inner_text())
    assert shown == [expected for _, expected in COUNTS]
