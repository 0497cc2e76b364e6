"""Conversations in the admin: look into any of them, create one by hand, change product and tags, act on many at
once (queues/admin/actions.py). Every change goes through queues.services, so every change writes its Event."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from queues import search, services
from queues.admin.actions import CONVERSATION_ACTIONS
from queues.admin.base import LargeTableAdmin, NoWrites, SearchByConversationNumber
from queues.models import Conversation, Event, Message, Note
from queues.platforms.importing import time_problem
from queues.process import QUEUE_KIND_STAGE, Stage


class HistoryInline(NoWrites, admin.TabularInline):
    """What services wrote on a conversation, shown and never edited here."""

    extra = 0
    can_delete = False
    related = ()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related)


class NoteInline(HistoryInline):
    model = Note
    fields = ("created_at", "author", "body")
    related = ("author",)


class MessageInline(HistoryInline):
    model = Message
    fields = ("created_at", "direction", "author", "author_name", "body", "clipping", "delivery")
    related = ("author", "clipping")


class EventInline(HistoryInline):
    model = Event
    fields = ("created_at", "kind", "actor", "by_automation", "from_queue", "to_queue", "details")
    related = ("actor", "from_queue", "to_queue")


_STAGE_QUEUE_KIND = {stage: kind for kind, stage in QUEUE_KIND_STAGE.items()}


class StageFilter(admin.SimpleListFilter):
    title = _("stage")
    parameter_name = "stage"

    def lookups(self, request, model_admin):
        return Stage.choices

    def queryset(self, request, queryset):
        if self.value() == Stage.CLOSED:
            return queryset.closed()
        if self.value() in _STAGE_QUEUE_KIND:
            return queryset.open().filter(queue__kind=_STAGE_QUEUE_KIND[self.value()])
        return queryset


# What a platform sends: a new conversation is made of these, and they are shown read-only on a conversation.
_PLATFORM_FIELDS = (
    "channel",
    "external_id",
    "permalink",
    "author_name",
    "author_handle",
    "title",
    "body",
    "rating",
    "language",
    "metadata",
    "created_at",
)
# create_conversation does the rest.
_ADD_FIELDS = (*_PLATFORM_FIELDS, "product")
# Changed here only through services.set_product and services.set_tags, which write their events.
_EDITABLE_ON_CHANGE = ("product", "tags")
_CHANGE_FIELDSETS = (
    (None, {"fields": (*_PLATFORM_FIELDS, "received_at")}),
    (
        _("Work"),
        {
            "fields": (
                "product",
                "where_to_ask",
                "tags",
                "stage",
                "queue",
                "previous_queue",
                "status",
                "assignee",
                "on_hold_since",
                "last_customer_message_at",
                "updated_at",
            )
        },
    ),
    (_("Escalation"), {"fields": ("escalation_reason", "escalation_reason_other", "escalated_at")}),
    (_("Closing"), {"fields": ("closed_at", "close_reason")}),
)


class ConversationAdminForm(forms.ModelForm):
    def clean_created_at(self):
        # The importers' rule: a time every zone can draw, not before 1970 nor a year ahead.
        value = self.cleaned_data["created_at"]
        if value is not None and (problem := time_problem(value)):
            raise ValidationError(problem)
        return value


@admin.register(Conversation)
class ConversationAdmin(SearchByConversationNumber, LargeTableAdmin):
    conversation_field = "pk"
    form = ConversationAdminForm
    list_display = ("__str__", "channel", "queue", "stage", "assignee", "product", "received_at")
    # Each filter is an indexed column: queue (with status), channel, product, assignee, received_at.
    list_filter = (StageFilter, "queue", "channel", "product", "assignee", "received_at")
    # The stage reads the queue's kind; the channel, assignee and product columns show their filters' labels
    # (queues/admin/rows.py), so their tables are not joined.
    list_select_related = ("queue",)
    # What the columns and the row's checkbox read ("#12 @handle", the stage, the related ids).
    list_only = (
        *("author_handle", "author_name", "status", "received_at", "channel", "assignee", "product"),
        *("queue__name", "queue__kind"),
    )
    # Searched by search_words (queues/search.py); naming a field here shows the search box.
    search_fields = ("search_text__text",)
    search_help_text = _(
        "“#123” finds conversation 123, and a platform's id its conversation. Other words search the author, the"
        " handle, the title and the text."
    )
    ordering = ("-received_at", "-id")
    sortable_by = ("received_at",)
    autocomplete_fields = ("channel", "product", "tags")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = CONVERSATION_ACTIONS
    inlines = (NoteInline, MessageInline, EventInline)

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ((None, {"fields": _ADD_FIELDS}),)
        return _CHANGE_FIELDSETS

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return tuple(
            name
            for _name, options in _CHANGE_FIELDSETS
            for name in options["fields"]
            if name not in _EDITABLE_ON_CHANGE
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["help_texts"] = {
                "product": _("Empty: the channel's default product."),
                "external_id": _("The conversation's id on the platform. It lands in the channel's working queue."),
            }
        return super().get_form(request, obj, change, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False

    def search_words(self, request, queryset, search_term):
        return search.matching(queryset, search_term), False

    @admin.display(description=_("stage"))
    def stage(self, obj):
        return Stage(obj.stage).label

    @admin.display(description=_("where to ask for help"))
    def where_to_ask(self, obj):
        product = obj.product
        if product is None or not (product.matrix_room or product.slack_channel):
            return None
        if not product.matrix_room:
            return product.slack_channel
        return format_html('<a href="{}">{}</a> {}', product.matrix_url, product.matrix_room, product.slack_channel)

    def save_model(self, request, obj, form, change):
        if change:
            if "product" in form.changed_data:
                services.set_product(conversation_id=obj.pk, actor=request.user, product_id=obj.product_id)
            return
        fields = {name: form.cleaned_data[name] for name in _ADD_FIELDS if name not in ("channel", "external_id")}
        if fields["product"] is None:
            del fields["product"]  # the service gives it the channel's default product
        created = services.create_conversation(
            channel_id=obj.channel_id, external_id=obj.external_id, actor=request.user, **fields
        )
        # The admin goes on with obj (log entry, message, redirect): make it the conversation the service made.
        obj.pk = created.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # Not form.save_m2m(): tags change through the service. The inlines are read-only, so saving their
        # formsets writes nothing; the admin's change message reads what they saved.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        if change and "tags" in form.changed_data:
            services.set_tags(
                conversation_id=form.instance.pk,
                actor=request.user,
                tag_ids=[tag.pk for tag in form.cleaned_data["tags"]],
            )
