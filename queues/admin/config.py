"""The configuration admins edit: queues, channels, products, tags and clippings."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from queues import platforms, selectors
from queues.admin.languages import ClippingTranslationInline, duration_text
from queues.admin.notices import send_test_notices
from queues.models import Channel, Clipping, Product, Queue, Tag


class QueueAdminForm(forms.ModelForm):
    class Meta:
        model = Queue
        fields = ("name", "slug", "kind", "auto_close_after", "description", "is_active")

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        queue = self.instance
        if queue.pk is None or kind == queue.kind:
            return kind
        # Conversations in an escalation queue must never become auto-closable, nor channels point at a queue
        # of the wrong kind: a kind only changes on a queue nothing relies on.
        if Channel.objects.filter(Q(working_queue=queue) | Q(escalation_queue=queue)).exists():
            raise ValidationError(
                gettext("Channels use this queue as their %(kind)s queue; point them elsewhere first."),
                params={"kind": queue.get_kind_display().lower()},
            )
        if queue.conversations.open().exists():
            raise ValidationError(gettext("This queue holds open conversations; its kind cannot change."))
        return kind


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    form = QueueAdminForm
    list_display = ("name", "kind", "closes_after", "open_conversations", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(open_count=selectors.open_count())

    @admin.display(description=_("auto-close after"), ordering="auto_close_after")
    def closes_after(self, obj):
        return duration_text(obj.auto_close_after) if obj.auto_close_after else None

    @admin.display(description=_("open conversations"), ordering="open_count")
    def open_conversations(self, obj):
        return selectors.shown_count(obj.open_count)


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "platform", "account", "working_queue", "escalation_queue", "default_product", "is_active")
    list_filter = ("platform", "is_active")
    search_fields = ("name", "account")
    list_select_related = ("working_queue", "escalation_queue", "default_product")
    autocomplete_fields = ("working_queue", "escalation_queue", "default_product")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "matrix_link", "slack_channel", "is_paid")
    list_filter = ("is_paid",)
    search_fields = ("name", "slug", "matrix_room", "slack_channel")
    prepopulated_fields = {"slug": ("name",)}
    fields = (
        "name",
        "slug",
        "matrix_room",
        "matrix_private",
        "matrix_link",
        "slack_channel",
        "slack_private",
        "is_paid",
    )
    readonly_fields = ("matrix_link",)
    # Posted at once, not through the outbox: the admin wants the platform's answer now.
    actions = (send_test_notices,)

    @admin.display(description=_("Matrix room"), ordering="matrix_room")
    def matrix_link(self, obj):
        if not obj.matrix_room:
            return None
        return format_html('<a href="{}">{}</a>', obj.matrix_url, obj.matrix_room)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class ClippingAdminForm(forms.ModelForm):
    class Meta:
        model = Clipping
        fields = ("title", "body", "is_escalation_statement", "is_active")

    def clean_is_escalation_statement(self):
        flagged = self.cleaned_data["is_escalation_statement"]
        current = flagged and Clipping.objects.filter(is_escalation_statement=True).exclude(pk=self.instance.pk).first()
        if current:
            raise ValidationError(
                gettext("“%(title)s” is the escalation statement; there is exactly one. Edit its text instead."),
                params={"title": current.title},
            )
        return flagged

    def clean_body(self):
        # The admin's textarea submits CRLF too; kept as LF, the text is counted as agents' replies are.
        return platforms.normalize_newlines(self.cleaned_data["body"])

    def clean_is_active(self):
        active = self.cleaned_data["is_active"]
        is_statement = self.instance.is_escalation_statement or self.cleaned_data.get("is_escalation_statement")
        if is_statement and not active:
            raise ValidationError(gettext("The escalation statement is sent by every escalation; it stays active."))
        return active

    def clean(self):
        data = super().clean()
        body = data.get("body")
        is_statement = self.instance.is_escalation_statement or data.get("is_escalation_statement")
        if is_statement and body:
            # Every escalation sends it: a statement one platform refuses makes escalation impossible there.
            in_use = set(Channel.objects.filter(is_active=True).values_list("platform", flat=True))
            for platform in sorted(in_use):
                problems = platforms.reply_problems(platform, body)
                if problems:
                    self.add_error(
                        "body",
                        gettext("The escalation statement must fit every channel. %(platform)s: %(problems)s")
                        % {"platform": Channel.Platform(platform).label, "problems": " ".join(problems)},
                    )
        return data


@admin.register(Clipping)
class ClippingAdmin(admin.ModelAdmin):
    form = ClippingAdminForm
    list_display = ("title", "limits", "is_escalation_statement", "is_active")
    list_filter = ("is_active", "is_escalation_statement")
    search_fields = ("title", "body")
    fields = ("title", "body", "limits", "is_escalation_statement", "is_active")
    inlines = [ClippingTranslationInline]

    @admin.display(description=_("length against each platform's limit"))
    def limits(self, obj):
        return platforms.limits_summary(obj.body) if obj.body else None

    def get_readonly_fields(self, request, obj=None):
        # The statement stays the statement: it cannot be un-flagged here, only its text edited.
        if obj is not None and obj.is_escalation_statement:
            return ("limits", "is_escalation_statement", "is_active")
        return ("limits",)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_escalation_statement:
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        statements = [obj for obj in objs if obj.is_escalation_statement]
        if statements:
            # has_delete_permission already refuses it; name the reason instead of "no permission for clippings".
            perms_needed.discard(Clipping._meta.verbose_name)
            protected = [
                *protected,
                *(
                    gettext("%(title)s: the escalation statement is sent by every escalation and is never deleted.")
                    % {"title": statement.title}
                    for statement in statements
                ),
            ]
        return deleted, model_count, perms_needed, protected
