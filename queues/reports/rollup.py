"""Fold the append-only events into the reports' rollup tables (queues/models/reports.py).

Events only ever get added, with increasing ids, so the rollup keeps a watermark: every event id up to it is
folded. A fold reads the events past it in id order, replays them onto each conversation's facts
(ReportConversation: its queue and since when, open or not, first reply, first escalation since it was
opened …) and adds what happened to the count tables, then moves the watermark. cron runs it every few
minutes (`manage.py rollup_reports`) and every report page runs it first for the few events since, so a page
is exact up to the moment it is drawn.

An id is taken when a row is inserted, not when it commits: a transaction still open can hold an id below one
already visible. Such a missing id is kept as a hole and looked for again on each fold until HOLE_TTL passes
(then it was rolled back). No lock is taken on the event table; two folds take turns on the ReportState row.

Which product: the one the conversation had when the event happened. Events do not name the product a
PRODUCT_SET chose, but the next PRODUCT_SET names the one it replaced, so the product at an event is the
previous_product_id of the first PRODUCT_SET after it, or else the conversation's product now.
"""

import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from queues.models import Conversation, Event, Queue
from queues.models.reports import (
    NONE,
    AgentWeek,
    EscalationClose,
    OpenByEntryDay,
    OpenByEntryHour,
    OpenTotal,
    ReportConversation,
    ReportState,
    WeeklyCount,
)
from queues.reports import first_response, writes

BATCH = 20_000
HOLE_TTL = 3600  # seconds: no transaction that writes events stays open this long
MAX_HOLES = 1000
ID_CHUNK = 5000  # ids per IN (…) list


class HoldOutcome:
    """How a conversation left an on-hold queue."""

    CAME_BACK = "came_back"
    AGENT_CLOSED = "agent_closed"
    AUTOMATION_CLOSED = "automation_closed"
    MOVED_ON = "moved_on"  # an agent moved or escalated it


AGENT_METRIC = {
    Event.Kind.REPLIED: AgentWeek.Metric.REPLIED,
    Event.Kind.NOTE_ADDED: AgentWeek.Metric.NOTE,
    Event.Kind.ESCALATED: AgentWeek.Metric.ESCALATED,
    Event.Kind.CLOSED: AgentWeek.Metric.CLOSED,
}
EVENT_FIELDS = ("id", "conversation_id", "kind", "actor_id", "by_automation", "to_queue_id", "details", "created_at")


class Fact:
    """A ReportConversation row while it is folded: a plain object, a tenth of the cost of a model instance."""

    __slots__ = writes.FACT_FIELDS

    def __init__(self, **values):
        for name in writes.FACT_FIELDS:
            setattr(self, name, values.get(name))


