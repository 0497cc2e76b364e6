"""Races that only a real database can settle: run on PostgreSQL with real threads."""

import pytest

from queues import services
from queues.models import EscalationReason, Event, Message, Note
from tests import factories as f
from tests.threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_agents_escalating_the_same_conversation_escalate_it_once():
    alice, bob = f.agent(username="alice"), f.agent(username="bob")
    convo = f.ConversationFactory()

    def escalate(actor):
        return lambda: services.escalate_conversation(
            conversation_id=convo.pk, actor=actor, reason=EscalationReason.SENSITIVE, note=f"{actor} checked it"
        )

    results = run_at_once(escalate(alice), escalate(bob))

    refused = [r for r in results if isinstance(r, services.TransitionNotAllowed)]
    assert len(refused) == 1, results
    assert Event.objects.filter(conversation=convo, kind=Event.Kind.ESCALATED).count() == 1
    assert Message.objects.filter(conversation=convo, clipping__is_escalation_statement=True).count() == 1
    assert Note.objects.filter(conversation=convo).count() == 1


def test_agents_pressing_next_at_the_same_moment_get_different_conversations():
    agents = [f.agent(username=f"agent{i}") for i in range(4)]
    conversations = f.ConversationFactory.create_batch(4)
    queue_id = conversations[0].queue_id

    results = run_at_once(*[lambda a=a: services.take_next_conversation(queue_id=queue_id, actor=a) for a in agents])

    assert all(not isinstance(r, Exception) for r in results), results
    taken = [r.pk for r in results if r is not None]
    # Four agents, four waiting: each gets one, none gets one another has.
    assert sorted(taken) == sorted(c.pk for c in conversations)
    assert Event.objects.filter(kind=Event.Kind.ASSIGNED).count() == len(taken)
