"""Fetches that overlap: run on PostgreSQL with real threads, each on its own connection, without the run lock
(as behind a connection pooler that does not keep session locks)."""

import json

import pytest
from django.test import override_settings

from queues.models import Channel, Conversation, FetchCursor, Message, WebhookDelivery
from queues.platforms import credentials
from queues.platforms.facebook.webhook import process_deliveries
from queues.platforms.x import fetch as x_fetch
from tests.feed_servers import X_BEARER, FeedServer
from tests.platform_servers import FACEBOOK_SECRETS, X_SECRETS
from tests.test_facebook_hook import comment_change, delivery
from tests.test_fetch_x import SUPPORT, customer, mention
from tests.threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def server(tmp_path):
    with FeedServer() as running:
        path = tmp_path / "credentials.json"
        path.write_text(
            json.dumps(
                {
                    "x:@FirefoxSupport": {**X_SECRETS, "bearer_token": X_BEARER},
                    "facebook:Firefox": dict(FACEBOOK_SECRETS),
                }
            )
        )
        with override_settings(X_API_URL=running.url, PLATFORM_CREDENTIALS_FILE=str(path)):
            yield running


def test_two_x_fetches_at_once_take_every_post_in_once(server):
    server.add_x_user(SUPPORT)
    people = [customer(n) for n in range(1, 151)]
    # 150 posts over two pages; every fifth a follow-up of the thread before it.
    posts = [mention(n, author=people[n - 1], thread=n - 1 if n % 5 == 0 else None) for n in range(1, 151)]
    server.add_x_posts(posts, people)
    channel = Channel.objects.get(account="@FirefoxSupport")
    secrets = {**X_SECRETS, "bearer_token": X_BEARER}

    def fetch():
        return x_fetch.fetch_channel(Channel.objects.select_related("fetch_cursor").get(pk=channel.pk), secrets)

    results = run_at_once(fetch, fetch)

    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r.summary.new for r in results) == 120
    assert sum(r.summary.follow_ups for r in results) == 30
    assert Conversation.objects.filter(channel=channel).count() == 120
    assert Message.objects.filter(conversation__channel=channel).count() == 30
    assert FetchCursor.objects.get(channel=channel).since_id == f"19{150:017d}"


def test_two_hook_workers_at_once_take_each_comment_in_once(server):
    for n in range(1, 21):
        body = delivery(comment_change(n), comment_change(100 + n, parent=f"5550001_{n}"))
        WebhookDelivery.objects.create(source="facebook", body=body.decode(), digest=str(n))
    known = credentials.load_configured()

    results = run_at_once(lambda: process_deliveries(known), lambda: process_deliveries(known))

    assert all(not isinstance(r, Exception) for r in results), results
    assert all(problems == [] for _outcomes, problems in results)
    assert Conversation.objects.filter(channel__platform="facebook").count() == 20
    assert Message.objects.filter(conversation__channel__platform="facebook").count() == 20
    assert not WebhookDelivery.objects.filter(processed_at__isnull=True).exists()
