"""Agents at the same moment on the laptop demo's database: a SQLite FILE with the real settings (WAL, busy timeout,
immediate transactions), real threads, each with its own connection, going through the pages as browsers do.

Run by tests/test_sqlite_concurrency.py in a process of its own, because the test run's database is in memory:
    DATABASE_URL=sqlite:////tmp/x.db DJANGO_SETTINGS_MODULE=tests.settings python -m tests.sqlite_file_race
It prints one JSON object: what each agent saw and what the database holds."""

import html
import json
import re
import sys
import threading

import django


def main() -> dict:
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from queues.models import EscalationReason, Event, Message, Note
    from tests import factories as f

    setup_test_environment()
    call_command("migrate", verbosity=0)
    journal = connection.cursor().execute("PRAGMA journal_mode").fetchone()[0]

    def at_once(*calls):
        barrier = threading.Barrier(len(calls))
        results = [None] * len(calls)

        def worker(index, call):
            try:
                barrier.wait()
                results[index] = call()
            except Exception as error:  # a 500 in the test client raises: it is a result too
                results[index] = f"raised {type(error).__name__}: {error}"
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        return results

    def seen(response):
        """Status, where it led and what it said (read from the page: the test client's captured contexts are shared
        between threads)."""
        said = [html.unescape(m) for m in re.findall(r'<div class="alert[^>]*>(.*?)</div>', response.content.decode())]
        return {"status": response.status_code, "chain": [u for u, _ in response.redirect_chain], "said": said}

    alice, bob, carol = (f.agent(username=n) for n in ("alice", "bob", "carol"))
    f.statement()
    report = {"journal_mode": journal, "transaction_mode": settings.DATABASES["default"]["OPTIONS"]["transaction_mode"]}

    # One agent double-clicks Escalate: two posts of the same page at the same moment.
    convo = f.ConversationFactory()
    client = Client()
    client.force_login(alice)
    page = client.get(reverse("conversation-detail", args=[convo.pk])).content.decode()
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    data = {"reason": EscalationReason.SENSITIVE, "note": f.STEPS, "version": version}
    url = reverse("conversation-escalate", args=[convo.pk])
    clicks = at_once(*[lambda: seen(client.post(url, data, follow=True))] * 2)
    report["double_escalate"] = {
        "responses": clicks,
        "escalated_events": Event.objects.filter(conversation=convo, kind=Event.Kind.ESCALATED).count(),
        "notes": Note.objects.filter(conversation=convo).count(),
        "statements": Message.objects.filter(conversation=convo).count(),
    }

    # Two agents press "Next conversation" on the same queue at the same moment.
    waiting = f.ConversationFactory.create_batch(2)
    queue_id = waiting[0].queue_id
    nexts = []
    for agent in (bob, carol):
        c = Client()
        c.force_login(agent)
        nexts.append(c)
    next_url = reverse("next-conversation", args=[queue_id])
    report["two_next"] = {
        "responses": at_once(*[lambda c=c: seen(c.post(next_url, follow=True)) for c in nexts]),
        "assignees": sorted(
            (pk, user)
            for pk, user in f.Conversation.objects.filter(pk__in=[w.pk for w in waiting]).values_list(
                "pk", "assignee__username"
            )
        ),
    }

    # A lock held past the busy timeout: the agent is told to try again, nothing is written.
    settings.DATABASES["default"]["OPTIONS"]["timeout"] = 0.5
    connections["default"].settings_dict["OPTIONS"]["timeout"] = 0.5
    connections.close_all()
    other = f.ConversationFactory()
    held, release = threading.Event(), threading.Event()

    def hold_the_lock():
        from django.db import transaction

        with transaction.atomic():  # BEGIN IMMEDIATE: the write lock, until release
            f.Conversation.objects.filter(pk=other.pk).update(title="held")
            held.set()
            release.wait(30)
        connections.close_all()

    client = Client(raise_request_exception=False)
    client.force_login(alice)
    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    held.wait(30)
    response = client.post(reverse("conversation-note", args=[other.pk]), {"body": "while locked"})
    release.set()
    holder.join(60)
    report["locked"] = {
        "status": response.status_code,
        "retry_after": response.get("Retry-After"),
        "busy_page": "try again" in response.content.decode(),
        "notes": Note.objects.filter(conversation=other).count(),
    }
    return report


if __name__ == "__main__":
    json.dump(main(), sys.stdout, default=str)
