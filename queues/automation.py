"""The On Hold automation: close conversations whose customer stayed silent for their queue's
auto_close_after. cron runs it through `manage.py autoclose_on_hold`.

Set-based: per on-hold queue, oldest first, in batches. Each batch is one read of the next due ids,
one guarded UPDATE … RETURNING that re-checks eligibility at write time, and one bulk insert of the
Events for exactly the ids it closed; so the number of queries grows with batches, not rows, and
memory with the batch size, not with how many are due. A customer message that lands between the
read and the UPDATE wins: the guard no longer matches and the conversation stays open.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from queues.models import CloseReason, Conversation, Event, Queue, Status
from queues.services import InvalidInput

logger = logging.getLogger(__name__)

AUTOMATION = "autoclose_on_hold"
DEFAULT_BATCH_SIZE = 1000
# A batch holds its rows locked until it commits, and its ids are bound one parameter each.
MAX_BATCH_SIZE = 10_000
PREVIEW_SIZE = 5
# One bigint names the run for pg_try_advisory_lock; nothing else in the portal takes advisory locks.
RUN_LOCK_KEY = 0x6175746F636C6F73  # "autoclos"


@dataclass(frozen=True)
class QueueOutcome:
    queue: Queue
    closed: int = 0
    skipped: int = 0  # due when read, changed before the UPDATE (customer wrote, agent moved or closed it)
    would_close: int = 0  # dry run
    oldest: tuple[tuple[int, timedelta], ...] = ()  # dry run: (id, time on hold), oldest first


@dataclass(frozen=True)
class AutocloseResult:
    queues: list[QueueOutcome] = field(default_factory=list)
    dry_run: bool = False
    another_run_in_progress: bool = False

    @property
    def closed(self) -> int:
        return sum(outcome.closed for outcome in self.queues)

    @property
    def skipped(self) -> int:
        return sum(outcome.skipped for outcome in self.queues)

    @property
    def would_close(self) -> int:
        return sum(outcome.would_close for outcome in self.queues)


def due_for_autoclose(queue: Queue, *, now: datetime) -> QuerySet[Conversation]:
    """Open conversations of this on-hold queue on hold for at least its auto_close_after, with no
    customer message since. _GUARD below is the same condition, written for the UPDATE."""
    return Conversation.objects.filter(
        Q(last_customer_message_at__isnull=True) | Q(last_customer_message_at__lt=F("on_hold_since")),
        queue=queue,
        status=Status.OPEN,
        on_hold_since__isnull=False,  # spelled out so the partial index conv_on_hold_open matches
        on_hold_since__lte=now - queue.auto_close_after,
    )


def autoclose_on_hold(
    *,
    now: datetime | None = None,
    queue_slug: str | None = None,
    limit: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
) -> AutocloseResult:
    """Close what is due in every on-hold queue (or only queue_slug's), at most limit conversations,
    oldest first within a queue, queues in slug order. dry_run reads and changes nothing."""
    if limit is not None and limit < 1:
        raise InvalidInput(_("The limit must be a positive whole number."), field="limit")
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise InvalidInput(
            _("The batch size must be a whole number from 1 to %(max)d.") % {"max": MAX_BATCH_SIZE},
            field="batch_size",
        )
    now = now or timezone.now()
    queues = _on_hold_queues(queue_slug)
    if dry_run:
        return AutocloseResult(queues=_preview(queues, now=now, limit=limit), dry_run=True)
    with _run_lock() as acquired:
        if not acquired:
            logger.info("another %s run is in progress; this one does nothing", AUTOMATION)
            return AutocloseResult(another_run_in_progress=True)
        outcomes = []
        for queue in queues:
            remaining = None if limit is None else limit - sum(o.closed for o in outcomes)
            outcome = _close_due(queue, now=now, limit=remaining, batch_size=batch_size)
            logger.info(
                "queue %s: closed %d, %d changed meanwhile and skipped", queue.slug, outcome.closed, outcome.skipped
            )
            outcomes.append(outcome)
        return AutocloseResult(queues=outcomes)


def _on_hold_queues(queue_slug: str | None) -> list[Queue]:
    # Inactive on-hold queues are included: deactivating a queue stops agents choosing it, but the
    # conversations already in it still wait on their customers.
    if queue_slug is None:
        return list(Queue.objects.filter(kind=Queue.Kind.ON_HOLD).order_by("slug"))
    queue = Queue.objects.filter(slug=queue_slug).first()
    if queue is None:
        raise InvalidInput(_("There is no queue with the slug “%(slug)s”.") % {"slug": queue_slug}, field="queue")
    if queue.kind != Queue.Kind.ON_HOLD:
        raise InvalidInput(
            _("“%(slug)s” is not an on hold queue (its kind is %(kind)s); only on hold queues auto-close.")
            % {"slug": queue_slug, "kind": queue.get_kind_display().lower()},
            field="queue",
        )
    return [queue]


def _preview(queues: list[Queue], *, now: datetime, limit: int | None) -> list[QueueOutcome]:
    outcomes = []
    for queue in queues:
        due = due_for_autoclose(queue, now=now)
        count = due.count()
        if limit is not None:
            count = min(count, limit - sum(o.would_close for o in outcomes))
        oldest = due.order_by("on_hold_since", "id").values_list("id", "on_hold_since")[: min(count, PREVIEW_SIZE)]
        outcomes.append(
            QueueOutcome(queue=queue, would_close=count, oldest=tuple((pk, now - since) for pk, since in oldest))
        )
    return outcomes


@contextmanager
def _run_lock() -> Iterator[bool]:
    """One run at a time on PostgreSQL: a session-level advisory lock, so each batch can commit on
    its own and not hold row locks for the whole run. A second run gets False and leaves. SQLite has
    no such lock (it allows one writer anyway); the guarded UPDATE keeps overlapping runs correct
    either way."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [RUN_LOCK_KEY])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [RUN_LOCK_KEY])


def _close_due(queue: Queue, *, now: datetime, limit: int | None, batch_size: int) -> QueueOutcome:
    closed = skipped = 0
    after = None
    while limit is None or closed < limit:
        size = batch_size if limit is None else min(batch_size, limit - closed)
        batch = _next_batch(queue, now=now, after=after, size=size)
        if not batch:
            break
        ids = _close_batch(queue, [pk for pk, _since in batch], now=now)
        closed += len(ids)
        skipped += len(batch) - len(ids)
        logger.debug("queue %s: batch of %d, closed %d", queue.slug, len(batch), len(ids))
        if len(batch) < size:
            break
        after = batch[-1]
    return QueueOutcome(queue=queue, closed=closed, skipped=skipped)


def _next_batch(
    queue: Queue, *, now: datetime, after: tuple[int, datetime] | None, size: int
) -> list[tuple[int, datetime]]:
    """The next size due (id, on_hold_since), oldest first, after the last batch's last row.

    Reading on from the last row, not from the start again, means a row the UPDATE skipped is never
    read twice, and each batch's index scan starts where the last one stopped instead of walking
    past the rows already closed (PostgreSQL keeps their index entries until vacuum)."""
    due = due_for_autoclose(queue, now=now)
    if after is not None:
        after_id, after_since = after
        due = due.filter(
            Q(on_hold_since__gt=after_since) | Q(on_hold_since=after_since, id__gt=after_id),
            on_hold_since__gte=after_since,  # redundant, but gives the index scan its start
        )
    return list(due.order_by("on_hold_since", "id").values_list("id", "on_hold_since")[:size])


# The eligibility of due_for_autoclose, re-checked by the UPDATE itself: on PostgreSQL an UPDATE
# that waited for a row lock re-evaluates its WHERE on the row as committed by the other transaction.
_GUARD = (
    "queue_id = %s AND status = %s AND on_hold_since IS NOT NULL AND on_hold_since <= %s"
    " AND (last_customer_message_at IS NULL OR last_customer_message_at < on_hold_since)"
)


def _close_batch(queue: Queue, ids: list[int], *, now: datetime) -> list[int]:
    """Close those of ids that are still due, with one Event each; return the ids closed."""
    # QuerySet.update() cannot say which rows it changed; RETURNING can (PostgreSQL, SQLite >= 3.35).
    table = connection.ops.quote_name(Conversation._meta.db_table)
    sql = (
        f"UPDATE {table} SET status = %s, closed_at = %s, close_reason = %s, updated_at = %s"  # noqa: S608 (no user input)
        f" WHERE id IN ({', '.join(['%s'] * len(ids))}) AND {_GUARD} RETURNING id"
    )
    when = connection.ops.adapt_datetimefield_value(now)
    threshold = connection.ops.adapt_datetimefield_value(now - queue.auto_close_after)
    params = [Status.CLOSED, when, CloseReason.NO_CUSTOMER_RESPONSE, when, *ids, queue.pk, Status.OPEN, threshold]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            closed = sorted(pk for (pk,) in cursor.fetchall())
        Event.objects.bulk_create(
            Event(
                conversation_id=pk,
                actor=None,
                by_automation=True,
                kind=Event.Kind.CLOSED,
                from_queue=queue,
                details={"reason": CloseReason.NO_CUSTOMER_RESPONSE, "automation": AUTOMATION},
                created_at=now,
            )
            for pk in closed
        )
    return closed
