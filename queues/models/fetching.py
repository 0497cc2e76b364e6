"""What arriving from the platforms by themselves needs to remember: where each channel's last fetch stopped, and
the webhook deliveries stored before they are worked."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from queues.models.config import Channel


class FetchCursor(models.Model):
    """Where a channel's fetch goes on from. Moved only inside the transaction that wrote a page, so a crash
    reads that page again, which is harmless."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, primary_key=True, related_name="fetch_cursor")
    # X: the account's user id, looked up once by its handle.
    account_id = models.CharField(_("account id"), max_length=64, blank=True)
    # X: the newest post of the last run that read every page; Google Play: the newest lastModified (millis).
    since_id = models.CharField(_("since id"), max_length=64, blank=True)
    # A run that stopped between pages (a rate limit, a crash) goes on from here: the page token of the page
    # not yet read, and the since_id that the run will leave once its last page is written.
    page_token = models.CharField(_("page token"), max_length=1000, blank=True)
    pending_since_id = models.CharField(_("pending since id"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("fetch cursor")
        verbose_name_plural = _("fetch cursors")

    def __str__(self):
        return f"{self.channel}: {self.since_id or '-'}"


class WebhookDelivery(models.Model):
    """One signed POST as it arrived, kept until it is worked (process_facebook_hooks), then kept as a record."""

    class Source(models.TextChoices):
        FACEBOOK = "facebook", _("Facebook")

    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    body = models.TextField(_("body"))
    # A replayed body (Facebook retries; an attacker may replay a signed one) is stored once.
    digest = models.CharField(_("SHA-256 of the body"), max_length=64)
    sender = models.GenericIPAddressField(_("sender"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    problem = models.TextField(_("problem"), blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [models.UniqueConstraint(fields=["source", "digest"], name="webhook_delivery_digest_unique")]
        indexes = [
            # The worker's one question: what has not been worked yet, oldest first.
            models.Index(fields=["received_at"], condition=Q(processed_at__isnull=True), name="webhook_unprocessed"),
        ]

    def __str__(self):
        return f"{self.source} {self.received_at:%Y-%m-%d %H:%M:%S}"