def local_day(moment: datetime) -> date:
    """The date in the portal's time zone. A time zone's offset is a whole number of quarter hours, so a local
    midnight never falls inside a quarter hour of UTC: one lookup per quarter hour serves all its moments."""
    return _day_of_quarter(timezone.get_default_timezone(), int(moment.timestamp()) // 900)


@lru_cache(maxsize=200_000)
def _day_of_quarter(zone, quarter: int) -> date:
    return datetime.fromtimestamp(quarter * 900, zone).date()


def week_of(day: date) -> date:
    """The Monday of day's week. Weeks are counted in local dates, so a week with a DST change is still one."""
    return day - timedelta(days=day.weekday())


@dataclass
class FoldResult:
    events: int = 0
    pending: bool = False  # stopped at its limit with events left
    holes: int = 0  # ids below the watermark not seen yet
    busy: bool = False  # another fold held the state row; this one did nothing


def fold(*, limit: int | None = None, nowait: bool = False, upto: int | None = None) -> FoldResult:
    """Fold the events past the watermark (at most limit; up to id upto), one committed batch at a time."""
    result = FoldResult()
    while True:
        size = BATCH if limit is None else min(BATCH, limit - result.events)
        if size <= 0:
            result.pending = Event.objects.filter(id__gt=_state_for_read().watermark).exists()
            return result
        try:
            with transaction.atomic():
                folded, more, holes = _fold_batch(size, nowait=nowait, upto=upto)
        except Busy:
            result.busy = True
            return result
        result.events += folded
        result.holes = holes
        if not more:
            return result


def catch_up(*, limit: int) -> FoldResult:
    """For a page: fold what is new unless nothing is, or another fold is at it (its numbers come then)."""
    state = _state_for_read()
    if not state.holes and not Event.objects.filter(id__gt=state.watermark).exists():
        return FoldResult()
    return fold(limit=limit, nowait=True)


class Busy(Exception):
    pass


def _state_for_read() -> ReportState:
    return ReportState.objects.filter(pk=1).first() or ReportState(pk=1)


def state_locked(*, nowait: bool) -> ReportState:
    ReportState.objects.get_or_create(pk=1)
    try:
        return ReportState.objects.select_for_update(nowait=nowait).get(pk=1)
    except Exception as error:
        if nowait and "lock" in str(error).lower():
            raise Busy from error
        raise


def _fold_batch(size: int, *, nowait: bool, upto: int | None) -> tuple[int, bool, int]:
    state = state_locked(nowait=nowait)
    now = time.time()
    holes = [hole for hole in state.holes if now - hole[2] < HOLE_TTL][-MAX_HOLES:]
    late = []
    if holes:
        late = list(Event.objects.filter(_any_range(holes)).order_by("id").values_list(*EVENT_FIELDS)[:size])
        holes = _without(holes, {row[0] for row in late})
    new = Event.objects.filter(id__gt=state.watermark)
    if upto is not None:
        new = new.filter(id__lte=upto)
    rows = list(new.order_by("id").values_list(*EVENT_FIELDS)[: size - len(late)] if size > len(late) else [])
    previous = state.watermark
    for row in rows:
        # Before the first fold there is nothing to have missed: a fresh database's ids need not start at 1.
        if row[0] > previous + 1 and previous:
            holes.append([previous + 1, row[0] - 1, now])
        previous = row[0]
    if late or rows:
        Fold().run(late + rows)
    state.watermark = previous
    state.holes = holes
    state.folded_at = timezone.now()
    state.save()
    awaited = sum(hi - lo + 1 for lo, hi, _seen in holes)
    return len(late) + len(rows), len(rows) == size - len(late) and bool(rows), awaited


def _any_range(holes) -> Q:
    condition = Q(pk__in=[])
    for lo, hi, _seen in holes:
        condition |= Q(id__gte=lo, id__lte=hi)
    return condition


def _without(holes, found: set[int]) -> list:
    left = []
    for lo, hi, seen in holes:
        start = lo
        for event_id in sorted(i for i in found if lo <= i <= hi):
            if event_id > start:
                left.append([start, event_id - 1, seen])
            start = event_id + 1
        if start <= hi:
            left.append([start, hi, seen])
    return left


def _chunks(ids):
    ids = list(ids)
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def open_key(fact: Fact | None):
    """Where an open conversation counts in OpenByEntryDay and OpenByEntryHour: (day, hour, queue, channel,
    product)."""
    if fact is None or not fact.is_open:
        return None
    hour = fact.entered_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return (local_day(fact.entered_at), hour, fact.queue_id, fact.channel_id, fact.product_id)


def _first_response_key(fact: Fact | None):
    if fact is None:
        return None
    return (fact.arrival_week, fact.channel_id, fact.product_id, fact.received_at, fact.first_reply_at)


class Fold:
    """One batch of events replayed onto the facts of their conversations, and the counts they add."""

    def __init__(self):
        self.kinds = dict(Queue.objects.values_list("id", "kind"))
        self.weekly = Counter()
        self.agents = Counter()
        self.open_days = Counter()
        self.open_hours = Counter()
        self.open_totals = Counter()
        self.closes: list[EscalationClose] = []

    def run(self, rows) -> None:
        ids = {row[1] for row in rows}
        facts = {}
        conversations = {}
        for chunk in _chunks(ids):
            facts.update(
                (row[0], Fact(**dict(zip(writes.FACT_FIELDS, row, strict=True))))
                for row in ReportConversation.objects.filter(pk__in=chunk).values_list(*writes.FACT_FIELDS)
            )
            # The conversations before their PRODUCT_SET events: a set_product committing in between then shows
            # in the events, and the product before it is right (see the module's docstring).
            conversations.update(
                (c[0], c)
                for c in Conversation.objects.filter(pk__in=chunk).values_list(
                    "id", "channel_id", "product_id", "received_at", "queue_id"
                )
            )
        self.product_sets = defaultdict(list)
        first = min(row[0] for row in rows)
        for chunk in _chunks(ids):
            for convo_id, event_id, details in (
                Event.objects.filter(conversation_id__in=chunk, kind=Event.Kind.PRODUCT_SET, id__gt=first)
                .order_by("id")
                .values_list("conversation_id", "id", "details")
            ):
                self.product_sets[convo_id].append((event_id, (details or {}).get("previous_product_id") or NONE))
        self.conversations = conversations
        before = {pk: (open_key(f), _first_response_key(f)) for pk, f in facts.items()}
        for row in rows:
            if row[1] in conversations:
                facts[row[1]] = self.apply(facts.get(row[1]), row)
        dirty_weeks = set()
        for pk, fact in facts.items():
            old_open, old_response = before.get(pk, (None, None))
            new_open = open_key(fact)
            if old_open != new_open:
                if old_open:
                    self.count_open(old_open, -1)
                if new_open:
                    self.count_open(new_open, 1)
            if old_response != _first_response_key(fact):
                dirty_weeks.add(fact.arrival_week)
                if old_response:
                    dirty_weeks.add(old_response[0])
        self.write(list(facts.values()))
        first_response.recompute(dirty_weeks)

    def count_open(self, key, delta: int) -> None:
        day, hour, *rest = key
        self.open_days[(day, *rest)] += delta
        self.open_hours[(hour, *rest)] += delta
        self.open_totals[tuple(rest)] += delta

    def product_at(self, convo_id: int, event_id: int) -> int:
        for set_id, previous in self.product_sets.get(convo_id, ()):
            if set_id > event_id:
                return previous
        return self.conversations[convo_id][2] or NONE

    def apply(self, fact: Fact | None, row) -> Fact:
        event_id, convo_id, kind, actor_id, by_automation, to_queue_id, details, at = row
        details = details or {}
        product = self.product_at(convo_id, event_id)
        if fact is None:
            _, channel_id, _, received_at, queue_id = self.conversations[convo_id]
            fact = Fact(
                conversation_id=convo_id,
                channel_id=channel_id,
                received_at=received_at,
                arrival_week=week_of(local_day(received_at)),
                queue_id=to_queue_id or queue_id,
                entered_at=at,
                is_open=True,
                in_escalation=False,
                last_event_at=at,
                product_id=NONE,
                escalated_product_id=NONE,
            )
        fact.product_id = product
        fact.last_event_at = max(fact.last_event_at, at)
        week = week_of(local_day(at))
        was_on_hold = fact.is_open and self.kinds.get(fact.queue_id) == Queue.Kind.ON_HOLD
        if to_queue_id and kind != Event.Kind.CLOSED:
            if was_on_hold and kind != Event.Kind.CREATED:
                came_back = kind == Event.Kind.CUSTOMER_MESSAGE
                self.hold_outcome(fact, week, HoldOutcome.CAME_BACK if came_back else HoldOutcome.MOVED_ON)
            if not fact.is_open or kind == Event.Kind.REOPENED:
                fact.escalated_at = None
            fact.queue_id, fact.entered_at, fact.is_open = to_queue_id, at, True
        if kind == Event.Kind.ESCALATED:
            reason = details.get("reason") or ""
            self.weekly[(WeeklyCount.Metric.ESCALATED, week, fact.channel_id, product, reason)] += 1
            if fact.escalated_at is None:
                fact.escalated_at, fact.escalated_product_id = at, product
        elif kind == Event.Kind.CLOSED and fact.is_open:
            if was_on_hold:
                automation = by_automation and actor_id is None
                self.hold_outcome(fact, week, HoldOutcome.AUTOMATION_CLOSED if automation else HoldOutcome.AGENT_CLOSED)
            if fact.escalated_at is not None:
                self.closes.append(
                    EscalationClose(
                        close_event_id=event_id,
                        conversation_id=convo_id,
                        channel_id=fact.channel_id,
                        product_id=fact.escalated_product_id,
                        escalated_at=fact.escalated_at,
                        closed_at=at,
                        closed_day=local_day(at),
                        seconds=max(int((at - fact.escalated_at).total_seconds()), 0),
                    )
                )
            fact.is_open, fact.escalated_at = False, None
        # An escalation sends the escalation statement: the customer's first reply, if nothing came before it.
        if kind in (Event.Kind.REPLIED, Event.Kind.ESCALATED) and (
            fact.first_reply_at is None or at < fact.first_reply_at
        ):
            fact.first_reply_at = at
        if actor_id and kind in AGENT_METRIC:
            self.agents[(week, actor_id, AGENT_METRIC[kind])] += 1
        fact.in_escalation = fact.is_open and self.kinds.get(fact.queue_id) == Queue.Kind.ESCALATION
        return fact

    def hold_outcome(self, fact, week, outcome) -> None:
        self.weekly[(WeeklyCount.Metric.HOLD_OUTCOME, week, fact.channel_id, fact.product_id, outcome)] += 1

    def write(self, facts: list[Fact]) -> None:
        writes.write_facts(facts)
        self.write_counts()

    def write_counts(self) -> None:
        names = [f.name for f in EscalationClose._meta.fields]
        rows = writes.adapted(EscalationClose, self.closes, names)
        writes.insert(EscalationClose, names, rows, "(close_event_id) DO NOTHING")
        writes.add_counts(WeeklyCount, ("metric", "week", "channel_id", "product_id", "reason"), self.weekly)
        writes.add_counts(AgentWeek, ("week", "actor_id", "metric"), self.agents)
        writes.add_counts(OpenByEntryDay, ("day", "queue_id", "channel_id", "product_id"), self.open_days)
        writes.add_counts(OpenByEntryHour, ("hour", "queue_id", "channel_id", "product_id"), self.open_hours)
        writes.add_counts(OpenTotal, ("queue_id", "channel_id", "product_id"), self.open_totals)
