"""A lock that times out is "busy, try again" on any database, never a 500."""

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.urls import reverse

from queues.busy import is_busy
from queues.models import Conversation, Note
from tests import factories as f


def test_only_lock_timeouts_count_as_busy():
    assert is_busy(OperationalError("database is locked"))
    assert not is_busy(OperationalError("no such table: queues_conversation"))
    assert not is_busy(ValueError("database is locked"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_lock_past_postgresqls_lock_timeout_shows_the_busy_page_and_writes_nothing(client):
    agent = f.agent(username="alice")
    convo = f.ConversationFactory()
    client.force_login(agent)
    held, release = threading.Event(), threading.Event()

    def hold_the_row():
        with transaction.atomic():
            Conversation.objects.select_for_update().filter(pk=convo.pk).values_list("pk").get()
            held.set()
            release.wait(30)
        connections.close_all()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    assert held.wait(30)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
    client.raise_request_exception = False
    try:
        response = client.post(reverse("conversation-note", args=[convo.pk]), {"body": "while locked"})
    finally:
        release.set()
        holder.join(60)
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert "Nothing was changed" in response.content.decode()
    assert not Note.objects.filter(conversation=convo).exists()
