"""Notices to product teams in the admin: every notice and attempt, read-only, filterable by state; failed ones sent
again in bulk; and a test notice from a product's page."""

import uuid

from django.conf import settings
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from queues.admin.actions import MAX_SELECTED, apply_each
from queues.admin.base import NoWrites, ReadOnlyAdmin, SearchByConversationNumber
from queues.models import Notice, NoticeAttempt
from queues.notices import matrix, outbox, slack
from queues.platforms.transport import DeliveryError


class NoticeAttemptInline(NoWrites, admin.TabularInline):
    model = NoticeAttempt
    fields = ("started_at", "outcome", "http_status", "code", "words", "duration_ms", "worker")
    readonly_fields = fields
    extra = 0
    ordering = ("started_at", "id")


@admin.action(description=gettext_lazy("Send again"), permissions=["change"])
def send_notices_again(modeladmin, request, queryset):
    apply_each(
        modeladmin,
        request,
        queryset.order_by("pk")[:MAX_SELECTED],
        lambda notice: outbox.send_again(notice_id=notice.pk, actor=request.user),
        lambda count: _("Queued %(count)d again") % {"count": count},
    )


@admin.register(Notice)
class NoticeAdmin(SearchByConversationNumber, ReadOnlyAdmin):
    list_display = ("created_at", "conversation", "target", "destination", "occasion", "delivery", "delivery_reason")
    list_filter = ("delivery", "target", "occasion", "created_at")
    list_select_related = ("conversation",)
    search_fields = ("destination",)
    search_help_text = gettext_lazy("“#123” finds the notices of conversation 123; other text, a room or channel.")
    inlines = (NoticeAttemptInline,)
    actions = (send_notices_again,)

    def has_change_permission(self, request, obj=None):
        # Nothing is edited here; "change" is what the send-again action asks for.
        return obj is None and request.user.has_perm("queues.change_notice")


def send_test_notice(product) -> list[str]:
    """Post a test notice to each of the product's targets now, and say what each platform answered, verbatim."""
    text = _("Test notice from the Escalation Portal for %(product)s: escalations will be posted here.") % {
        "product": product
    }
    answers = []
    if product.matrix_room:
        answers.append(
            _test(
                _("Matrix %(room)s") % {"room": product.matrix_room},
                bool(settings.MATRIX_HOMESERVER_URL and settings.MATRIX_ACCESS_TOKEN),
                lambda: matrix.send_notice(
                    base_url=settings.MATRIX_HOMESERVER_URL,
                    token=settings.MATRIX_ACCESS_TOKEN,
                    room=product.matrix_room,
                    txn_id=f"portal-test-{uuid.uuid4().hex}",
                    body=text,
                    formatted_body=text,
                ),
            )
        )
    if product.slack_channel:
        answers.append(
            _test(
                _("Slack %(channel)s") % {"channel": product.slack_channel},
                bool(settings.SLACK_BOT_TOKEN),
                lambda: slack.post_message(
                    base_url=settings.SLACK_API_URL,
                    token=settings.SLACK_BOT_TOKEN,
                    channel=product.slack_channel,
                    text=text,
                    metadata={"event_type": "escalation_notice_test", "event_payload": {"product": product.slug}},
                ),
            )
        )
    return answers or [_("%(product)s has no Matrix room and no Slack channel.") % {"product": product}]


def _test(where: str, configured: bool, post) -> str:
    if not configured:
        return _("%(where)s: not configured (see the README, Configuration)") % {"where": where}
    try:
        sent = post()
    except DeliveryError as error:
        return _("%(where)s: refused: %(words)s") % {"where": where, "words": error.reason}
    return _("%(where)s: posted (%(id)s)") % {"where": where, "id": sent.external_id}


@admin.action(description=gettext_lazy("Send a test notice"), permissions=["change"])
def send_test_notices(modeladmin, request, queryset):
    for product in queryset[:20]:
        for answer in send_test_notice(product):
            modeladmin.message_user(request, answer, messages.INFO)
