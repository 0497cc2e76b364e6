"""Escalation notices end to end: an escalation through the service, `manage.py deliver`, and what arrived in a real
Synapse room (tests/synapse.py) or a Slack that speaks chat.postMessage and conversations.history (fake_slack.py)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from queues import services
from queues.models import CloseReason, EscalationReason, Event, Notice
from queues.notices import outbox
from queues.outbox import engine
from tests import factories as f
from tests.fake_slack import TOKEN, FakeSlack

pytestmark = pytest.mark.django_db

CUSTOMER_WORDS = "my bookmarks vanished after the update"
NOTE = "Asked for the sync log; nothing in it."


def escalate(convo, agent, **options):
    return services.escalate_conversation(
        conversation_id=convo.pk,
        actor=agent,
        reason=options.pop("reason", EscalationReason.NEEDS_PRODUCT_TEAM),
        note=NOTE,
        **options,
    )


def deliver():
    out = io.StringIO()
    call_command("deliver", "--once", stdout=out)
    return out.getvalue()


@pytest.fixture
def agent(db):
    return f.UserFactory(username="alice", is_staff=True)


def conversation_for(product):
    return f.ConversationFactory(product=product, author_name="Dana Ruiz", body=CUSTOMER_WORDS)


@pytest.fixture
def matrix(homeserver, settings):
    settings.MATRIX_HOMESERVER_URL = homeserver.base_url
    settings.MATRIX_ACCESS_TOKEN = homeserver.bot.access_token
    settings.DELIVERY_BACKEND = "platforms"
    settings.PORTAL_URL = "https://portal.example.org"
    return homeserver


def room_product(homeserver, **fields):
    alias, room_id = homeserver.new_room()
    return f.ProductFactory(matrix_room=alias, slack_channel="", **fields), room_id


def bodies(homeserver, room_id):
    return [event["content"]["body"] for event in homeserver.messages(room_id, sender=homeserver.bot.user_id)]


def test_one_escalation_posts_exactly_one_public_notice_in_the_room(matrix, agent):
    product, room_id = room_product(matrix)
    convo = conversation_for(product)
    escalate(convo, agent)
    deliver()
    [body] = bodies(matrix, room_id)
    assert f"Escalated: conversation #{convo.pk} ({product.name})" in body
    assert "Cannot be solved by the agent" in body and "alice" in body
    assert f"https://portal.example.org/conversations/{convo.pk}/" in body
    for private in ("Dana", CUSTOMER_WORDS, NOTE):
        assert private not in body
    notice = Notice.objects.get(conversation=convo)
    assert notice.delivery == "sent" and notice.external_id.startswith("$")
    assert Event.objects.filter(conversation=convo, kind=Event.Kind.NOTICE_POSTED).count() == 1
    deliver()
    assert len(bodies(matrix, room_id)) == 1


def test_a_private_room_gets_the_customer_and_the_note(matrix, agent):
    product, room_id = room_product(matrix, matrix_private=True)
    escalate(conversation_for(product), agent)
    deliver()
    [body] = bodies(matrix, room_id)
    assert "Dana Ruiz" in body and CUSTOMER_WORDS in body and NOTE in body


def test_a_worker_killed_after_the_put_posts_nothing_twice(matrix, agent, settings):
    product, room_id = room_product(matrix)
    convo = conversation_for(product)
    escalate(convo, agent)
    kind = outbox.Notices()
    item = engine.claim(kind, owner="doomed-worker")
    kind.send(item)  # the PUT arrived; the worker dies before it records the answer
    assert len(bodies(matrix, room_id)) == 1
    Notice.objects.filter(pk=item.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    deliver()
    assert len(bodies(matrix, room_id)) == 1
    notice = Notice.objects.get(pk=item.pk)
    assert notice.delivery == "sent"


def test_a_room_without_the_bot_fails_with_a_reason_the_page_shows(matrix, agent, client):
    product = f.ProductFactory(matrix_room=matrix.foreign_room_alias, slack_channel="")
    convo = conversation_for(product)
    escalate(convo, agent)
    deliver()
    notice = Notice.objects.get(conversation=convo)
    assert notice.delivery == "failed"
    assert "not in" in notice.delivery_reason and "invite" in notice.delivery_reason
    event = Event.objects.get(conversation=convo, kind=Event.Kind.NOTICE_FAILED)
    assert event.details["destination"] == matrix.foreign_room_alias
    client.force_login(agent)
    page = client.get(convo.get_absolute_url()).content.decode()
    assert "could not tell the product team" in page
    assert matrix.foreign_room_alias in page


def test_an_unknown_room_fails_naming_it(matrix, agent):
    product = f.ProductFactory(matrix_room="#nobody-here:localhost", slack_channel="")
    convo = conversation_for(product)
    escalate(convo, agent)
    deliver()
    notice = Notice.objects.get(conversation=convo)
    assert notice.delivery == "failed"
    assert "#nobody-here:localhost" in notice.delivery_reason


def test_closing_the_escalation_follows_up_in_the_thread(matrix, agent):
    product, room_id = room_product(matrix)
    convo = conversation_for(product)
    escalate(convo, agent)
    deliver()
    services.close_conversation(conversation_id=convo.pk, actor=agent, reason=CloseReason.RESOLVED)
    deliver()
    first, follow_up = matrix.messages(room_id, sender=matrix.bot.user_id)
    assert "closed (Resolved) by alice" in follow_up["content"]["body"]
    relation = follow_up["content"]["m.relates_to"]
    assert relation["rel_type"] == "m.thread" and relation["event_id"] == first["event_id"]


@pytest.fixture
def slack(settings):
    server = FakeSlack().start()
    settings.SLACK_API_URL = server.base_url
    settings.SLACK_BOT_TOKEN = TOKEN
    settings.DELIVERY_BACKEND = "platforms"
    yield server
    server.stop()


def test_slack_gets_one_notice_and_a_follow_up_in_its_thread(slack, agent):
    product = f.ProductFactory(matrix_room="", slack_channel="#fenix")
    convo = conversation_for(product)
    escalate(convo, agent)
    deliver()
    services.move_to_queue(conversation_id=convo.pk, actor=agent, queue_id=convo.channel.working_queue_id)
    deliver()
    first, follow_up = slack.messages("C0FENIX001")
    assert f"conversation #{convo.pk}" in first["text"] and CUSTOMER_WORDS not in first["text"]
    assert follow_up["thread_ts"] == first["ts"]
    assert "moved to" in follow_up["text"]
    assert first["metadata"]["event_payload"]["notice_id"] == str(Notice.objects.filter(conversation=convo).first().pk)


def test_a_lost_slack_answer_is_looked_for_before_posting_again(slack, agent):
    product = f.ProductFactory(matrix_room="", slack_channel="C0FENIX001")
    convo = conversation_for(product)
    escalate(convo, agent)
    slack.fail_next("chat.postMessage", "lost_answer")
    deliver()
    notice = Notice.objects.get(conversation=convo)
    assert notice.delivery == "queued"  # retried later, not unknown for good
    assert len(slack.messages("C0FENIX001")) == 1
    Notice.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now())
    deliver()
    notice.refresh_from_db()
    assert notice.delivery == "sent"
    assert len(slack.messages("C0FENIX001")) == 1
    assert any(method == "conversations.history" for method, _params in slack.calls)


def test_a_target_that_is_not_configured_waits_and_says_why(agent, settings):
    settings.DELIVERY_BACKEND = "platforms"
    settings.SLACK_BOT_TOKEN = ""
    product = f.ProductFactory(matrix_room="", slack_channel="#fenix")
    convo = conversation_for(product)
    escalate(convo, agent)
    deliver()
    notice = Notice.objects.get(conversation=convo)
    assert notice.delivery == "queued"
    assert "SLACK_BOT_TOKEN" in notice.delivery_reason
    assert notice.attempts == 0


@override_settings(DELIVERY_BACKEND="console", DELIVERY_CONSOLE_DELAY_SECONDS=0)
def test_the_console_backend_prints_notices_for_the_demo(agent):
    product = f.ProductFactory(matrix_room="#fenix:mozilla.org", slack_channel="#android-support")
    convo = conversation_for(product)
    escalate(convo, agent, reason=EscalationReason.OTHER, other_reason="Press")
    out = deliver()
    assert "#fenix:mozilla.org" in out and "#android-support" in out
    assert set(Notice.objects.filter(conversation=convo).values_list("delivery", flat=True)) == {"sent"}


def test_the_admin_lists_notices_and_sends_a_failed_one_again(matrix, agent, client):
    # A room of the reader's that the bot is not in (yet).
    room = {"room_alias_name": f"team-{timezone.now().timestamp():.0f}", "preset": "public_chat"}
    room_id = matrix.request(matrix.reader, "POST", "/_matrix/client/v3/createRoom", json=room)["room_id"]
    alias = f"#{room['room_alias_name']}:localhost"
    product = f.ProductFactory(matrix_room=alias, slack_channel="")
    convo = conversation_for(product)
    escalate(convo, agent)
    deliver()
    notice = Notice.objects.get(conversation=convo)
    assert notice.delivery == "failed"
    admin_user = f.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    listing = client.get("/admin/queues/notice/?delivery__exact=failed").content.decode()
    assert alias in listing and "invite" in listing
    page = client.get(f"/admin/queues/notice/{notice.pk}/change/").content.decode()
    assert "M_FORBIDDEN" in page  # the attempt, with the homeserver's own words
    # An admin invites the bot into the room, then sends the notice again.
    matrix.request(matrix.admin, "POST", f"/_synapse/admin/v1/join/{room_id}", json={"user_id": matrix.bot.user_id})
    response = client.post(
        "/admin/queues/notice/", {"action": "send_notices_again", "_selected_action": [notice.pk]}, follow=True
    )
    assert "Queued 1 again." in response.content.decode()
    deliver()
    notice.refresh_from_db()
    assert notice.delivery == "sent"
    assert Event.objects.filter(conversation=convo, kind=Event.Kind.NOTICE_SENT_AGAIN, actor=admin_user).exists()


def test_a_test_notice_reports_each_platforms_answer(matrix, slack, client):
    alias, room_id = matrix.new_room()
    product = f.ProductFactory(matrix_room=alias, slack_channel="#closed-team")
    client.force_login(f.UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/queues/product/", {"action": "send_test_notices", "_selected_action": [product.pk]}, follow=True
    )
    page = response.content.decode()
    assert f"Matrix {alias}: posted ($" in page
    assert "Slack #closed-team: refused:" in page and "not_in_channel" in page
    [body] = bodies(matrix, room_id)
    assert "Test notice" in body
