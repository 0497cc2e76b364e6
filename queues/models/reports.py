"""The reports' rollup tables (queues/reports/). Written only by queues.reports.rollup, which folds the
append-only Event table into them; `manage.py rollup_reports --rebuild` writes them again from every event.

Ids of channels, products, queues and users are plain integers, not foreign keys: a rollup row keeps the
product an escalation had at that moment even if the product is deleted later, and no rollup write waits on
or locks a configuration row. 0 stands for "none" in the keys of the count tables, so a unique key needs no
NULL handling on either database."""

from django.db import models
from django.db.models import Q

__all__ = [
    "AgentWeek",
    "EscalationClose",
    "FirstResponseWeek",
    "OpenByEntryDay",
    "OpenByEntryHour",
    "OpenTotal",
    "ReportConversation",
    "ReportState",
    "WeeklyCount",
]

NONE = 0  # no product / no actor (the automation, a customer, a deleted user)
ALL_PRODUCTS = -1  # FirstResponseWeek: every product of the channel together


class ReportState(models.Model):
    """One row: how far the rollup has folded the events."""

    watermark = models.BigIntegerField(default=0)  # every event id <= this is folded, except open holes
    # Ids below the watermark not visible at the last fold ([lo, hi, first seen as unix time]): a transaction
    # still open then (folded when it commits) or rolled back (given up on after rollup.HOLE_TTL).
    holes = models.JSONField(default=list)
    folded_at = models.DateTimeField(null=True)

    def __str__(self):
        return f"folded up to event {self.watermark}"


class ReportConversation(models.Model):
    """What the reports need to know of one conversation, as of the last folded event."""

    conversation_id = models.BigIntegerField(primary_key=True)
    channel_id = models.BigIntegerField()
    product_id = models.BigIntegerField(default=NONE)
    received_at = models.DateTimeField()
    arrival_week = models.DateField()  # Monday of received_at's week in the portal's time zone
    first_reply_at = models.DateTimeField(null=True)
    queue_id = models.BigIntegerField()
    entered_at = models.DateTimeField()  # when it moved into queue_id (or arrived, or was reopened)
    is_open = models.BooleanField()
    in_escalation = models.BooleanField()  # open, in a queue of kind escalation
    last_event_at = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True)  # first escalation since it was (re)opened
    escalated_product_id = models.BigIntegerField(default=NONE)

    class Meta:
        indexes = [
            # The backlog: the entries of the hours a bucket's edge falls in, counted from the index alone.
            models.Index(
                # Key columns rather than INCLUDE, which SQLite lacks: the counts read the index alone either way.
                fields=["entered_at", "queue_id", "channel_id", "product_id"],
                condition=Q(is_open=True),
                name="report_conv_open_entered",
            ),
            models.Index(fields=["last_event_at"], condition=Q(in_escalation=True), name="report_conv_stale"),
            models.Index(fields=["arrival_week"], name="report_conv_arrival_week"),
        ]

    def __str__(self):
        return f"#{self.conversation_id}"


class WeeklyCount(models.Model):
    """How many escalations (by reason) or on-hold exits (by outcome) a week (Monday, portal time zone) had,
    by channel and by the product the conversation had at that moment."""

    class Metric(models.TextChoices):
        ESCALATED = "escalated"  # reason: EscalationReason
        HOLD_OUTCOME = "hold_outcome"  # reason: HoldOutcome

    week = models.DateField()
    metric = models.CharField(max_length=20, choices=Metric.choices)
    channel_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    reason = models.CharField(max_length=30)
    count = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "week", "channel_id", "product_id", "reason"], name="weekly_count_key"
            )
        ]

    def __str__(self):
        return f"{self.metric} {self.reason} {self.week}: {self.count}"


class AgentWeek(models.Model):
    """What one agent did in a week: replies, notes, escalations, closes. Not by channel or product: that would
    make a row per agent, channel and product, and the page sums them all."""

    class Metric(models.TextChoices):
        REPLIED = "replied"
        NOTE = "note"
        ESCALATED = "escalated"
        CLOSED = "closed"

    week = models.DateField()
    actor_id = models.BigIntegerField()
    metric = models.CharField(max_length=20, choices=Metric.choices)
    count = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["week", "actor_id", "metric"], name="agent_week_key")]

    def __str__(self):
        return f"{self.metric} by {self.actor_id} {self.week}: {self.count}"


class OpenByEntryDay(models.Model):
    """Open conversations now in a queue, by the day (portal time zone) they entered it."""

    queue_id = models.BigIntegerField()
    channel_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    day = models.DateField()
    count = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "queue_id", "channel_id", "product_id"], name="open_by_entry_key")
        ]

    def __str__(self):
        return f"queue {self.queue_id} {self.day}: {self.count}"


class OpenTotal(models.Model):
    """Open conversations now in a queue, by channel and product: the backlog's "over 30 days" is this less the
    entries of the last 30 days, instead of a sum over every day since the first conversation."""

    queue_id = models.BigIntegerField()
    channel_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    count = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["queue_id", "channel_id", "product_id"], name="open_total_key")]

    def __str__(self):
        return f"queue {self.queue_id}: {self.count}"


class OpenByEntryHour(models.Model):
    """Open conversations now in a queue, by the hour (UTC) they entered it: the backlog's last 30 days are
    counted from these rows, and only the few hours a bucket's edge falls in row by row."""

    queue_id = models.BigIntegerField()
    channel_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    hour = models.DateTimeField()
    count = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hour", "queue_id", "channel_id", "product_id"], name="open_by_hour_key")
        ]

    def __str__(self):
        return f"queue {self.queue_id} {self.hour}: {self.count}"


class FirstResponseWeek(models.Model):
    """First response times of the conversations that arrived in a week, per channel and product."""

    week = models.DateField()
    channel_id = models.BigIntegerField()
    product_id = models.BigIntegerField()  # ALL_PRODUCTS for the channel as a whole
    arrived = models.IntegerField()
    replied = models.IntegerField()
    median_seconds = models.BigIntegerField(null=True)
    p90_seconds = models.BigIntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["week", "channel_id", "product_id"], name="first_response_week_key")
        ]

    def __str__(self):
        return f"channel {self.channel_id} {self.week}"


class EscalationClose(models.Model):
    """A close of an escalated conversation: how long since its first escalation after it was (re)opened."""

    close_event_id = models.BigIntegerField(primary_key=True)
    conversation_id = models.BigIntegerField()
    channel_id = models.BigIntegerField()
    product_id = models.BigIntegerField()  # the product when it was escalated
    escalated_at = models.DateTimeField()
    closed_at = models.DateTimeField()
    closed_day = models.DateField()
    seconds = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["closed_day"], name="escalation_close_day")]

    def __str__(self):
        return f"close {self.close_event_id} of #{self.conversation_id}"
