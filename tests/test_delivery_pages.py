"""What agents and admins see of delivery: each reply's state, sending again, the dashboard and the admin."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from queues import services
from queues.models import Attempt, Event, Message
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client):
    user = f.agent(username="ada")
    client.force_login(user)
    return user


def make_reply(convo, delivery="queued", **fields):
    now = timezone.now()
    defaults = {"queued_at": now, "next_attempt_at": now}
    return Message.objects.create(
        conversation=convo,
        direction=Message.Direction.OUTBOUND,
        body=fields.pop("body", f"A reply that is {delivery}"),
        delivery=delivery,
        **{**defaults, **fields},
    )


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_each_reply_in_the_timeline_shows_what_became_of_it(client, agent):
    convo = f.ConversationFactory(channel=f.channel("@FirefoxSupport"))
    sent = make_reply(convo, "sent", external_id="1790000000000000099", sent_at=timezone.now())
    failed = make_reply(convo, "failed", delivery_reason="Your Tweet text is too long.")
    unknown = make_reply(convo, "unknown", delivery_reason="no answer within 20 s")
    make_reply(convo, "queued", delivery_reason="no credentials for @FirefoxSupport")
    make_reply(convo, "sending")

    page = client.get(convo.get_absolute_url()).content.decode()

    assert 'href="https://x.com/i/web/status/1790000000000000099"' in page
    assert "Sent <time" in page
    assert '<q dir="auto">Your Tweet text is too long.</q>' in page
    assert "check on X before sending again" in page
    assert "no credentials for @FirefoxSupport" in page
    assert ">Sending<" in page and ">Queued<" in page
    assert page.count("Send again</a>") == 2
    assert reverse("reply-send-again", args=[failed.pk]) in page
    assert reverse("reply-send-again", args=[unknown.pk]) in page
    assert reverse("reply-send-again", args=[sent.pk]) not in page


def test_the_conversation_page_costs_the_same_queries_however_many_replies_it_shows(
    client, agent, django_assert_num_queries
):
    convo = f.ConversationFactory(channel=f.channel("Firefox"))
    make_reply(convo, "sent", external_id="1_2", sent_at=timezone.now())
    client.get(convo.get_absolute_url())
    # session, user, permissions (2), the conversation, its tags, clippings, queues, products, timeline (3), ...:
    # counted once with one reply, then pinned with many.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(convo.get_absolute_url())
    for state in ("sent", "failed", "unknown", "queued", "sending") * 3:
        make_reply(convo, state, sent_at=timezone.now() if state == "sent" else None)

    with django_assert_num_queries(len(one)):
        client.get(convo.get_absolute_url())


def test_reply_success_message_says_where_and_when_it_goes(client, agent):
    convo = f.ConversationFactory(channel=f.channel("Firefox"))

    response = client.post(reverse("conversation-reply", args=[convo.pk]), {"body": "Sorry!"})

    assert said(response) == ["The reply will be sent to Facebook in a moment."]


def test_the_reply_form_warns_before_a_second_reply_on_a_play_review(client, agent):
    convo = f.ConversationFactory(channel=f.channel("org.mozilla.firefox"))
    notice = "a new one replaces the public reply on Google Play, and the customer is not notified again"
    assert notice not in client.get(convo.get_absolute_url()).content.decode()

    make_reply(convo, "sent", sent_at=timezone.now())

    assert notice in client.get(convo.get_absolute_url()).content.decode()


def test_an_unknown_reply_is_sent_again_only_once_the_agent_confirms(client, agent):
    convo = f.ConversationFactory(channel=f.channel("@FirefoxSupport"))
    reply = make_reply(convo, "unknown", delivery_reason="no answer within 20 s", lease_owner="host:1")
    url = reverse("reply-send-again", args=[reply.pk])

    page = client.get(url).content.decode()
    assert "Sending it again may post it twice." in page
    refused = client.post(url, {})
    reply.refresh_from_db()
    assert refused.status_code == 400 and reply.delivery == "unknown"

    response = client.post(url, {"confirmed": "on"})

    assert response.status_code == 302
    assert said(response) == ["The reply will be sent to X again in a moment."]
    reply.refresh_from_db()
    assert (reply.delivery, reply.delivery_reason, reply.lease_owner) == ("queued", "", "")
    assert reply.next_attempt_at <= timezone.now()
    event = Event.objects.get(kind=Event.Kind.SENT_AGAIN)
    assert event.actor == agent and event.details["message_id"] == reply.pk and event.details["was"] == "unknown"


def test_a_failed_reply_can_be_edited_and_sent_but_its_platforms_rules_still_apply(client, agent):
    convo = f.ConversationFactory(channel=f.channel("@FirefoxSupport"))
    reply = make_reply(convo, "failed", body="Too long…", delivery_reason="Your Tweet text is too long.")
    url = reverse("reply-send-again", args=[reply.pk])

    refused = client.post(url, {"body": "x" * 300})
    reply.refresh_from_db()
    assert refused.status_code == 400 and (reply.delivery, reply.body) == ("failed", "Too long…")

    client.post(url, {"body": "Shorter now."})

    reply.refresh_from_db()
    assert (reply.delivery, reply.body) == ("queued", "Shorter now.")
    details = Event.objects.get(kind=Event.Kind.SENT_AGAIN).details
    assert details["edited"] is True and details["previous_body"] == "Too long…"


def test_a_sent_reply_has_nothing_to_send_again(client, agent):
    convo = f.ConversationFactory()
    reply = make_reply(convo, "sent", sent_at=timezone.now())

    response = client.post(reverse("reply-send-again", args=[reply.pk]), {"confirmed": "on"})

    assert response.status_code == 302
    assert said(response) == ["That reply is sent: there is nothing to send again."]
    reply.refresh_from_db()
    assert reply.delivery == "sent" and not Event.objects.filter(kind=Event.Kind.SENT_AGAIN).exists()


def test_dashboard_counts_undelivered_replies_and_links_to_their_conversations(client, agent):
    failed_convo, unknown_convo, late_convo, fresh_convo, fine_convo = f.ConversationFactory.create_batch(5)
    make_reply(failed_convo, "failed")
    make_reply(unknown_convo, "unknown")
    make_reply(late_convo, "queued", queued_at=timezone.now() - timedelta(minutes=6))
    make_reply(fresh_convo, "queued")
    make_reply(fine_convo, "sent", sent_at=timezone.now())

    page = client.get(reverse("dashboard")).content.decode()

    assert "3 replies failed, are unknown, or have waited more than five minutes." in page
    link = reverse("conversation-list") + "?delivery=undelivered"
    assert link in page
    listed = client.get(link).context["page"]
    assert {c.pk for c in listed.rows} == {failed_convo.pk, unknown_convo.pk, late_convo.pk}


def test_admin_lists_attempts_read_only_and_filters_messages_by_delivery(client):
    admin = f.admin(username="root")
    client.force_login(admin)
    convo = f.ConversationFactory()
    unknown = make_reply(convo, "unknown")
    make_reply(convo, "sent", sent_at=timezone.now())
    Attempt.objects.create(
        message=unknown, started_at=timezone.now(), outcome="unknown", words="no answer within 20 s", worker="h:1"
    )

    attempts = client.get(reverse("admin:queues_attempt_changelist"))
    assert attempts.status_code == 200 and "no answer within 20 s" in attempts.content.decode()
    assert client.get(reverse("admin:queues_attempt_add")).status_code == 403
    filtered = client.get(reverse("admin:queues_message_changelist"), {"delivery__exact": "unknown"})
    assert [m.pk for m in filtered.context["cl"].result_list] == [unknown.pk]
    detail = client.get(reverse("admin:queues_message_change", args=[unknown.pk])).content.decode()
    assert "no answer within 20 s" in detail  # the attempts inline


def test_admin_bulk_send_again_reports_what_it_did_and_skipped(client):
    admin = f.admin(username="root")
    client.force_login(admin)
    convo = f.ConversationFactory()
    failed, unknown, sent = make_reply(convo, "failed"), make_reply(convo, "unknown"), make_reply(convo, "sent")
    url = reverse("admin:queues_message_changelist")
    selected = {"action": "send_again_selected", "_selected_action": [failed.pk, unknown.pk, sent.pk]}

    confirmation = client.post(url, selected)
    assert "Also send unknown replies again" in confirmation.content.decode()
    response = client.post(url, {**selected, "post": "yes"}, follow=True)

    text = " ".join(str(m) for m in response.context["messages"])
    assert text == (
        f"Queued 1 again; skipped 2: not failed or unknown (1: #{sent.pk}), "
        f"unknown and not confirmed (1: #{unknown.pk})."
    )
    assert [Message.objects.get(pk=m.pk).delivery for m in (failed, unknown, sent)] == ["queued", "unknown", "sent"]


def test_send_again_refuses_what_the_conversation_stage_does_not_allow():
    convo = f.ConversationFactory()
    reply = make_reply(convo, "failed")
    services.close_conversation(conversation_id=convo.pk, actor=f.agent(), reason="resolved")

    with pytest.raises(services.TransitionNotAllowed):
        services.send_again(message_id=reply.pk, actor=f.agent())
