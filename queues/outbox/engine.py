"""The outbox's rules, for any kind of item: claim one due item with a lease, decide what an outcome means (sent,
try again later with backoff, failed, unknown), record it with one Attempt, and settle items whose worker stopped
mid-send. Network calls never happen here: the worker claims (and commits), calls, then records in a new
transaction, so no row lock is held while a platform thinks."""

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from queues.outbox.models import Delivery, Outcome
from queues.platforms.transport import AlreadyPosted, DeliveryError, Failed, RetryLater, Sent, Unknown

log = logging.getLogger("queues.outbox")

CLAIM_SQL = """
UPDATE {table} SET delivery = 'sending', lease_owner = %s, lease_expires_at = %s
WHERE delivery = 'queued' AND id = (
    SELECT id FROM {table} WHERE delivery = 'queued' AND next_attempt_at <= %s
    ORDER BY next_attempt_at LIMIT 1 {lock}
)
RETURNING {returning}
"""
# What every claim returns of the item itself; a kind adds what its send needs (claim_columns).
ITEM_COLUMNS = ("id", "delivery", "queued_at", "created_at", "attempts", "lease_owner", "lease_expires_at")
DATETIME_COLUMNS = ("queued_at", "created_at", "lease_expires_at")


@dataclass(frozen=True)
class Settled:
    """What became of one item: its new state (queued when it will be tried again) and why."""

    delivery: str
    reason: str = ""
    external_id: str = ""


def lease_seconds() -> float:
    return float(settings.OUTBOX_LEASE_SECONDS)


