"""Delivery in the admin: every attempt, read-only, and sending failed or unknown replies again in bulk."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from queues import services
from queues.admin.actions import MAX_SELECTED, apply_each
from queues.admin.base import NoWrites, ReadOnlyAdmin
from queues.models import Attempt


class AttemptInline(NoWrites, admin.TabularInline):
    model = Attempt
    fields = ("started_at", "outcome", "http_status", "code", "words", "duration_ms", "worker")
    readonly_fields = fields
    extra = 0
    ordering = ("started_at", "id")


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "message", "outcome", "http_status", "code", "words", "duration_ms", "worker")
    list_filter = ("outcome", "started_at")
    list_select_related = ("message",)
    ordering = ("-started_at", "-id")
    sortable_by = ("started_at",)
    search_fields = ("=message__id",)
    search_help_text = gettext_lazy("A reply's number finds its attempts.")


class SendAgainForm(forms.Form):
    include_unknown = forms.BooleanField(
        required=False,
        label=gettext_lazy("Also send unknown replies again"),
        help_text=gettext_lazy(
            "An unknown reply may already be posted: sending it again may post it twice. Check on the platform "
            "first. Left unticked, unknown replies are skipped."
        ),
    )


@admin.action(description=gettext_lazy("Send again…"), permissions=["send_again"])
def send_again_selected(modeladmin, request, queryset):
    replies = list(queryset.select_related("conversation__channel").order_by("pk")[: MAX_SELECTED + 1])
    if len(replies) > MAX_SELECTED:
        modeladmin.message_user(
            request,
            _("Select at most %(max)d messages at a time (filter the list first); nothing was changed.")
            % {"max": MAX_SELECTED},
            messages.ERROR,
        )
        return None
    confirmed = request.POST.get("post") == "yes"
    form = SendAgainForm(request.POST if confirmed else None)
    if not (confirmed and form.is_valid()):
        request.current_app = modeladmin.admin_site.name
        return TemplateResponse(
            request,
            "admin/queues/message/send_again_confirmation.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": _("Send the selected replies again"),
                "subtitle": None,
                "opts": modeladmin.opts,
                "form": form,
                "replies": replies,
                "action_name": request.POST.get("action", ""),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )
    apply_each(
        modeladmin,
        request,
        replies,
        lambda message: services.send_again(
            message_id=message.pk, actor=request.user, confirmed=form.cleaned_data["include_unknown"]
        ),
        lambda count: _("Queued %(count)d again") % {"count": count},
    )
    return None
