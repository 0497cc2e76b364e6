"""The fields every outbox item carries, and what every attempt records. Abstract: each kind of item (a reply, a
notice) is its own table with these fields, so one worker and one set of rules serve them all."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Delivery(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown")


# States an agent may send again from; queued and sending are the worker's, sent is done.
SEND_AGAIN_FROM = (Delivery.FAILED, Delivery.UNKNOWN)


class OutboxItem(models.Model):
    """delivery is blank on rows that are not outbound (a customer's message shares the Message table)."""

    Delivery = Delivery

    delivery = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices, blank=True)
    # When it was (last) queued, by its writer or by "send again": retries stop a maximum age after it.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    lease_owner = models.CharField(_("lease owner"), max_length=100, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # What the other end calls what was posted (an X post id, a Facebook comment id, a Matrix event id).
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    delivery_reason = models.TextField(_("why"), blank=True)

    class Meta:
        abstract = True

    @property
    def is_undelivered(self) -> bool:
        return self.delivery in SEND_AGAIN_FROM


class Outcome(models.TextChoices):
    SENT = "sent", _("sent")
    RETRY = "retry", _("will try again")
    FAILED = "failed", _("failed")
    UNKNOWN = "unknown", _("unknown")
    LOST = "lost", _("worker stopped mid-send")


class AttemptRecord(models.Model):
    """One call to the outside world for one item: append-only."""

    Outcome = Outcome

    started_at = models.DateTimeField(_("when"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    code = models.CharField(_("platform code"), max_length=100, blank=True)
    words = models.TextField(_("the platform's words"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    worker = models.CharField(_("worker"), max_length=100, blank=True)

    class Meta:
        abstract = True
        ordering = ["started_at", "id"]
