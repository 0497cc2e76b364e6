"""Reads for the pages: one queryset each, with what the templates need already joined or prefetched."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from queues.models import CUSTOMER_KEY, SORT_RATING, Clipping, Conversation, Event, Message, Note, Product, Queue, Tag

DASHBOARD_COUNT_CAP = 10_000  # the dashboard says "10,000+" rather than counting a huge queue
# A reply still queued after this long is late: the dashboard counts it with the failed and unknown ones.
LATE_AFTER = timedelta(minutes=5)
UNDELIVERED_CAP = 100


class CappedCount(Subquery):
    """COUNT(*) over a sliced subquery: stops counting at the slice's end."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"
    output_field = IntegerField()


def _open_in_queue():
    return Conversation.objects.open().filter(queue=OuterRef("pk")).order_by()


def open_count():
    """A queue's open conversations, counted to DASHBOARD_COUNT_CAP + 1 at most: an annotation for Queue querysets.

    A correlated subquery per queue reads the (queue, status, received_at) index; a JOIN with a filtered COUNT would
    read every conversation ever received."""
    return CappedCount(_open_in_queue().values("pk")[: DASHBOARD_COUNT_CAP + 1])


def shown_count(count: int) -> str:
    """A capped count as people read it: "10000+" past the cap."""
    return f"{DASHBOARD_COUNT_CAP}+" if count > DASHBOARD_COUNT_CAP else str(count)


def dashboard_queues():
    """Active queues with their open count (capped) and oldest open conversation, in one query."""
    return (
        Queue.objects.filter(is_active=True)
        .annotate(
            open_count=open_count(),
            # The longest wait in this queue (conv_queue_status_entered), not the age of the oldest post.
            oldest_open=Subquery(_open_in_queue().order_by("queue_entered_at").values("queue_entered_at")[:1]),
        )
        .order_by("kind", "name")
    )


def list_conversations():
    return Conversation.objects.select_related("channel", "queue", "product", "assignee")


# What a row of the conversation list shows (queues/templatetags/rows.py: the auto-close date included) and its sort
# keys: the rest of a row (its JSON, the other timestamps, every column of the related rows) is not read.
LIST_ROW = (
    *("author_name", "author_handle", "title", "body", "rating", "status", "received_at", "queue_entered_at"),
    *("on_hold_since", "last_customer_message_at", "channel__platform", "channel__account", "channel__name"),
    *("queue__name", "queue__kind", "queue__auto_close_after", "product__name"),
    *("assignee__first_name", "assignee__last_name", "assignee__username"),
)


def list_rows():
    """The conversations of the list page, as its rows read them."""
    return list_conversations().only(*LIST_ROW)


def my_conversations(user, limit: int = 20):
    return list(list_conversations().open().filter(assignee=user).order_by("received_at", "id")[:limit])


def first_reply_at():
    """When the first reply to the customer was written: an annotation, so the page asks no extra query."""
    replies = Message.objects.filter(conversation=OuterRef("pk"), direction=Message.Direction.OUTBOUND)
    return Subquery(replies.order_by("created_at").values("created_at")[:1])


def conversation_for_detail(queryset, pk: int) -> Conversation:
    convo = queryset.annotate(first_reply_at=first_reply_at()).select_related("channel", "assignee").get(pk=pk)
    # Its queues (the one it is in, the one it came from, its channel's) from a query of every queue (a few rows):
    # more joins cost PostgreSQL's planner more than this query, and the page's queue choices come from the same
    # rows (convo.queues, in their order). Its product: with_products().
    convo.queues = list(Queue.objects.all())
    queues = {queue.pk: queue for queue in convo.queues}
    channel = convo.channel
    convo.queue = queues[convo.queue_id]
    convo.previous_queue = queues.get(convo.previous_queue_id)
    channel.working_queue = queues[channel.working_queue_id]
    channel.escalation_queue = queues[channel.escalation_queue_id]
    return convo


def with_products(convo: Conversation) -> list[Product]:
    """Every product, in their order, the conversation's own among them: the page draws its product and the
    product choices from one query, where an action's POST needs neither."""
    every = list(products())
    convo.product = next((product for product in every if product.pk == convo.product_id), None)
    return every


def tags_of(convo: Conversation) -> list[Tag]:
    """Every tag, by name, each marked `on` when the conversation has it: the page's list of its tags and the tags
    form's boxes from one query."""
    has_it = Conversation.tags.through.objects.filter(conversation_id=convo.pk, tag_id=OuterRef("pk"))
    return list(Tag.objects.order_by("name").annotate(on=Exists(has_it)))