def claim(kind, *, owner: str, now: datetime | None = None):
    """The next due item, now `sending` and leased to owner, with what its kind needs to send it; None when nothing
    is due.

    One statement in autocommit: the item and its kind's columns (claim_columns: scalar subqueries) come back in
    the same round trip. PostgreSQL skips rows another worker is claiming (SKIP LOCKED); SQLite runs one writer at
    a time and the outer `delivery = 'queued'` guard keeps a row from being claimed twice."""
    now = now or timezone.now()
    table = connection.ops.quote_name(kind.model._meta.db_table)
    lock = "FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    columns = {**{name: name for name in ITEM_COLUMNS}, **kind.claim_columns(table)}
    returning = ", ".join(f"{sql} AS {connection.ops.quote_name(name)}" for name, sql in columns.items())
    adapt = connection.ops.adapt_datetimefield_value
    expires = now + timedelta(seconds=lease_seconds())
    with connection.cursor() as cursor:
        cursor.execute(
            CLAIM_SQL.format(table=table, lock=lock, returning=returning), [owner, adapt(expires), adapt(now)]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    values = dict(zip(columns, row, strict=True))
    for name in DATETIME_COLUMNS:
        values[name] = _aware(values[name])
    return kind.claimed(values)


def _aware(value):
    """Raw SQL skips the model's converters: SQLite returns datetimes naive (UTC), or as text."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value


def backoff(attempts: int) -> timedelta:
    """Exponential, with jitter so workers that failed together do not come back together."""
    base, cap = settings.OUTBOX_BACKOFF_SECONDS, settings.OUTBOX_BACKOFF_MAX_SECONDS
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not a secret


def give_up_at(item) -> datetime:
    return (item.queued_at or item.created_at) + timedelta(seconds=settings.OUTBOX_MAX_AGE_SECONDS)


def settle(kind, item, *, result: Sent | DeliveryError, now: datetime) -> tuple[Settled, str, datetime | None]:
    """What an answer means for this item: (what it becomes, the attempt's outcome, when to try next)."""
    if isinstance(result, Sent):
        return Settled(Delivery.SENT, external_id=result.external_id), Outcome.SENT, None
    if isinstance(result, AlreadyPosted) and kind.had_unknown_attempt(item):
        reason = _("%(platform)s says an earlier attempt was posted: %(words)s") % {
            "platform": kind.label(item),
            "words": result.reason,
        }
        return Settled(Delivery.SENT, reason=reason), Outcome.SENT, None
    if isinstance(result, Unknown):
        return Settled(Delivery.UNKNOWN, reason=result.reason), Outcome.UNKNOWN, None
    if isinstance(result, RetryLater):
        # The platform's own word on when (a rate limit's reset) beats our guess.
        when = max(now, result.not_before) if result.not_before is not None else now + backoff(item.attempts + 1)
        if when > give_up_at(item):
            max_age = timedelta(seconds=settings.OUTBOX_MAX_AGE_SECONDS)
            reason = _("Gave up after trying for %(age)s. The last answer: %(words)s") % {
                "age": timesince(now - max_age, now),
                "words": result.reason,
            }
            return Settled(Delivery.FAILED, reason=reason), Outcome.FAILED, None
        return Settled(Delivery.QUEUED, reason=result.reason), Outcome.RETRY, when
    assert isinstance(result, Failed)
    return Settled(Delivery.FAILED, reason=result.reason), Outcome.FAILED, None


def record(kind, item, *, owner: str, started_at: datetime, seconds: float, result: Sent | DeliveryError) -> Settled:
    """Write the outcome of one send: the item's new state (only while it is still this owner's), one Attempt, and
    the kind's Event for sent, failed and unknown."""
    now = timezone.now()
    settled, outcome, next_attempt_at = settle(kind, item, result=result, now=now)
    fields = {
        "delivery": settled.delivery,
        "delivery_reason": settled.reason,
        "attempts": F("attempts") + 1,
        "lease_expires_at": None,
    }
    if settled.delivery == Delivery.SENT:
        fields["sent_at"] = now
        if settled.external_id:
            fields["external_id"] = settled.external_id
    if next_attempt_at is not None:
        fields["next_attempt_at"] = next_attempt_at
    error = result if isinstance(result, DeliveryError) else None
    with transaction.atomic():
        # A lease that expired meanwhile may have handed the item to another worker; the attempt is recorded anyway.
        mine = kind.model.objects.filter(
            pk=item.pk, lease_owner=owner, delivery__in=[Delivery.SENDING, Delivery.UNKNOWN]
        ).update(**fields)
        kind.attempt_model.objects.create(
            **{kind.attempt_field: item},
            started_at=started_at,
            duration_ms=round(seconds * 1000),
            http_status=(error.status if error else result.status),
            code=(error.code if error else "")[:100],
            words=(error.reason if error else ""),
            outcome=outcome,
            worker=owner,
        )
        if mine and settled.delivery != Delivery.QUEUED:
            kind.record_event(item, settled)
    if not mine:
        log.warning("%s #%s: its lease passed to another worker before the answer came", kind.name, item.pk)
    return settled


def release(items, *, reason: str, until: datetime) -> int:
    """Put claimed or queued items (a queryset) back to wait without counting an attempt (nothing was tried), with
    a reason an agent sees."""
    return items.filter(delivery__in=[Delivery.QUEUED, Delivery.SENDING]).update(
        delivery=Delivery.QUEUED, delivery_reason=reason, next_attempt_at=until, lease_expires_at=None
    )


def reap(kind, *, now: datetime | None = None, limit: int = 100) -> int:
    """Settle items whose worker stopped mid-send (its lease expired): sent again where a second request is harmless,
    else unknown, never sent again by itself. Returns how many."""
    now = now or timezone.now()
    expired = list(
        kind.model.objects.filter(delivery=Delivery.SENDING, lease_expires_at__lt=now).values_list("pk", flat=True)[
            :limit
        ]
    )
    done = 0
    for pk in expired:
        with transaction.atomic():
            item = (
                kind.model.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, delivery=Delivery.SENDING, lease_expires_at__lt=now)
                .first()
            )
            if item is None:
                continue
            item = kind.load(pk)
            still = kind.model.objects.filter(pk=pk, delivery=Delivery.SENDING)  # SQLite has no row locks
            if kind.resend_after_lost_lease(item):
                settled = Settled(Delivery.QUEUED, reason=_("The worker stopped while sending; sending again."))
                changed = still.update(
                    delivery=Delivery.QUEUED,
                    delivery_reason=settled.reason,
                    next_attempt_at=now,
                    lease_expires_at=None,
                    lease_owner="",
                    attempts=F("attempts") + 1,
                )
            else:
                settled = Settled(Delivery.UNKNOWN, reason=kind.unknown_reason(item))
                # The owner stays: should the stopped worker's answer still come, it may record the truth.
                changed = still.update(
                    delivery=Delivery.UNKNOWN,
                    delivery_reason=settled.reason,
                    lease_expires_at=None,
                    attempts=F("attempts") + 1,
                )
                if changed:
                    kind.record_event(item, settled)
            if not changed:
                continue
            kind.attempt_model.objects.create(
                **{kind.attempt_field: item},
                started_at=item.lease_expires_at - timedelta(seconds=lease_seconds()),
                words=settled.reason,
                outcome=Outcome.LOST,
                worker=item.lease_owner,
            )
            done += 1
    return done
