"""Notices to product teams (queues/notices/): outbox items like replies, one per target of an escalation."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from queues.models.conversations import Conversation
from queues.outbox.models import AttemptRecord, OutboxItem


class Notice(OutboxItem):
    """One post to one target: a Matrix room, a Slack channel, or the admins' mailbox. Its text is written when it
    is queued, so every attempt posts the same words."""

    class Target(models.TextChoices):
        MATRIX = "matrix", _("Matrix")
        SLACK = "slack", _("Slack")
        EMAIL = "email", _("e-mail to admins")

    class Occasion(models.TextChoices):
        ESCALATED = "escalated", _("escalated")
        HANDLED = "handled", _("escalation handled")
        OTHER_REASON = "other_reason", _("escalated for another reason")

    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="notices")
    target = models.CharField(_("target"), max_length=10, choices=Target.choices)
    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices)
    # Where it goes as the admin wrote it (#fenix:mozilla.org, #android-support); the admins' mail has none.
    destination = models.CharField(_("destination"), max_length=150, blank=True)
    # Where it went as the platform names it (a Matrix room id, a Slack channel id): a follow-up posts there.
    destination_id = models.CharField(_("destination id"), max_length=150, blank=True)
    private = models.BooleanField(_("private target"), default=False)
    # The first notice of the escalation, for a follow-up: its thread (a Matrix event id, a Slack ts).
    thread = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups", verbose_name=_("thread")
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    text = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    mrkdwn = models.TextField(_("Slack text"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("notice to a product team")
        verbose_name_plural = _("notices to product teams")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="notice_conversation_created"),
            # What the worker claims: queued notices, by when they are due.
            models.Index(fields=["next_attempt_at"], condition=Q(delivery="queued"), name="notice_due"),
            # What the worker settles when a worker stopped mid-send: leases that ran out.
            models.Index(fields=["lease_expires_at"], condition=Q(delivery="sending"), name="notice_leased"),
        ]

    def __str__(self):
        return f"{self.get_target_display()} {self.destination} #{self.conversation_id}".replace("  ", " ")


class NoticeAttempt(AttemptRecord):
    """One try at posting a notice."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attempts_made")

    class Meta(AttemptRecord.Meta):
        verbose_name = _("notice attempt")
        verbose_name_plural = _("notice attempts")
        indexes = [models.Index(fields=["notice", "started_at"], name="noticeattempt_notice_started")]

    def __str__(self):
        return f"{self.get_outcome_display()} #{self.notice_id}"