OTHER_CONVERSATIONS = 5  # the customer's other conversations the page lists, newest first


def other_conversations(convo: Conversation, limit: int = OTHER_CONVERSATIONS) -> list[Conversation]:
    """The same customer's other conversations on the same channel (same handle, or same name when there is no
    handle), newest first; at most limit."""
    key = convo.author_handle or convo.author_name
    if not key:
        return []
    return list(
        Conversation.objects.alias(customer=CUSTOMER_KEY)
        .filter(channel_id=convo.channel_id, customer=key)
        .exclude(pk=convo.pk)
        .select_related("queue")
        .only("status", "received_at", "title", "body", "queue__name", "queue__kind")
        .order_by("-received_at", "-id")[:limit]
    )


# The detail page draws the latest this many entries of a timeline; the whole timeline is one link away. Each entry
# costs time to draw: a thread with hundreds of replies would otherwise make a slow page.
TIMELINE_LATEST = 50


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # "message", "note" or "event"
    at: datetime
    item: SimpleNamespace  # what the page shows of the row (_TIMELINE)


def _people(*relations: str) -> dict:
    return {f"{relation}_{name}": F(f"{relation}__{name}") for relation in relations for name in _PERSON}


# What the timeline shows of each kind of row, read as values: no model is built for each of the up to 150 rows a
# long timeline chooses its latest 50 from. A person comes as (first name, last name, username), None once deleted.
_PERSON = ("first_name", "last_name", "username")
_TIMELINE = {
    "message": Message.objects.values(
        "id",
        "created_at",
        "direction",
        "external_id",
        "author_name",
        "body",
        "delivery",
        "delivery_reason",
        "sent_at",
        "author_id",
        clipping_title=F("clipping__title"),
        **_people("author"),
    ),
    "note": Note.objects.values("id", "created_at", "body", "author_id", **_people("author")),
    # A reply or a note is its own card: its event would say it a second time.
    "event": Event.objects.exclude(kind__in=[Event.Kind.REPLIED, Event.Kind.NOTE_ADDED]).values(
        "id",
        "created_at",
        "kind",
        "details",
        "by_automation",
        "actor_id",
        from_queue_name=F("from_queue__name"),
        to_queue_name=F("to_queue__name"),
        **_people("actor"),
    ),
}


def _item(row: dict) -> SimpleNamespace:
    row["pk"] = row.pop("id")
    for relation in ("author", "actor"):
        if f"{relation}_id" in row:
            names = tuple(row.pop(f"{relation}_{name}") for name in _PERSON)
            row[relation] = names if row[f"{relation}_id"] is not None else None
    return SimpleNamespace(**row)


def timeline(convo: Conversation, *, latest: int | None = TIMELINE_LATEST) -> tuple[list[TimelineEntry], bool]:
    """The latest `latest` messages, notes and events of a conversation (None: all), oldest first, and whether
    there are earlier ones.

    Each kind gives at most latest + 1 rows, newest first: the latest entries of all are among them, and more than
    `latest` in all means some earlier ones are left out."""
    entries = []
    for kind, rows in _TIMELINE.items():
        rows = rows.filter(conversation=convo)
        if latest is not None:
            rows = rows.order_by("-created_at", "-id")[: latest + 1]
        entries += (TimelineEntry(kind, row["created_at"], _item(row)) for row in rows)
    order = {"message": 0, "note": 1, "event": 2}
    entries.sort(key=lambda entry: (entry.at, order[entry.kind], entry.item.pk))
    if latest is not None and len(entries) > latest:
        return entries[-latest:], True
    return entries, False


def active_clippings():
    return Clipping.objects.filter(is_active=True).order_by("-is_escalation_statement", "title")


def products():
    return Product.objects.order_by("name")


# Keyset pagination: a page is "the rows after (or before) this one in the sort order", so drawing
# page 1,000 costs what page 1 costs and nothing counts the table.
SORTS = {
    # name: the ordering; every ordering ends in id so a key is unique.
    "oldest": ["received_at", "id"],
    "newest": ["-received_at", "-id"],
    "rating": ["sort_rating", "received_at", "id"],
    "longest_in_queue": ["queue_entered_at", "id"],
}
# Sort keys that are datetimes in a cursor.
_DATETIME_KEYS = {"received_at", "queue_entered_at"}


def sorted_conversations(queryset, sort: str):
    if sort == "rating":
        queryset = queryset.annotate(sort_rating=SORT_RATING)
    return queryset.order_by(*SORTS[sort])


