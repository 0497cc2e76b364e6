"""What happened on a conversation: messages, notes and the append-only audit trail; and its search text."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from queues.models.config import Clipping, Queue
from queues.models.conversations import Conversation
from queues.outbox.models import AttemptRecord, OutboxItem


def _person(**options):
    """Who wrote or did it. A deleted user leaves it empty ("deleted user"): their work stays."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", **options
    )


class Message(OutboxItem):
    """A customer's message, or a reply: an outbox item (delivery and the outbox fields are only set on replies)."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("From the customer")
        OUTBOUND = "outbound", _("Reply")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, related_name="messages", verbose_name=_("conversation")
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    author = _person(verbose_name=_("author"))
    author_name = models.CharField(_("author name"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    clipping = models.ForeignKey(
        Clipping, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("clipping")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
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
            models.CheckConstraint(
                condition=~Q(delivery="queued") | Q(next_attempt_at__isnull=False),
                name="message_queued_has_next_attempt",
            ),
        ]
        indexes = [
            # The worker's poll: the first due reply is one probe of a small index.
            models.Index(fields=["next_attempt_at"], condition=Q(delivery="queued"), name="message_outbox_due"),
            # Sends whose worker stopped: found when their lease expires.
            models.Index(fields=["lease_expires_at"], condition=Q(delivery="sending"), name="message_outbox_leased"),
            # The dashboard's undelivered replies.
            models.Index(
                fields=["delivery", "queued_at"],
                condition=Q(delivery__in=["queued", "failed", "unknown"]),
                name="message_undelivered",
            ),
        ]

    def __str__(self):
        return _("%(direction)s on #%(pk)s") % {"direction": self.get_direction_display(), "pk": self.conversation_id}


class Attempt(AttemptRecord):
    """One try at sending a reply: when, how long, and what the platform answered."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="delivery_attempts")

    class Meta(AttemptRecord.Meta):
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        indexes = [models.Index(fields=["message", "started_at"], name="attempt_message_started")]

    def __str__(self):
        return f"{self.get_outcome_display()} #{self.message_id}"


class Note(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, related_name="notes", verbose_name=_("conversation")
    )
    author = _person(verbose_name=_("author"))
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return _("Note on #%(pk)s") % {"pk": self.conversation_id}


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
        DELIVERED = "delivered", _("delivered a reply")
        DELIVERY_FAILED = "delivery_failed", _("could not deliver a reply")
        DELIVERY_UNKNOWN = "delivery_unknown", _("lost track of a reply")
        SENT_AGAIN = "sent_again", _("sent a reply again")
        NOTICE_POSTED = "notice_posted", _("told the product team")
        NOTICE_FAILED = "notice_failed", _("could not tell the product team")
        NOTICE_SENT_AGAIN = "notice_sent_again", _("asked to tell the product team again")

    # Not indexed alone: event_conversation_created starts with it.
    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, related_name="events", db_index=False, verbose_name=_("conversation")
    )
    # Indexed only where set (event_actor_created): the automation's events have none and skip it.
    actor = _person(db_index=False, verbose_name=_("who"))
    # A deleted user also leaves actor empty; this tells the automation apart from them.
    by_automation = models.BooleanField(_("by the automation"), default=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The queues are not indexed: nothing asks for the events of a queue but deleting one, which is rare enough
    # to read the table, while every event written would write them.
    from_queue = models.ForeignKey(
        Queue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("from queue"),
    )
    to_queue = models.ForeignKey(
        Queue,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("to queue"),
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="event_conversation_created"),
            # A user's events newest first (the admin's "who did what" page, read backwards from its keyset
            # cursor), the admin's search by username, and setting actor to NULL when a user is deleted.
            models.Index(
                fields=["actor", "created_at", "id"], condition=Q(actor__isnull=False), name="event_actor_created"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(by_automation=False) | Q(actor__isnull=True),
                name="event_automation_has_no_actor",
            ),
        ]

    def __str__(self):
        return _("%(kind)s #%(pk)s") % {"kind": self.get_kind_display(), "pk": self.conversation_id}

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
