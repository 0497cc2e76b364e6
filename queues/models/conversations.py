"""A conversation: one customer thread, where it stands and who has it."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Now, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from queues.models.config import Channel, Product, Queue, Tag
from queues.permissions import can_work
from queues.process import ALLOWED_ACTIONS, stage_of


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class EscalationReason(models.TextChoices):
    NEEDS_PRODUCT_TEAM = (
        "needs_product_team",
        _("Cannot be solved by the agent; needs the product team"),
    )
    ATTENTION_NO_KB = (
        "attention_no_kb",
        _("Gets a lot of attention and the Knowledge Base has no solution"),
    )
    SENSITIVE = (
        "sensitive",
        _("Sensitive: the Mozilla/Firefox brand, team members, current events"),
    )
    PAID_PRODUCT = "paid_product", _("About a paid product, Pocket included")
    OTHER = "other", _("Other (describe it; admins are told)")


class CloseReason(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    NO_CUSTOMER_RESPONSE = "no_customer_response", _("No customer response")
    NO_ACTION_NEEDED = "no_action_needed", _("No action needed")
    DUPLICATE = "duplicate", _("Duplicate")
    SPAM = "spam", _("Spam or abuse")


# The list's "lowest rating first" key: conversations without a rating (social posts) sort last. An index is on
# this very expression, so that sort reads the index in order.
SORT_RATING = Coalesce("rating", Value(6))

# Who the customer is on a channel: their handle, or their name where the platform gives none (Google Play). The
# conversation page lists the customer's other conversations by it, from an index on this very expression.
CUSTOMER_KEY = Coalesce(NullIf("author_handle", Value("")), "author_name")


class ConversationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Status.OPEN)

    def closed(self):
        return self.filter(status=Status.CLOSED)

    def in_queue(self, queue):
        return self.filter(queue=queue)

    def visible_to(self, user):
        """The one authorisation filter: what this user may see and act on."""
        return self if can_work(user) else self.none()


class Conversation(models.Model):
    # db_index=False on channel, queue and assignee: an index in Meta starts with each of them already, and every
    # extra index is written again on each change of a row (the automation closes thousands in one go).
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="conversations", db_index=False, verbose_name=_("channel")
    )
    external_id = models.CharField(_("external id"), max_length=255)
    permalink = models.URLField(_("link to the original"), max_length=500, blank=True)
    author_name = models.CharField(_("author"), max_length=255, blank=True)
    author_handle = models.CharField(_("handle"), max_length=255, blank=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    body = models.TextField(_("text"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=35, blank=True)
    metadata = models.JSONField(
        _("metadata"),
        default=dict,
        blank=True,
        help_text=_("What the platform tells: device, app version …"),
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("product"),
    )
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, related_name="conversations", db_index=False, verbose_name=_("queue")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
        db_index=False,
        verbose_name=_("assignee"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations", verbose_name=_("tags"))
    escalation_reason = models.CharField(
        _("escalation reason"),
        max_length=30,
        choices=EscalationReason.choices,
        blank=True,
    )
    escalation_reason_other = models.CharField(_("other reason"), max_length=500, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # Not indexed: no page asks which conversations came from a queue, and deleting a queue (the only reader, to
    # protect it) is rare enough to read the table.
    previous_queue = models.ForeignKey(
        Queue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The working queue it left for on hold or escalation."),
        db_index=False,
        verbose_name=_("previous queue"),
    )
    on_hold_since = models.DateTimeField(_("on hold since"), null=True, blank=True)
    # When it entered the queue it is in (services/state.move()): the dashboard's "oldest open" is the longest wait
    # in *this* queue, not the age of the post.
    # db_default too: rows written in plain SQL (bulk loads, tests of the search triggers) get it as well.
    queue_entered_at = models.DateTimeField(_("in this queue since"), default=timezone.now, db_default=Now())
    last_customer_message_at = models.DateTimeField(_("last customer message"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=30, choices=CloseReason.choices, blank=True)
    created_at = models.DateTimeField(_("posted at"), default=timezone.now, help_text=_("When the customer posted."))
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["received_at", "id"]
        permissions = [
            (
                "work_conversation",
                _("Can work conversations: reply, note, hold, escalate, close"),
            ),
            (
                "moderate_conversation",
                _("Can move between any queues, reopen and manage tags"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                name="conversation_channel_external_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="conversation_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True) | Q(status="closed", closed_at__isnull=False),
                name="conversation_closed_at_matches_status",
            ),
        ]
        indexes = [
            # Queue pages, dashboard counts and "next conversation": open rows of a queue, oldest first.
            models.Index(
                fields=["queue", "status", "received_at"],
                name="conv_queue_status_received",
            ),
            # The dashboard's longest wait in each queue, and the list's "longest in queue first".
            models.Index(fields=["queue", "status", "queue_entered_at"], name="conv_queue_status_entered"),
            models.Index(fields=["assignee", "status"], name="conv_assignee_status"),
            models.Index(F("channel"), CUSTOMER_KEY, F("received_at"), name="conv_channel_customer"),
            models.Index(SORT_RATING, F("received_at"), F("id"), name="conv_sort_rating"),
            # The On Hold automation scans only open conversations that are on hold.
            models.Index(
                fields=["queue", "on_hold_since"],
                condition=Q(status="open", on_hold_since__isnull=False),
                name="conv_on_hold_open",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.author_handle or self.author_name}".strip()

    def get_absolute_url(self):
        return reverse("conversation-detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED

    @property
    def stage(self) -> str:
        """Where it stands in the process (queues/process.py)."""
        return stage_of(status=self.status, queue_kind=None if self.is_closed else self.queue.kind)

    @property
    def auto_closes_at(self):
        """When the on-hold automation closes it if the customer stays silent; None when it will not."""
        if self.is_closed or self.on_hold_since is None or not self.queue.auto_close_after:
            return None
        if self.last_customer_message_at and self.last_customer_message_at >= self.on_hold_since:
            return None
        return self.on_hold_since + self.queue.auto_close_after

    @property
    def auto_close_overdue(self) -> bool:
        due = self.auto_closes_at
        return due is not None and due <= timezone.now()

    def allows(self, action: str) -> bool:
        return self.stage in ALLOWED_ACTIONS[action]