class BadCursor(ValueError):
    pass


def _encode(values) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# What a cursor may hold: a page link carries them, and anyone can edit a link. The database takes ids and ratings
# up to a signed 64-bit number (SQLite raises OverflowError past it, PostgreSQL "bigint out of range").
_MAX_INTEGER = 2**63 - 1
_MAX_CURSOR = 1000  # characters: three values need fewer than 100


def _time(value) -> datetime | None:
    """A cursor's time, in UTC; None unless it is a real time with its zone (30 February, hour 25 and +99:99 are
    not) that UTC can hold (year 1 at +14:00 is in year 0 in UTC)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
        return parsed.astimezone(UTC) if parsed is not None and parsed.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


def _decode(token: str, fields: list[str]) -> list:
    if len(token) > _MAX_CURSOR:
        raise BadCursor(token[:_MAX_CURSOR])
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as error:
        raise BadCursor(token) from error
    if not isinstance(values, list) or len(values) != len(fields):
        raise BadCursor(token)
    decoded = []
    for field, value in zip(fields, values, strict=True):
        name = field.lstrip("-")
        if name in _DATETIME_KEYS:
            value = _time(value)
            if value is None:
                raise BadCursor(token)
        elif not isinstance(value, int) or isinstance(value, bool) or not -_MAX_INTEGER <= value <= _MAX_INTEGER:
            raise BadCursor(token)
        decoded.append(value)
    return decoded


def _beyond(fields: list[str], values: list, forward: bool) -> Q:
    """Rows strictly after (forward) or before the given key values in the ordering `fields`.

    Those are (a > x) OR (a = x AND b > y) …; the bound a >= x that they imply is said too, because the OR alone
    makes the database read the index from its start instead of seeking to the cursor."""
    condition = Q()
    for i, field in enumerate(fields):
        name, descending = field.lstrip("-"), field.startswith("-")
        lookup = "lt" if descending == forward else "gt"
        step = Q(**{f"{name}__{lookup}": values[i]})
        for previous, value in zip(fields[:i], values[:i], strict=True):
            step &= Q(**{previous.lstrip("-"): value})
        condition |= step
    first, descending = fields[0].lstrip("-"), fields[0].startswith("-")
    return Q(**{f"{first}__{'lte' if descending == forward else 'gte'}": values[0]}) & condition


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None
    previous_cursor: str | None


def keyset_page(queryset, sort: str, *, after: str = "", before: str = "", size: int = 50) -> KeysetPage:
    fields = SORTS[sort]
    queryset = sorted_conversations(queryset, sort)
    names = [f.lstrip("-") for f in fields]
    if before:
        flipped = [f[1:] if f.startswith("-") else f"-{f}" for f in fields]
        chunk = list(
            queryset.filter(_beyond(fields, _decode(before, fields), forward=False)).order_by(*flipped)[: size + 1]
        )
        has_more_before = len(chunk) > size
        rows = list(reversed(chunk[:size]))
        has_previous, has_next = has_more_before, True
    else:
        if after:
            queryset = queryset.filter(_beyond(fields, _decode(after, fields), forward=True))
        chunk = list(queryset[: size + 1])
        rows = chunk[:size]
        has_previous, has_next = bool(after), len(chunk) > size

    def cursor(row):
        return _encode([getattr(row, name) for name in names])

    return KeysetPage(
        rows=rows,
        next_cursor=cursor(rows[-1]) if rows and has_next else None,
        previous_cursor=cursor(rows[0]) if rows and has_previous else None,
    )


def undelivered_replies():
    """Replies an agent should look at: failed, unknown, or queued for more than LATE_AFTER (index
    message_undelivered)."""
    late = timezone.now() - LATE_AFTER
    return Message.objects.filter(
        Q(delivery__in=[Message.Delivery.FAILED, Message.Delivery.UNKNOWN])
        | Q(delivery=Message.Delivery.QUEUED, queued_at__lt=late)
    )


def undelivered_count() -> int:
    """How many, up to UNDELIVERED_CAP + 1 (the dashboard says "100+")."""
    return undelivered_replies().order_by().values("pk")[: UNDELIVERED_CAP + 1].count()


def has_public_reply(convo: Conversation) -> bool:
    """Has a reply been sent, or is one on its way? (A Play review has one public reply; a new one replaces it.)"""
    return (
        Message.objects.filter(conversation=convo, direction=Message.Direction.OUTBOUND)
        .exclude(delivery=Message.Delivery.FAILED)
        .exists()
    )
