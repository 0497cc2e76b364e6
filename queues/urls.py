from django.urls import include, path

from queues import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("queues/<int:queue_id>/next/", views.next_conversation, name="next-conversation"),
    path("conversations/", views.conversation_list, name="conversation-list"),
    path("conversations/<int:pk>/", views.conversation_detail, name="conversation-detail"),
    path("conversations/<int:pk>/<slug:action>/", views.conversation_action, name="conversation-action"),
    path("reports/", include("queues.reports.urls")),
]
