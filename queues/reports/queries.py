"""Each report's numbers, read from the rollup tables (queues/reports/rollup.py), as tables: what the page shows,
what its chart draws and what its CSV holds are the same rows."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from queues.models import Channel, EscalationReason, Product, Queue
from queues.models.reports import (
    ALL_PRODUCTS,
    NONE,
    AgentWeek,
    EscalationClose,
    FirstResponseWeek,
    OpenByEntryDay,
    OpenByEntryHour,
    OpenTotal,
    ReportConversation,
    WeeklyCount,
)
from queues.reports.first_response import nearest_rank
from queues.reports.rollup import HoldOutcome, local_day

STALE_LIST = 100
STALE_COUNT_CAP = 1000

BACKLOG_BUCKETS = [
    (gettext_lazy("under 1 day"), 0, 1),
    (gettext_lazy("1–3 days"), 1, 3),
    (gettext_lazy("3–7 days"), 3, 7),
    (gettext_lazy("7–30 days"), 7, 30),
    (gettext_lazy("over 30 days"), 30, None),
]
# The reasons' labels are sentences for the escalation form; a column and a legend need a few words.
REASONS = [
    (EscalationReason.NEEDS_PRODUCT_TEAM, gettext_lazy("needs the product team")),
    (EscalationReason.ATTENTION_NO_KB, gettext_lazy("attention, no KB article")),
    (EscalationReason.SENSITIVE, gettext_lazy("sensitive")),
    (EscalationReason.PAID_PRODUCT, gettext_lazy("paid product")),
    (EscalationReason.OTHER, gettext_lazy("other")),
]
HOLD_OUTCOMES = [
    (HoldOutcome.CAME_BACK, gettext_lazy("customer came back")),
    (HoldOutcome.AGENT_CLOSED, gettext_lazy("agent closed")),
    (HoldOutcome.AUTOMATION_CLOSED, gettext_lazy("automation closed")),
    (HoldOutcome.MOVED_ON, gettext_lazy("agent moved or escalated")),
]
AGENT_METRICS = [
    (AgentWeek.Metric.REPLIED, gettext_lazy("replies")),
    (AgentWeek.Metric.NOTE, gettext_lazy("notes")),
    (AgentWeek.Metric.ESCALATED, gettext_lazy("escalations")),
    (AgentWeek.Metric.CLOSED, gettext_lazy("closes")),
]


@dataclass(frozen=True)
class Filters:
    start: date  # a Monday
    end: date  # a Sunday
    channel_id: int | None = None
    product_id: int | None = None
    stale_days: int = 7

    @property
    def weeks(self) -> list[date]:
        return [self.start + timedelta(weeks=n) for n in range((self.end - self.start).days // 7 + 1)]


@dataclass
class Chart:
    title: str
    kind: str  # "columns" (stacked, one per row), "bars" (stacked, horizontal) or "lines"
    categories: list[str]
    series: list[tuple[str, list]]
    duration: bool = False


@dataclass
class Table:
    slug: str
    caption: str
    headers: list[str]
    rows: list[list]  # cells: str, int, or a timedelta-like number of seconds (duration columns)
    charts: list[Chart] = field(default_factory=list)
    durations: frozenset[int] = frozenset()  # column indexes holding seconds
    links: list[str] = field(default_factory=list)  # stale list: a URL per row

    @property
    def empty(self) -> bool:
        return not any(isinstance(cell, int) and cell for row in self.rows for cell in row[1:])


@dataclass
class Names:
    channels: dict[int, str]
    products: dict[int, str]
    queues: list[Queue]

    @classmethod
    def load(cls) -> "Names":
        return cls(
            channels={c.pk: str(c) for c in Channel.objects.all()},
            products={p.pk: p.name for p in Product.objects.all()},
            queues=list(Queue.objects.all()),
        )

    def product(self, pk: int) -> str:
        return self.products.get(pk, _("no product") if pk == NONE else f"#{pk}")


def _filtered(queryset, filters: Filters, *, product: bool = True):
    if filters.channel_id:
        queryset = queryset.filter(channel_id=filters.channel_id)
    if product and filters.product_id:
        queryset = queryset.filter(product_id=filters.product_id)
    return queryset


def _week_label(week: date) -> str:
    return week.isoformat()


def _weekly_table(slug, caption, weeks, series_keys, counts, *, first_header) -> Table:
    """Rows are weeks (every week of the range, zeros included), columns the series and their total."""
    rows = []
    for week in weeks:
        values = [counts.get((week, key), 0) for key, _label in series_keys]
        rows.append([_week_label(week), *values, sum(values)])
    headers = [first_header, *[str(label) for _key, label in series_keys], _("total")]
    chart = Chart(
        caption,
        "columns",
        [row[0] for row in rows],
        [(str(label), [row[1 + n] for row in rows]) for n, (_key, label) in enumerate(series_keys)],
    )
    return Table(slug, caption, headers, rows, [chart])


def escalations(filters: Filters, names: Names) -> list[Table]:
    counts = defaultdict(int)
    by_product = defaultdict(int)
    for week, product_id, reason, n in (
        _filtered(WeeklyCount.objects, filters)
        .filter(metric=WeeklyCount.Metric.ESCALATED, week__range=(filters.start, filters.end))
        .values_list("week", "product_id", "reason")
        .annotate(n=Sum("count"))
    ):
        counts[(week, reason)] += n
        by_product[(week, product_id)] += n
    products = sorted({p for _w, p in by_product}, key=names.product)
    week_header = _("week (Monday)")
    return [
        _weekly_table(
            "by-reason", _("Escalations per week, by reason"), filters.weeks, REASONS, counts, first_header=week_header
        ),
        _weekly_table(
            "by-product",
            _("Escalations per week, by product (at the time of escalation)"),
            filters.weeks,
            [(p, names.product(p)) for p in products],
            by_product,
            first_header=week_header,
        ),
    ]


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def backlog(filters: Filters, names: Names, *, now: datetime) -> list[Table]:
    """Open conversations per queue by how long they have been in it. Entries before the local day of 30 days
    ago are all "over 30 days": OpenTotal less the days since (OpenByEntryDay). Later ones come from
    OpenByEntryHour, except the few hours a bucket's edge (now − 30, 7, 3, 1 days) or that day's midnight falls
    in, which are counted row by row."""
    edges = [now - timedelta(days=hi) for _label, _lo, hi in reversed(BACKLOG_BUCKETS) if hi is not None]
    first_day = local_day(edges[0])
    since = timezone.make_aware(datetime.combine(first_day, time.min))
    cut_hours = sorted({_hour(since), *map(_hour, edges)})
    last = len(BACKLOG_BUCKETS) - 1

    def bucket(column: str) -> Case:
        # Edges from the newest: after now − 1 day is bucket 0, after now − 3 days bucket 1 …
        return Case(
            *[When(**{f"{column}__gt": edge}, then=Value(n)) for n, edge in enumerate(reversed(edges))],
            default=Value(last),
        )

    counts = defaultdict(int)
    for queue_id, n in _filtered(OpenTotal.objects, filters).values_list("queue_id").annotate(n=Sum("count")):
        counts[(queue_id, last)] += n
    # Less the entries since that day's midnight: they are counted into their buckets below.
    for queue_id, n in (
        _filtered(OpenByEntryDay.objects, filters)
        .filter(day__gte=first_day)
        .values_list("queue_id")
        .annotate(n=Sum("count"))
    ):
        counts[(queue_id, last)] -= n
    for queue_id, n_bucket, n in (
        _filtered(OpenByEntryHour.objects, filters)
        .filter(hour__gte=cut_hours[0])
        .exclude(hour__in=cut_hours)
        .annotate(bucket=bucket("hour"))
        .values_list("queue_id", "bucket")
        .annotate(n=Sum("count"))
        .order_by()
    ):
        counts[(queue_id, n_bucket)] += n
    in_cut_hours = Q()
    for hour in cut_hours:
        in_cut_hours |= Q(entered_at__gte=max(hour, since), entered_at__lt=hour + timedelta(hours=1))
    for queue_id, n_bucket, n in (
        _filtered(ReportConversation.objects, filters)
        .filter(in_cut_hours, is_open=True)
        .annotate(bucket=bucket("entered_at"))
        .values_list("queue_id", "bucket")
        .annotate(n=Count("*"))
        .order_by()
    ):
        counts[(queue_id, n_bucket)] += n
    rows = []
    for queue in names.queues:
        values = [counts.get((queue.pk, n), 0) for n in range(len(BACKLOG_BUCKETS))]
        if queue.is_active or any(values):
            rows.append([queue.name, *values, sum(values)])
    headers = [_("queue"), *[str(label) for label, _lo, _hi in BACKLOG_BUCKETS], _("total")]
    caption = _("Open conversations per queue, by time in the queue")
    chart = Chart(
        caption,
        "bars",
        [row[0] for row in rows],
        [(str(label), [row[1 + n] for row in rows]) for n, (label, _lo, _hi) in enumerate(BACKLOG_BUCKETS)],
    )
    return [Table("backlog", caption, headers, rows, [chart])]


def first_response(filters: Filters, names: Names) -> list[Table]:
    found = {
        (row.week, row.channel_id): row
        for row in FirstResponseWeek.objects.filter(
            week__range=(filters.start, filters.end), product_id=filters.product_id or ALL_PRODUCTS
        )
    }
    channels = [pk for pk in names.channels if not filters.channel_id or pk == filters.channel_id]
    rows = []
    for week in filters.weeks:
        for channel_id in channels:
            row = found.get((week, channel_id))
            rows.append(
                [
                    _week_label(week),
                    names.channels[channel_id],
                    row.arrived if row else 0,
                    row.replied if row else 0,
                    row.median_seconds if row else None,
                    row.p90_seconds if row else None,
                ]
            )
    headers = [_("week (Monday)"), _("channel"), _("arrived"), _("replied"), _("median"), _("90th percentile")]
    categories = [_week_label(w) for w in filters.weeks]
    charts = [
        Chart(
            title,
            "lines",
            categories,
            [(names.channels[c], [r[index] for r in rows if r[1] == names.channels[c]]) for c in channels],
            duration=True,
        )
        for index, title in (
            (4, _("Median time to the first reply, per channel")),
            (5, _("90th percentile of the time to the first reply, per channel")),
        )
    ]
    caption = _("First response per channel per week of arrival")
    return [Table("first-response", caption, headers, rows, charts, durations=frozenset({4, 5}))]


def escalation_to_close(filters: Filters, names: Names) -> list[Table]:
    waits = defaultdict(list)
    for product_id, seconds in (
        _filtered(EscalationClose.objects, filters)
        .filter(closed_day__range=(filters.start, filters.end))
        .values_list("product_id", "seconds")
    ):
        waits[product_id].append(seconds)
    rows = []
    for product_id in sorted(waits, key=names.product):
        values = sorted(waits[product_id])
        rows.append([names.product(product_id), len(values), nearest_rank(values, 0.5), nearest_rank(values, 0.9)])
    caption = _("From the first escalation to the close, by product, for closes in the range")
    chart = Chart(
        caption,
        "bars",
        [row[0] for row in rows],
        [(_("median"), [row[2] for row in rows]), (_("90th percentile"), [row[3] for row in rows])],
        duration=True,
    )
    headers = [_("product (at the escalation)"), _("closed"), _("median"), _("90th percentile")]
    return [Table("escalation-to-close", caption, headers, rows, [chart], durations=frozenset({2, 3}))]


def hold_outcomes(filters: Filters, names: Names) -> list[Table]:
    counts = {
        (week, reason): n
        for week, reason, n in _filtered(WeeklyCount.objects, filters)
        .filter(metric=WeeklyCount.Metric.HOLD_OUTCOME, week__range=(filters.start, filters.end))
        .values_list("week", "reason")
        .annotate(n=Sum("count"))
    }
    caption = _("How on-hold conversations left the on-hold queue, per week")
    return [
        _weekly_table("hold-outcomes", caption, filters.weeks, HOLD_OUTCOMES, counts, first_header=_("week (Monday)"))
    ]


def agent_activity(filters: Filters, names: Names) -> list[Table]:
    weekly = defaultdict(int)
    per_agent = defaultdict(int)
    for week, actor_id, metric, n in AgentWeek.objects.filter(week__range=(filters.start, filters.end)).values_list(
        "week", "actor_id", "metric", "count"
    ):
        weekly[(week, metric)] += n
        per_agent[(actor_id, metric)] += n
    users = {
        u.pk: u.get_full_name() or u.get_username()
        for u in get_user_model().objects.filter(pk__in={a for a, _m in per_agent})
    }
    agents = sorted({a for a, _m in per_agent}, key=lambda a: (users.get(a, "").lower(), a))
    agent_rows = []
    for actor_id in agents:
        values = [per_agent.get((actor_id, m), 0) for m, _label in AGENT_METRICS]
        agent_rows.append([users.get(actor_id, _("deleted user")), *values, sum(values)])
    headers = [_("agent"), *[str(label) for _m, label in AGENT_METRICS], _("total")]
    agent_caption = _("Agent activity in the range, per agent")
    agent_chart = Chart(
        agent_caption,
        "bars",
        [row[0] for row in agent_rows],
        [(str(label), [row[1 + n] for row in agent_rows]) for n, (_m, label) in enumerate(AGENT_METRICS)],
    )
    return [
        _weekly_table(
            "per-week",
            _("Agent activity per week"),
            filters.weeks,
            AGENT_METRICS,
            weekly,
            first_header=_("week (Monday)"),
        ),
        Table("per-agent", agent_caption, headers, agent_rows, [agent_chart]),
    ]


def stale_escalations(filters: Filters, names: Names, *, now: datetime) -> tuple[Table, int]:
    """Open escalated conversations with no event for filters.stale_days days, the longest silent first."""
    stale = _filtered(ReportConversation.objects, filters).filter(
        in_escalation=True, last_event_at__lt=now - timedelta(days=filters.stale_days)
    )
    total = len(stale.values_list("pk", flat=True)[: STALE_COUNT_CAP + 1])
    queues = {q.pk: q.name for q in names.queues}
    rows, links = [], []
    for fact in stale.order_by("last_event_at", "pk")[:STALE_LIST]:
        rows.append(
            [
                f"#{fact.pk}",
                names.channels.get(fact.channel_id, ""),
                names.product(fact.product_id),
                queues.get(fact.queue_id, ""),
                timezone.localtime(fact.escalated_at).strftime("%Y-%m-%d %H:%M") if fact.escalated_at else "",
                timezone.localtime(fact.last_event_at).strftime("%Y-%m-%d %H:%M"),
                (now - fact.last_event_at).days,
            ]
        )
        links.append(reverse("conversation-detail", args=[fact.pk]))
    headers = [
        _("conversation"),
        _("channel"),
        _("product"),
        _("queue"),
        _("escalated at"),
        _("last event at"),
        _("days without an event"),
    ]
    caption = _("Open escalated conversations with no event for more than %(days)s days, longest silent first") % {
        "days": filters.stale_days
    }
    return Table("stale", caption, headers, rows, links=links), total
