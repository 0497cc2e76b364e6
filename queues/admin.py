"""The Django admin: admins configure queues, channels, products, tags and clippings, look into any conversation
and act on many at once (queues/admin_actions.py).

A conversation changes only through queues.services, here as on the agents' pages, so every change writes its
Event. Conversations, messages, notes and events are never deleted, and events are never edited.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from queues import search, services
from queues.admin_actions import CONVERSATION_ACTIONS
from queues.models import (
    QUEUE_KIND_STAGE,
    Channel,
    Clipping,
    Conversation,
    Event,
    Message,
    Note,
    Product,
    Queue,
    Stage,
    Status,
    Tag,
)
from queues.paginators import CappedCountPaginator
from queues.reply_limits import limits_summary, reply_problems

admin.site.site_header = _("Escalation Portal admin")
admin.site.site_title = _("Escalation Portal admin")
admin.site.index_title = _("Configuration and conversations")


class LargeTableAdmin(admin.ModelAdmin):
    """For tables that grow to millions of rows (conversations, messages, notes, events).

    No COUNT(*) of the whole table per page (CappedCountPaginator, no full result count), no facet counts (a
    COUNT per filter choice), sorting only on an indexed date, and no date_hierarchy: it runs SELECT DISTINCT
    over the dates of every matching row on each load. The date filters (today, past 7 days, this month …) use
    the same index as plain ranges.
    """

    paginator = CappedCountPaginator
    # A search for a common word or name matches a share of the whole table, and counting even 10,001 of those
    # matches costs a page at a million rows (issue 8's bench: 59 ms): a search counts to 1,000 only.
    search_count_cap = 1_000
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    # Drawing a row costs the admin about 0.4 ms: 100 rows alone would take 40 of a page's 50 ms budget (issue 8).
    list_per_page = 50

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        if request.GET.get(SEARCH_VAR, "").strip():
            paginator.cap = min(paginator.cap, self.search_count_cap)
        return paginator

    def action_checkbox(self, obj):
        # Django's own renders a form widget through its templates for every row; this is the same markup.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), obj),
        )


class NoWrites:
    """Written by services only: nobody adds, changes or deletes it here, superusers included."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoWrites, LargeTableAdmin):
    """The history of a conversation (messages, notes, events), newest first."""

    ordering = ("-created_at", "-id")
    sortable_by = ("created_at",)


# "#123" fits a bigint below this many digits.
_MAX_NUMBER_DIGITS = 18


