"""`rollup_reports --rebuild`: every rollup table written again from every event, in one transaction (readers see
the old numbers or the new ones, never half of them).

A fold reads events in id order and has to load and write back the facts of every conversation a batch touches;
a rebuild reads them ordered by conversation instead, so each conversation's facts are built in memory from its
whole history and written once (a million conversations and four million events: a minute or two)."""

from itertools import groupby
from operator import itemgetter

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from queues.models import Event
from queues.models.reports import (
    NONE,
    AgentWeek,
    EscalationClose,
    FirstResponseWeek,
    OpenByEntryDay,
    OpenByEntryHour,
    OpenTotal,
    ReportConversation,
    ReportState,
    WeeklyCount,
)
from queues.reports import first_response, rollup, writes

FACTS_CHUNK = 5000
# How far below the highest id a rebuild looks for ids not committed yet (it records them as holes, as a fold does).
RECENT_IDS = 100_000


def rebuild(*, upto: int | None = None) -> rollup.FoldResult:
    """Fold every event with an id up to upto (default: all of them) into emptied rollup tables."""
    with transaction.atomic():
        rollup.state_locked(nowait=False)
        for model in (
            ReportConversation,
            WeeklyCount,
            AgentWeek,
            OpenByEntryDay,
            OpenByEntryHour,
            OpenTotal,
            FirstResponseWeek,
            EscalationClose,
        ):
            model.objects.all().delete()
        top = upto if upto is not None else Event.objects.aggregate(top=Max("id"))["top"] or 0
        fold = rollup.Fold()
        responses = first_response.FirstResponses()
        facts, events = [], 0
        # Every event, also those past top: a PRODUCT_SET after it still tells the product before it.
        stream = (
            Event.objects.order_by("conversation_id", "id")
            .values_list(
                *rollup.EVENT_FIELDS,
                "conversation__channel_id",
                "conversation__product_id",
                "conversation__received_at",
                "conversation__queue_id",
            )
            .iterator(chunk_size=10_000)
        )
        for convo_id, group in groupby(stream, key=itemgetter(1)):
            rows = list(group)
            fold.conversations = {convo_id: (convo_id, *rows[0][8:])}
            fold.product_sets = {
                convo_id: [
                    (row[0], (row[6] or {}).get("previous_product_id") or NONE)
                    for row in rows
                    if row[2] == Event.Kind.PRODUCT_SET
                ]
            }
            fact = None
            for row in rows:
                if row[0] <= top:
                    fact = fold.apply(fact, row[:8])
                    events += 1
            if fact is None:
                continue
            key = rollup.open_key(fact)
            if key:
                fold.count_open(key, 1)
            responses.add(fact.arrival_week, fact.channel_id, fact.product_id, fact.received_at, fact.first_reply_at)
            facts.append(fact)
            if len(facts) >= FACTS_CHUNK:
                writes.write_facts(facts)
                facts = []
        writes.write_facts(facts)
        fold.write_counts()
        FirstResponseWeek.objects.bulk_create(responses.rows(), batch_size=2000)
        holes = _recent_holes(top)
        ReportState.objects.filter(pk=1).update(watermark=top, holes=holes, folded_at=timezone.now())
        return rollup.FoldResult(events=events, holes=sum(hi - lo + 1 for lo, hi, _seen in holes))


def _recent_holes(top: int) -> list:
    ids = list(Event.objects.filter(id__gt=top - RECENT_IDS, id__lte=top).order_by("id").values_list("id", flat=True))
    now = timezone.now().timestamp()
    return [[a + 1, b - 1, now] for a, b in zip(ids, ids[1:], strict=False) if b > a + 1]
