"""The history of conversations: messages, notes and events, read-only, newest first."""

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from queues.admin.base import ReadOnlyAdmin, SearchByConversationNumber
from queues.admin.delivery import AttemptInline, send_again_selected
from queues.models import Event, Message, Note


def _excerpt(text: str) -> str:
    return Truncator(text).chars(80)


@admin.register(Message)
class MessageAdmin(SearchByConversationNumber, ReadOnlyAdmin):
    list_display = ("__str__", "conversation", "direction", "delivery", "author", "text", "created_at")
    inlines = (AttemptInline,)
    actions = (send_again_selected,)
    list_filter = ("direction", "delivery", "created_at")
    list_select_related = ("conversation", "author")
    search_fields = ("=external_id",)
    search_help_text = _("“#123” finds the messages of conversation 123; other text, a message's id on the platform.")

    @admin.display(description=_("text"))
    def text(self, obj):
        return _excerpt(obj.body)

    def has_send_again_permission(self, request):
        return request.user.has_perm("queues.change_conversation")


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
