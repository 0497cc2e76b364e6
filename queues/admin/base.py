"""What the admins of the big tables share: no whole-table counts, read-only history, "#123" searches."""

from datetime import UTC

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.utils.dateparse import parse_datetime
from django.utils.text import smart_split
from django.utils.translation import gettext

from queues import search
from queues.drawing import DrawnSelect
from queues.paginators import CappedCountPaginator


class GuardedChangeList(ChangeList):
    """A list page's query string with dates no time zone can hold is refused like any invalid filter (the admin
    redirects with ?e=1); converting 9999-12-31T23:59:59-14:00 to UTC would otherwise fail as the query runs."""

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        for key, values in lookup_params.items():
            for value in values:
                try:
                    parsed = parse_datetime(value) if isinstance(value, str) else None
                    if parsed is not None and parsed.tzinfo is not None:
                        parsed.astimezone(UTC)
                except (ValueError, OverflowError) as error:
                    raise IncorrectLookupParameters(f"{key}: {error}") from error
        return lookup_params

    def get_queryset(self, request, exclude_parameters=None):
        """The rows as the list shows them: only the model admin's list_only columns, when it names them (a row of
        a big table read whole costs its JSON and every timestamp parsed, for columns the list never shows)."""
        queryset = super().get_queryset(request, exclude_parameters)
        only = getattr(self.model_admin, "list_only", ())
        return queryset.only(*only) if only else queryset


class GuardedSearch:
    """What every admin list accepts from its query string (queues/admin/__init__.py mixes it into every registered
    model admin, Django's and django-axes' included): a search of at most search.MAX_WORDS words and
    search.MAX_CHARACTERS characters, the rest left out and said so (SQLite refuses a thousand words, "Expression
    tree is too large", and a LIKE pattern of 100,000 characters; PostgreSQL takes seconds), and GuardedChangeList."""

    def get_search_results(self, request, queryset, search_term):
        tokens = list(smart_split(search_term.strip()))
        if len(tokens) > search.MAX_WORDS or len(search_term) > search.MAX_CHARACTERS:
            search_term = " ".join(tokens[: search.MAX_WORDS])[: search.MAX_CHARACTERS]
            messages.warning(
                request,
                gettext("Only the first %(words)d words and %(characters)d characters of the search were searched for.")
                % {"words": search.MAX_WORDS, "characters": search.MAX_CHARACTERS},
            )
        return super().get_search_results(request, queryset, search_term)

    def get_changelist(self, request, **kwargs):
        return GuardedChangeList

    def get_object(self, request, object_id, from_field=None):
        # An id past a signed 64-bit number: SQLite raises OverflowError as the query runs. No such object.
        try:
            return super().get_object(request, object_id, from_field)
        except OverflowError:
            return None


class DrawnActionForm(helpers.ActionForm):
    """Django's action form, its select of actions drawn without a template per action."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].widget = DrawnSelect(choices=self.fields["action"].choices)


class LargeTableAdmin(admin.ModelAdmin):
    """For tables that grow to millions of rows (conversations, messages, notes, events).

    No COUNT(*) of the whole table per page (CappedCountPaginator, no full result count), no facet counts (a
    COUNT per filter choice), sorting only on an indexed date, and no date_hierarchy: it runs SELECT DISTINCT
    over the dates of every matching row on each load. The date filters (today, past 7 days, this month …) use
    the same index as plain ranges.
    """

    paginator = CappedCountPaginator
    # Its rows drawn once per column's kind, not per cell (queues/admin/rows.py).
    change_list_template = "admin/queues/large_change_list.html"
    # A search for a common word or name matches a share of the whole table, and counting even the paginator's cap
    # of those matches costs more than the page (README, "Scale"): a search counts to 1,000 only.
    search_count_cap = 1_000
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    # Each row costs the admin a fixed time to draw, whatever the table's size: 50 keeps a page's budget.
    list_per_page = 50
    action_form = DrawnActionForm

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        if request.GET.get(SEARCH_VAR, "").strip():
            paginator.cap = min(paginator.cap, self.search_count_cap)
        return paginator


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
