"""The Matrix client against a real Synapse on loopback (tests/synapse.py starts it; .ci/synapse-venv installs it)."""

import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
import requests

from queues.notices import matrix
from queues.platforms.transport import Failed, RetryLater


def send(homeserver, *, room, txn_id=None, body="Fenix: escalated", html="<b>Fenix</b>: escalated", **kwargs):
    return matrix.send_notice(
        base_url=kwargs.pop("base_url", homeserver.base_url),
        token=kwargs.pop("token", homeserver.bot.access_token),
        room=room,
        txn_id=txn_id or uuid.uuid4().hex,
        body=body,
        formatted_body=html,
        **kwargs,
    )


def test_one_notice_arrives_once_as_an_html_notice_from_the_bot(homeserver):
    alias, room_id = homeserver.new_room()

    sent = send(homeserver, room=alias, body="Conversation #12 escalated", html="<p>Conversation <b>#12</b></p>")

    events = homeserver.messages(room_id, sender=homeserver.bot.user_id)
    assert [event["event_id"] for event in events] == [sent.external_id]
    assert events[0]["content"] == {
        "msgtype": "m.notice",
        "body": "Conversation #12 escalated",
        "format": "org.matrix.custom.html",
        "formatted_body": "<p>Conversation <b>#12</b></p>",
    }
    assert sent.details == {"room_id": room_id}
    assert sent.status == 200


def test_the_same_transaction_sent_twice_posts_one_event(homeserver):
    alias, room_id = homeserver.new_room()

    first = send(homeserver, room=alias, txn_id="notice-41-attempt-any")
    second = send(homeserver, room=alias, txn_id="notice-41-attempt-any")

    assert second.external_id == first.external_id
    assert len(homeserver.messages(room_id, sender=homeserver.bot.user_id)) == 1


class AnswerDroppingProxy(BaseHTTPRequestHandler):
    """Forwards a PUT to the homeserver, then hangs up before the answer: the homeserver posted, the caller
    never heard."""

    upstream = ""

    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {"Authorization": self.headers["Authorization"], "Content-Type": "application/json"}
        requests.put(f"{self.upstream}{self.path}", data=body, headers=headers, timeout=30)
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_a_lost_answer_may_be_retried_and_the_room_still_gets_one_event(homeserver):
    alias, room_id = homeserver.new_room()
    matrix.resolve_alias(homeserver.base_url, homeserver.bot.access_token, alias)
    handler = type("Proxy", (AnswerDroppingProxy,), {"upstream": homeserver.base_url})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        with pytest.raises(RetryLater):
            send(homeserver, room=room_id, txn_id="notice-7", base_url=f"http://127.0.0.1:{proxy.server_port}")
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert len(homeserver.messages(room_id, sender=homeserver.bot.user_id)) == 1

    sent = send(homeserver, room=room_id, txn_id="notice-7")

    assert [e["event_id"] for e in homeserver.messages(room_id, sender=homeserver.bot.user_id)] == [sent.external_id]


def test_a_follow_up_goes_into_the_thread_of_the_first_notice(homeserver):
    alias, room_id = homeserver.new_room()
    first = send(homeserver, room=alias, body="Escalated")

    follow_up = send(homeserver, room=alias, body="Closed", html="Closed", thread_root_event_id=first.external_id)

    event = homeserver.messages(room_id, sender=homeserver.bot.user_id)[-1]
    assert event["event_id"] == follow_up.external_id
    assert event["content"]["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": first.external_id,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": first.external_id},
    }
    thread = homeserver.request(
        homeserver.reader,
        "GET",
        f"/_matrix/client/v1/rooms/{quote(room_id, safe='')}/relations/{quote(first.external_id, safe='')}/m.thread",
    )
    assert [e["event_id"] for e in thread["chunk"]] == [follow_up.external_id]


def test_a_room_the_bot_is_not_in_fails_with_a_reason_an_admin_can_act_on(homeserver):
    with pytest.raises(Failed) as refused:
        send(homeserver, room=homeserver.foreign_room_alias)

    assert refused.value.status == 403
    assert refused.value.code == "M_FORBIDDEN"
    assert "the bot @fenixbot:localhost is not in #elsewhere:localhost" in refused.value.reason
    assert "invite it" in refused.value.reason
    assert homeserver.messages(homeserver.foreign_room_id, sender=homeserver.bot.user_id) == []


def test_an_unknown_alias_fails_with_a_reason_naming_it(homeserver):
    with pytest.raises(Failed) as refused:
        send(homeserver, room="#no-such-room:localhost")

    assert refused.value.status == 404
    assert refused.value.code == "M_NOT_FOUND"
    assert refused.value.reason.startswith("no room #no-such-room:localhost: check the product's Matrix room")


def test_a_wrong_access_token_fails_and_names_the_setting(homeserver):
    with pytest.raises(Failed) as refused:
        send(homeserver, room=homeserver.room_id, token="not-a-token")

    assert refused.value.status == 401
    assert refused.value.code == "M_UNKNOWN_TOKEN"
    assert "MATRIX_ACCESS_TOKEN" in refused.value.reason
    assert homeserver.messages(homeserver.room_id, sender=homeserver.bot.user_id) == []


def test_the_homeservers_rate_limit_waits_as_long_as_it_says(homeserver):
    chatty = homeserver.chatty
    room_id = homeserver.request(chatty, "POST", "/_matrix/client/v3/createRoom", json={})["room_id"]

    with pytest.raises(RetryLater) as limited:
        for _attempt in range(20):  # Synapse is configured for a burst of 3, then one message per 10 s
            asked_at = datetime.now(UTC)
            send(homeserver, room=room_id, token=chatty.access_token)

    assert limited.value.status == 429
    assert limited.value.code == "M_LIMIT_EXCEEDED"
    assert asked_at < limited.value.not_before <= datetime.now(UTC) + timedelta(seconds=11)


def test_an_alias_is_resolved_once_per_process(homeserver):
    alias, room_id = homeserver.new_room()
    session = CountingSession()

    first = matrix.resolve_alias(homeserver.base_url, homeserver.bot.access_token, alias, session=session)
    second = matrix.resolve_alias(homeserver.base_url, homeserver.bot.access_token, alias, session=session)

    assert first == second == room_id
    assert session.urls == [f"{homeserver.base_url}/_matrix/client/v3/directory/room/{quote(alias, safe='')}"]


class CountingSession(requests.Session):
    def __init__(self):
        super().__init__()
        self.urls = []

    def request(self, method, url, *args, **kwargs):
        self.urls.append(url)
        return super().request(method, url, *args, **kwargs)
