"""The conversation list's filters. Everything lives in the query string, so a view can be bookmarked."""

from datetime import timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from queues import search
from queues.models import Channel, Conversation, EscalationReason, Product, Queue, Status, Tag
from queues.selectors import undelivered_replies


def few_enough_words(value: str) -> None:
    count = len(search.words(value))
    if count > search.MAX_WORDS:
        raise ValidationError(
            ngettext(
                "Search for at most %(limit)d words; this search has %(count)d word.",
                "Search for at most %(limit)d words; this search has %(count)d words.",
                count,
            )
            % {"limit": search.MAX_WORDS, "count": count}
        )


class ConversationFilter(django_filters.FilterSet):
    ASSIGNEE_CHOICES = [("me", _("Me")), ("unassigned", _("Unassigned")), ("anyone", _("Anyone assigned"))]
    SORT_CHOICES = [
        ("oldest", _("Oldest first")),
        ("newest", _("Newest first")),
        ("rating", _("Lowest rating first")),
        ("longest_in_queue", _("Longest in its queue first")),
    ]

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_("Every word, in the author, handle, title or text; or an id on the platform."),
        max_length=search.MAX_CHARACTERS,
        validators=[few_enough_words],
    )
    queue = django_filters.ModelChoiceFilter(queryset=Queue.objects.filter(is_active=True), empty_label=_("Any queue"))
    status = django_filters.ChoiceFilter(choices=Status.choices, empty_label=_("Any status"))
    channel = django_filters.ModelChoiceFilter(queryset=Channel.objects.all(), empty_label=_("Any channel"))
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all(), empty_label=_("Any product"))
    assignee = django_filters.ChoiceFilter(
        choices=ASSIGNEE_CHOICES, method="filter_assignee", label=_("Assignee"), empty_label=_("Assigned or not")
    )
    # distinct=False: a conversation has one rating, so no duplicates to remove, and SELECT DISTINCT would sort
    # every matching row before the page could be cut.
    rating = django_filters.MultipleChoiceFilter(
        choices=[(n, "★" * n) for n in range(1, 6)],
        widget=forms.CheckboxSelectMultiple,
        label=_("Rating"),
        distinct=False,
    )
    tag = django_filters.ModelChoiceFilter(
        field_name="tags", queryset=Tag.objects.all(), to_field_name="slug", empty_label=_("Any tag"), label=_("Tag")
    )
    escalation_reason = django_filters.ChoiceFilter(choices=EscalationReason.choices, empty_label=_("Any reason"))
    received_from = django_filters.DateFilter(
        field_name="received_at",
        lookup_expr="date__gte",
        label=_("Received from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = django_filters.DateFilter(
        field_name="received_at",
        lookup_expr="date__lte",
        label=_("Received until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    in_queue_days = django_filters.NumberFilter(
        method="filter_in_queue_days",
        label=_("In its queue for at least (days)"),
        min_value=0,
        max_value=3650,
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label=_("Only on hold past their auto-close date"),
        widget=forms.CheckboxInput,
    )
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="keep", label=_("Sort"), empty_label=None)
    delivery = django_filters.ChoiceFilter(
        choices=[("undelivered", _("A reply not delivered"))],
        method="filter_delivery",
        label=_("Replies"),
        empty_label=_("Any"),
    )

    class Meta:
        model = Conversation
        fields = []

    # How the panel lays the filters out: rows of (field, Bootstrap column class); drawn by {% filter_panel %}.
    LAYOUT = (
        (("q", "col-md-4"), ("queue", "col-md"), ("status", "col-md"), ("sort", "col-md")),
        (("channel", "col-md"), ("product", "col-md"), ("assignee", "col-md"), ("tag", "col-md")),
        (
            ("escalation_reason", "col-md"),
            ("received_from", "col-md"),
            ("received_to", "col-md"),
            ("rating", "col-md-3"),
            ("delivery", "col-md"),
        ),
        (("in_queue_days", "col-md-4"), ("overdue", "col-md-8 pt-md-4")),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def filter_queryset(self, queryset):
        # A search that was refused finds nothing: the whole list under its error message would look like results.
        if "q" in self.form.errors:
            return queryset.none()
        return super().filter_queryset(queryset)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return search.matching(queryset, value)

    def filter_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.user)
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__isnull=False)

    def filter_delivery(self, queryset, name, value):
        return queryset.filter(Exists(undelivered_replies().filter(conversation=OuterRef("pk"))))

    def filter_in_queue_days(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(queue_entered_at__lte=timezone.now() - timedelta(days=int(value)))

    def filter_overdue(self, queryset, name, value):
        """On hold past its queue's auto-close time with the customer silent: what the automation should have
        closed (it has not run, or failed)."""
        if not value:
            return queryset
        due = ExpressionWrapper(F("on_hold_since") + F("queue__auto_close_after"), output_field=DateTimeField())
        return queryset.alias(auto_close_due=due).filter(
            Q(last_customer_message_at__isnull=True) | Q(last_customer_message_at__lt=F("on_hold_since")),
            status=Status.OPEN,
            on_hold_since__isnull=False,
            queue__auto_close_after__isnull=False,
            auto_close_due__lte=timezone.now(),
        )

    def keep(self, queryset, name, value):
        return queryset  # the sort is applied by the keyset paginator

    @property
    def sort_order(self) -> str:
        return (self.form.cleaned_data.get("sort") if self.form.is_valid() else None) or "oldest"
