"""The conversation list's filters. Everything lives in the query string, so a view can be bookmarked."""

import django_filters
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from queues import search
from queues.models import Channel, Conversation, EscalationReason, Product, Queue, Status, Tag


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
    SORT_CHOICES = [("oldest", _("Oldest first")), ("newest", _("Newest first")), ("rating", _("Lowest rating first"))]

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
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="keep", label=_("Sort"), empty_label=None)

    class Meta:
        model = Conversation
        fields = []

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.form.helper = helper = FormHelper()
        helper.form_method = "get"
        helper.form_id = "conversation-filters"
        helper.disable_csrf = True
        helper.layout = Layout(
            Row(Column("q", css_class="col-md-4"), Column("queue"), Column("status"), Column("sort")),
            Row(Column("channel"), Column("product"), Column("assignee"), Column("tag")),
            Row(
                Column("escalation_reason"),
                Column("received_from"),
                Column("received_to"),
                Column("rating", css_class="col-md-3"),
            ),
            Submit("", _("Filter"), css_class="btn-primary"),
        )

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

    def keep(self, queryset, name, value):
        return queryset  # the sort is applied by the keyset paginator

    @property
    def sort_order(self) -> str:
        return (self.form.cleaned_data.get("sort") if self.form.is_valid() else None) or "oldest"
