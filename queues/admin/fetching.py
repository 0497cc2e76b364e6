"""What the fetchers keep, read-only: each channel's cursor, and the webhook deliveries with their problems."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from queues.admin.base import ReadOnlyAdmin
from queues.models import FetchCursor, WebhookDelivery


@admin.register(FetchCursor)
class FetchCursorAdmin(ReadOnlyAdmin):
    list_display = ("channel", "since_id", "page_token", "updated_at")
    list_select_related = ("channel",)
    ordering = ("channel",)


class WorkedFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("waiting", _("waiting")), ("problem", _("with a problem"))]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(processed_at__isnull=True)
        if self.value() == "problem":
            return queryset.exclude(problem="")
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "source", "sender", "processed_at", "problem")
    list_filter = (WorkedFilter, "source")
    ordering = ("-received_at", "-pk")
