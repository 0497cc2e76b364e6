from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from queues import delivery_views, preferences, presence, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("preferences/", preferences.preferences, name="preferences"),
    path("preferences/language/", preferences.switch_language, name="switch-language"),
    # The scripts' strings (gettext, ngettext) in the request's language: a script file, so the CSP needs no inline.
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["queues"]), name="javascript-catalog"),
    path("queues/<int:queue_id>/next/", views.next_conversation, name="next-conversation"),
    path("conversations/", views.conversation_list, name="conversation-list"),
    path("conversations/<int:pk>/", views.conversation_detail, name="conversation-detail"),
    # What the open page polls: changed since it was drawn? who is writing? (static/queues/workspace.js)
    path("conversations/<int:pk>/presence/", presence.presence, name="conversation-presence"),
    # Each action of the conversation page: a POST, then back to the conversation.
    path("conversations/<int:pk>/reply/", views.reply, name="conversation-reply"),
    path("conversations/<int:pk>/note/", views.add_note, name="conversation-note"),
    path("conversations/<int:pk>/assign/", views.assign_to_me, name="conversation-assign"),
    path("conversations/<int:pk>/unassign/", views.unassign, name="conversation-unassign"),
    path("conversations/<int:pk>/product/", views.set_product, name="conversation-product"),
    path("conversations/<int:pk>/tags/", views.set_tags, name="conversation-tags"),
    path("conversations/<int:pk>/move/", views.move, name="conversation-move"),
    path("conversations/<int:pk>/hold/", views.put_on_hold, name="conversation-hold"),
    path("conversations/<int:pk>/escalate/", views.escalate, name="conversation-escalate"),
    path("conversations/<int:pk>/close/", views.close, name="conversation-close"),
    path("conversations/<int:pk>/reopen/", views.reopen, name="conversation-reopen"),
    path("replies/<int:pk>/send-again/", delivery_views.send_again, name="reply-send-again"),
    path("reports/", include("queues.reports.urls")),
]
