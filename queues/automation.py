"""The On Hold automation: close conversations whose customer stayed silent for their queue's
auto_close_after. cron runs it through `manage.py autoclose_on_hold`.

Set-based: per on-hold queue, one read of the due ids, oldest first, streamed in batches. Each batch
is one guarded UPDATE … RETURNING that re-checks eligibility at write time and one INSERT … SELECT
of the Events for exactly the ids it closed (on PostgreSQL both in one statement, a CTE); so the
number of queries grows with batches, not rows, and memory with the batch size, not with how many
are due. A customer message that lands between the read and the UPDATE wins: the guard no longer
matches and the conversation stays open.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from queues import locks
from queues.models import CloseReason, Conversation, Event, Queue, Status
from queues.services import InvalidInput

logger = logging.getLogger(__name__)

AUTOMATION = "autoclose_on_hold"
DEFAULT_BATCH_SIZE = 1000
# A batch holds its rows locked until it commits, and its ids are bound one parameter each.
MAX_BATCH_SIZE = 10_000
PREVIEW_SIZE = 5
# One bigint names the run's advisory lock (queues/locks.py); the fetchers' are hashes of their names.
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
    return (
        Conversation.objects.open()
        .in_queue(queue)
        .filter(
            Q(last_customer_message_at__isnull=True) | Q(last_customer_message_at__lt=F("on_hold_since")),
            on_hold_since__isnull=False,
            on_hold_since__lte=now - queue.auto_close_after,
        )
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
    with locks.run_alone(RUN_LOCK_KEY) as acquired:
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


def _close_due(queue: Queue, *, now: datetime, limit: int | None, batch_size: int) -> QueueOutcome:
    # on_hold_since is read as text: only the first and last of a batch are used, as bounds that go back into SQL as
    # they came, and turning 100,000 of them into datetimes cost Python a tenth of the run (bench/autoclose.py).
    due = (
        due_for_autoclose(queue, now=now)
        .order_by("on_hold_since", "id")
        .values_list("id", Cast("on_hold_since", TextField()))
    )
    # One read per queue, streamed batch_size rows at a time (a server-side cursor on PostgreSQL),
    # not one query per batch: the planner cannot know that every row with an old on_hold_since is
    # open and in an on-hold queue, so it underestimates the due rows and a "next 1000 oldest" query
    # sorts all of them again for each batch. Python holds one batch at a time whatever is due.
    rows = (due if limit is None else due[:limit]).iterator(chunk_size=batch_size)
    closed = skipped = 0
    while batch := list(islice(rows, batch_size)):
        ids = _close_batch(queue, [pk for pk, _since in batch], since=(batch[0][1], batch[-1][1]), now=now)
        closed += len(ids)
        skipped += len(batch) - len(ids)
        logger.debug("queue %s: batch of %d, closed %d", queue.slug, len(batch), len(ids))
    return QueueOutcome(queue=queue, closed=closed, skipped=skipped)


# The eligibility of due_for_autoclose, re-checked by the UPDATE itself: on PostgreSQL an UPDATE
# that waited for a row lock re-evaluates its WHERE on the row as committed by the other transaction.
_GUARD = (
    "queue_id = %s AND status = %s AND on_hold_since IS NOT NULL AND on_hold_since <= %s"
    " AND (last_customer_message_at IS NULL OR last_customer_message_at < on_hold_since)"
)


def _close_batch(queue: Queue, ids: list[int], *, since: tuple[str, str], now: datetime) -> list[int]:
    """Close those of the batch's ids that are still due, with one Event each; return the ids closed. since: the
    first and the last on_hold_since of the batch, as the database wrote them."""
    ops = connection.ops
    conversations = ops.quote_name(Conversation._meta.db_table)
    postgresql = connection.vendor == "postgresql"
    # PostgreSQL takes the ids as one array: a thousand placeholders cost the driver more to parse than the
    # database to read.
    id_list = "= ANY(%s::bigint[])" if postgresql else f"IN ({', '.join(['%s'] * len(ids))})"
    when = ops.adapt_datetimefield_value(now)
    # QuerySet.update() cannot say which rows it changed; RETURNING can (PostgreSQL, SQLite >= 3.35).
    # The batch's on_hold_since range changes nothing the guard does not already decide; it bounds
    # the index scan when the planner, misjudging how many rows are due, prefers conv_on_hold_open
    # to the primary key.
    close = (
        f"UPDATE {conversations} SET status = %s, closed_at = %s, close_reason = %s, updated_at = %s"  # noqa: S608 (no user input)
        f" WHERE id {id_list} AND on_hold_since BETWEEN %s AND %s AND {_GUARD} RETURNING id"
    )
    close_params = [
        *(Status.CLOSED, when, CloseReason.NO_CUSTOMER_RESPONSE, when),
        *([ids] if postgresql else ids),
        *since,
        *(queue.pk, Status.OPEN, ops.adapt_datetimefield_value(now - queue.auto_close_after)),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        if postgresql:
            # One statement: the events are written from the UPDATE's own RETURNING, with no second round trip
            # and no second lookup of the batch's rows.
            record, record_params = _record_closed(queue, "closed", when=when)
            cursor.execute(f"WITH closed AS ({close}) {record} RETURNING conversation_id", close_params + record_params)
            return [pk for (pk,) in cursor.fetchall()]
        cursor.execute(close, close_params)
        closed = [pk for (pk,) in cursor.fetchall()]
        if closed:
            record, record_params = _record_closed(
                queue, f"{conversations} WHERE id IN ({', '.join(['%s'] * len(closed))})", when=when
            )
            cursor.execute(record, record_params + closed)
    return closed


def _record_closed(queue: Queue, source: str, *, when) -> tuple[str, list]:
    """One INSERT … SELECT of the CLOSED events for the ids that source (a table or CTE, and its WHERE) holds,
    written by the database: bulk_create() made a 100,000-row run about a third slower (bench/autoclose.py),
    building and serialising an Event object per row. actor_id and to_queue_id stay NULL: the automation is no
    user and moves nothing."""
    events = connection.ops.quote_name(Event._meta.db_table)
    details = Event._meta.get_field("details").get_db_prep_value(
        {"reason": CloseReason.NO_CUSTOMER_RESPONSE, "automation": AUTOMATION}, connection
    )
    sql = (
        f"INSERT INTO {events} (conversation_id, by_automation, kind, from_queue_id, details, created_at)"  # noqa: S608 (no user input)
        f" SELECT id, %s, %s, %s, %s, %s FROM {source}"
    )
    return sql, [True, Event.Kind.CLOSED, queue.pk, details, when]