class SearchByConversationNumber:
    """'#123' finds conversation 123 by its primary key; other terms go to search_words()."""

    conversation_field = "conversation_id"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        digits = term.removeprefix("#")
        if term.startswith("#") and digits.isdigit() and len(digits) <= _MAX_NUMBER_DIGITS:
            return queryset.filter(**{self.conversation_field: int(digits)}), False
        return self.search_words(request, queryset, search_term)

    def search_words(self, request, queryset, search_term):
        """The admin's own search of search_fields."""
        return super().get_search_results(request, queryset, search_term)


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
        if queue.conversations.filter(status=Status.OPEN).exists():
            raise ValidationError(gettext("This queue holds open conversations; its kind cannot change."))
        return kind


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    form = QueueAdminForm
    list_display = ("name", "kind", "auto_close_after", "open_conversations", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        # A correlated subquery per queue reads the (queue, status, received_at) index; a JOIN with a filtered
        # COUNT would read every conversation ever received.
        open_count = (
            Conversation.objects.filter(queue=OuterRef("pk"), status=Status.OPEN)
            .order_by()
            .values("queue")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return super().get_queryset(request).annotate(open_count=Coalesce(Subquery(open_count), 0))

    @admin.display(description=_("open conversations"), ordering="open_count")
    def open_conversations(self, obj):
        return obj.open_count


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
    fields = ("name", "slug", "matrix_room", "matrix_link", "slack_channel", "is_paid")
    readonly_fields = ("matrix_link",)

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

    def clean(self):
        data = super().clean()
        body = data.get("body")
        is_statement = self.instance.is_escalation_statement or data.get("is_escalation_statement")
        if is_statement and body:
            # Every escalation sends it: a statement one platform refuses makes escalation impossible there.
            platforms = set(Channel.objects.filter(is_active=True).values_list("platform", flat=True))
            for platform in sorted(platforms):
                problems = reply_problems(platform, body)
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

    @admin.display(description=_("length against each platform's limit"))
    def limits(self, obj):
        return limits_summary(obj.body) if obj.body else None

    def get_readonly_fields(self, request, obj=None):
        # The statement stays the statement: it cannot be un-flagged here, only its text edited.
        if obj is not None and obj.is_escalation_statement:
            return ("limits", "is_escalation_statement")
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
            return queryset.filter(status=Status.CLOSED)
        if self.value() in _STAGE_QUEUE_KIND:
            return queryset.filter(status=Status.OPEN, queue__kind=_STAGE_QUEUE_KIND[self.value()])
        return queryset


# A new conversation is what a platform would have sent; create_conversation does the rest.
_ADD_FIELDS = (
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
    "product",
)
# Changed here only through services.set_product and services.set_tags, which write their events.
_EDITABLE_ON_CHANGE = ("product", "tags")
_CHANGE_FIELDSETS = (
    (
        None,
        {
            "fields": (
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
                "received_at",
            )
        },
    ),
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


@admin.register(Conversation)
class ConversationAdmin(SearchByConversationNumber, LargeTableAdmin):
    conversation_field = "pk"
    list_display = ("__str__", "channel", "queue", "stage", "assignee", "product", "received_at")
    # Each filter is an indexed column: queue (with status), channel, product, assignee, received_at.
    list_filter = (StageFilter, "queue", "channel", "product", "assignee", "received_at")
    list_select_related = ("channel", "queue", "assignee", "product")
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


def _excerpt(text: str) -> str:
    return Truncator(text).chars(80)


@admin.register(Message)
class MessageAdmin(SearchByConversationNumber, ReadOnlyAdmin):
    list_display = ("__str__", "conversation", "direction", "delivery", "author", "text", "created_at")
    list_filter = ("direction", "delivery", "created_at")
    list_select_related = ("conversation", "author")
    search_fields = ("=external_id",)
    search_help_text = _("“#123” finds the messages of conversation 123; other text, a message's id on the platform.")

    @admin.display(description=_("text"))
    def text(self, obj):
        return _excerpt(obj.body)


@admin.register(Note)
class NoteAdmin(SearchByConversationNumber, ReadOnlyAdmin):
    list_display = ("__str__", "conversation", "author", "text", "created_at")
    list_filter = ("created_at",)
    list_select_related = ("conversation", "author")
    search_fields = ("body",)
    search_help_text = _("“#123” finds the notes of conversation 123; other words search the notes' text.")

    @admin.display(description=_("note"))
    def text(self, obj):
        return _excerpt(obj.body)


class ByAutomationFilter(admin.BooleanFieldListFilter):
    """The field's name already starts with "by"; the admin puts another in front of a filter's title."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("the automation")


@admin.register(Event)
class EventAdmin(SearchByConversationNumber, ReadOnlyAdmin):
    list_display = ("created_at", "conversation", "kind", "who", "from_queue", "to_queue")
    list_filter = ("kind", ("by_automation", ByAutomationFilter), "created_at")
    list_select_related = ("conversation", "actor", "from_queue", "to_queue")
    search_fields = ("=actor__username",)
    search_help_text = _("“#123” finds the events of conversation 123; a username, what that user did.")

    @admin.display(description=_("who"))
    def who(self, obj):
        if obj.actor is not None:
            return obj.actor.get_username()
        if obj.by_automation:
            return gettext("the automation")
        return gettext("the customer") if obj.kind == Event.Kind.CUSTOMER_MESSAGE else None
