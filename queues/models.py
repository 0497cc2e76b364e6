"""The domain of ../shared/PRODUCT.md: queues, channels, products, conversations and their audit."""

import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SmallTableQuerySet(models.QuerySet):
    """For the configuration tables, a few dozen rows each: iterator() reads them with one query.

    Form and filter choices are read with iterator(), which on PostgreSQL opens a server-side cursor: DECLARE, FETCH
    and CLOSE, three round trips where one does, for each select on a page."""

    def iterator(self, chunk_size=None):
        return iter(self._chain())


class QueueQuerySet(SmallTableQuerySet):
    def active_of_kind(self, kind: str):
        """The queues agents may choose of that kind."""
        return self.filter(kind=kind, is_active=True)


class Queue(models.Model):
    class Kind(models.TextChoices):
        WORKING = "working", _("Working")
        ON_HOLD = "on_hold", _("On hold")
        ESCALATION = "escalation", _("Escalation")

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    auto_close_after = models.DurationField(
        _("auto-close after"),
        null=True,
        blank=True,
        help_text=_("On hold queues only: close a conversation whose customer stayed silent this long."),
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = QueueQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            # The On Hold automation depends on this: only on-hold queues carry a duration, and
            # every one of them does. Escalation queues must never be closable by a machine.
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="on_hold",
                        auto_close_after__isnull=False,
                        auto_close_after__gt=timedelta(0),
                    )
                    | (~Q(kind="on_hold") & Q(auto_close_after__isnull=True))
                ),
                name="queue_auto_close_only_on_hold",
                violation_error_message=_(
                    "An on hold queue needs a positive auto-close duration; other kinds cannot have one."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        # The check constraint guarantees this; here it gets a message that says what to do.
        if self.kind == self.Kind.ON_HOLD:
            if self.auto_close_after is None:
                message = _("An on hold queue needs an auto-close duration, e.g. 7 days.")
            elif self.auto_close_after <= timedelta(0):
                message = _("The auto-close duration must be positive.")
            else:
                return
        elif self.auto_close_after is not None:
            message = _("Only on hold queues auto-close; leave this empty for a %(kind)s queue.") % {
                "kind": self.get_kind_display().lower()
            }
        else:
            return
        raise ValidationError({"auto_close_after": message})


class Channel(models.Model):
    class Platform(models.TextChoices):
        X = "x", _("X")
        FACEBOOK = "facebook", _("Facebook")
        GOOGLE_PLAY = "google_play", _("Google Play")

    name = models.CharField(_("name"), max_length=100)
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    account = models.CharField(
        _("account"),
        max_length=150,
        help_text=_("The brand handle or the app package, e.g. @FirefoxSupport."),
    )
    working_queue = models.ForeignKey(
        Queue,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": Queue.Kind.WORKING},
        verbose_name=_("working queue"),
    )
    escalation_queue = models.ForeignKey(
        Queue,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": Queue.Kind.ESCALATION},
        verbose_name=_("escalation queue"),
    )
    default_product = models.ForeignKey(
        "Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default product"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = SmallTableQuerySet.as_manager()

    class Meta:
        ordering = ["platform", "account"]
        constraints = [models.UniqueConstraint(fields=["platform", "account"], name="channel_platform_account_unique")]

    def __str__(self):
        return f"{self.get_platform_display()} {self.account}"

    def clean(self):
        errors = {}
        if self.working_queue_id and self.working_queue.kind != Queue.Kind.WORKING:
            errors["working_queue"] = _("The working queue must be a queue of kind working.")
        if self.escalation_queue_id and self.escalation_queue.kind != Queue.Kind.ESCALATION:
            errors["escalation_queue"] = _("The escalation queue must be a queue of kind escalation.")
        if errors:
            raise ValidationError(errors)


# A Matrix room alias, #localpart:server[:port], and a Slack channel name as Slack allows it.
MATRIX_ROOM_RE = re.compile(r"#[^\s:#]+:[A-Za-z0-9.-]+(:[0-9]+)?")
SLACK_CHANNEL_RE = re.compile(r"#[a-z0-9_-]{1,80}")


class Product(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    matrix_room = models.CharField(_("Matrix room"), max_length=150, blank=True, help_text="#room:mozilla.org")
    slack_channel = models.CharField(_("Slack channel"), max_length=100, blank=True, help_text="#channel")
    is_paid = models.BooleanField(_("paid product"), default=False)

    objects = SmallTableQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def matrix_url(self) -> str:
        return f"https://matrix.to/#/{self.matrix_room}" if self.matrix_room else ""

    def clean(self):
        errors = {}
        if self.matrix_room and not MATRIX_ROOM_RE.fullmatch(self.matrix_room):
            errors["matrix_room"] = _("Enter the Matrix room as #room:server, e.g. #fenix:mozilla.org.")
        if self.slack_channel and not SLACK_CHANNEL_RE.fullmatch(self.slack_channel):
            errors["slack_channel"] = _(
                "Enter the Slack channel as #channel: lowercase letters, digits, hyphens and underscores, "
                "e.g. #android-support."
            )
        if errors:
            raise ValidationError(errors)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)

    objects = SmallTableQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Clipping(models.Model):
    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("text"))
    is_escalation_statement = models.BooleanField(
        _("escalation statement"),
        default=False,
        help_text=_("The reply sent by every escalation. Exactly one."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = SmallTableQuerySet.as_manager()

    class Meta:
        ordering = ["-is_escalation_statement", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_escalation_statement"],
                condition=Q(is_escalation_statement=True),
                name="clipping_one_escalation_statement",
                violation_error_message=_("There is already an escalation statement."),
            ),
        ]

    def __str__(self):
        return self.title


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Stage(models.TextChoices):
    """Where a conversation stands in the process: its status and the kind of its queue."""

    WORKING = "working", _("Working")
    ON_HOLD = "on_hold", _("On hold")
    ESCALATED = "escalated", _("Escalated")
    CLOSED = "closed", _("Closed")


# The stage of an open conversation, by the kind of its queue.
QUEUE_KIND_STAGE = {
    Queue.Kind.WORKING: Stage.WORKING,
    Queue.Kind.ON_HOLD: Stage.ON_HOLD,
    Queue.Kind.ESCALATION: Stage.ESCALATED,
}


class Action(models.TextChoices):
    ASSIGN = "assign", _("assign")
    UNASSIGN = "unassign", _("unassign")
    MOVE = "move", _("move to a working queue")
    NOTE = "note", _("add a note")
    REPLY = "reply", _("reply")
    SET_PRODUCT = "set_product", _("set the product")
    SET_TAGS = "set_tags", _("set the tags")
    PUT_ON_HOLD = "put_on_hold", _("put on hold")
    ESCALATE = "escalate", _("escalate")
    CLOSE = "close", _("close")
    REOPEN = "reopen", _("reopen")


_OPEN_STAGES = frozenset({Stage.WORKING, Stage.ON_HOLD, Stage.ESCALATED})

# The process as data: which actions each stage allows. Services check it before they write.
ALLOWED_ACTIONS: dict[str, frozenset[str]] = {
    Action.ASSIGN: _OPEN_STAGES,
    Action.UNASSIGN: _OPEN_STAGES,
    Action.MOVE: _OPEN_STAGES,
    Action.NOTE: frozenset(Stage.values),
    Action.REPLY: _OPEN_STAGES,
    Action.SET_PRODUCT: frozenset(Stage.values),
    Action.SET_TAGS: frozenset(Stage.values),
    Action.PUT_ON_HOLD: frozenset({Stage.WORKING, Stage.ESCALATED}),
    Action.ESCALATE: frozenset({Stage.WORKING, Stage.ON_HOLD}),
    Action.CLOSE: _OPEN_STAGES,
    Action.REOPEN: frozenset({Stage.CLOSED}),
}


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


class ConversationQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Status.OPEN)

    def closed(self):
        return self.filter(status=Status.CLOSED)

    def in_queue(self, queue):
        return self.filter(queue=queue)

    def visible_to(self, user):
        """The one authorisation filter: what this user may see and act on."""
        from queues.permissions import can_work

        return self if can_work(user) else self.none()


class Conversation(models.Model):
    # db_index=False on channel, queue and assignee: an index in Meta starts with each of them already, and every
    # extra index is written again on each change of a row (the automation closes thousands in one go).
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="conversations", db_index=False)
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
    )
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="conversations", db_index=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
        db_index=False,
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
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
    )
    on_hold_since = models.DateTimeField(_("on hold since"), null=True, blank=True)
    last_customer_message_at = models.DateTimeField(_("last customer message"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=30, choices=CloseReason.choices, blank=True)
    created_at = models.DateTimeField(_("posted at"), default=timezone.now, help_text=_("When the customer posted."))
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
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
            models.Index(fields=["assignee", "status"], name="conv_assignee_status"),
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
        if self.is_closed:
            return Stage.CLOSED
        return QUEUE_KIND_STAGE.get(self.queue.kind, Stage.WORKING)

    def allows(self, action: str) -> bool:
        return self.stage in ALLOWED_ACTIONS[action]


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "inbound", _("From the customer")
        OUTBOUND = "outbound", _("Reply")

    class Delivery(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author_name = models.CharField(_("author name"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    clipping = models.ForeignKey(Clipping, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    delivery = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "external_id"],
                condition=~Q(external_id=""),
                name="message_conversation_external_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(direction="inbound", delivery="") | Q(direction="outbound") & ~Q(delivery=""),
                name="message_delivery_only_outbound",
            ),
        ]

    def __str__(self):
        return f"{self.get_direction_display()} on #{self.conversation_id}"


class Note(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Note on #{self.conversation_id}"


class Event(models.Model):
    """One line of the append-only audit trail."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        ASSIGNED = "assigned", _("assigned")
        UNASSIGNED = "unassigned", _("unassigned")
        MOVED = "moved", _("moved")
        NOTE_ADDED = "note_added", _("added a note")
        REPLIED = "replied", _("replied")
        PRODUCT_SET = "product_set", _("set the product")
        TAGS_SET = "tags_set", _("set the tags")
        PUT_ON_HOLD = "put_on_hold", _("put on hold")
        ESCALATED = "escalated", _("escalated")
        CLOSED = "closed", _("closed")
        REOPENED = "reopened", _("reopened")
        CUSTOMER_MESSAGE = "customer_message", _("customer wrote")

    # Not indexed alone: event_conversation_created starts with it.
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="events", db_index=False)
    # Indexed only where set (event_actor): the automation's events have none and skip it.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # A deleted user also leaves actor empty; this tells the automation apart from them.
    by_automation = models.BooleanField(_("by the automation"), default=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The queues are not indexed: nothing asks for the events of a queue but deleting one, which is rare enough
    # to read the table, while every event written would write them.
    from_queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    to_queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="event_conversation_created"),
            # The admin's search by username, and setting actor to NULL when a user is deleted.
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="event_actor"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(by_automation=False) | Q(actor__isnull=True),
                name="event_automation_has_no_actor",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.conversation_id}"

    def save(self, *args, **kwargs):
        # Append-only: an event, once written, is never rewritten.
        if not self._state.adding:
            raise ValueError("Events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Events are append-only and cannot be deleted.")


class SearchText(models.Model):
    """What the free-text searches read: a conversation's author, handle, title and text, one per line, in capitals.
    Written by database triggers only (queues/search.py), which says why it is a table of its own."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="search_text"
    )
    text = models.TextField()

    def __str__(self):
        return f"#{self.conversation_id}"


from queues.report_models import *  # noqa: E402,F403  the reports' rollup tables (queues/reports/)
