"""What admins configure: queues, channels, products, tags and clippings."""

import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
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
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
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
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
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
SLACK_CHANNEL_RE = re.compile(r"#[a-z0-9_-]{1,80}|[CG][A-Z0-9]{8,12}")


class Product(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    matrix_room = models.CharField(_("Matrix room"), max_length=150, blank=True, help_text="#room:mozilla.org")
    matrix_private = models.BooleanField(
        _("Matrix room is private"),
        default=False,
        help_text=_("Escalation notices there quote the customer and the internal note. Leave off for public rooms."),
    )
    slack_channel = models.CharField(
        _("Slack channel"), max_length=100, blank=True, help_text=_("#channel, or the channel's id (C0123ABCDEF)")
    )
    slack_private = models.BooleanField(
        _("Slack channel is private"),
        default=False,
        help_text=_(
            "Escalation notices there quote the customer and the internal note. Leave off for public channels."
        ),
    )
    is_paid = models.BooleanField(_("paid product"), default=False)

    objects = SmallTableQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
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
                "Enter the Slack channel as #channel (lowercase letters, digits, hyphens and underscores, e.g. "
                "#android-support) or as its id (e.g. C0123ABCDEF)."
            )
        if errors:
            raise ValidationError(errors)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)

    objects = SmallTableQuerySet.as_manager()

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
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
        verbose_name = _("clipping")
        verbose_name_plural = _("clippings")
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
