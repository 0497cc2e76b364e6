"""Who did what: a user's events, newest first, for admins, linked from the user's page in the admin.

So that a question about an agent's actions is answered from the audit trail, not from memory. The events table
has millions of rows: a page reads the index event_actor_created (actor, created_at, id) backwards from its cursor,
50 rows at a time, and counts nothing. The cursor is the id of the last event shown (events are never deleted, so it
always exists); the page after it holds the events before that one in (created_at, id) order.

Registered from QueuesConfig.ready(): Django's own UserAdmin, with this page added.
"""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from queues.models import Event

PAGE = 50


def events_of(user, *, before: int | None = None, size: int = PAGE) -> tuple[list[Event], int | None]:
    """One page of the user's events, newest first, and the cursor of the next (older) page, or None."""
    events = Event.objects.filter(actor=user)
    if before is not None:
        cursor = Event.objects.filter(actor=user, pk=before).values_list("created_at", flat=True).first()
        if cursor is None:
            raise Http404(_("That event is not one of this user's."))
        # The bound created_at <= cursor, implied by the rest, lets the database start reading at the cursor.
        events = events.filter(Q(created_at__lt=cursor) | Q(created_at=cursor, pk__lt=before), created_at__lte=cursor)
    rows = list(events.select_related("from_queue", "to_queue").order_by("-created_at", "-id")[: size + 1])
    return rows[:size], (rows[size - 1].pk if len(rows) > size else None)


class UserAdmin(auth_admin.UserAdmin):
    def get_urls(self):
        return [
            path(
                "<int:user_id>/events/",
                self.admin_site.admin_view(self.events_view),
                name="auth_user_events",
            ),
            *super().get_urls(),
        ]

    def events_view(self, request, user_id: int):
        if not (self.has_view_permission(request) and request.user.has_perm("queues.view_event")):
            raise PermissionDenied
        user = get_object_or_404(get_user_model(), pk=user_id)
        before = request.GET.get("before", "")
        if before and not before.isdigit():
            raise Http404(_("That page does not exist."))
        events, older = events_of(user, before=int(before) if before else None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": user,
            "title": _("What %(user)s did") % {"user": user.get_username()},
            "events": events,
            "older": older,
            "is_first_page": not before,
        }
        return TemplateResponse(request, "admin/auth/user/events.html", context)


def register() -> None:
    """Replace the admin's UserAdmin with the one that has the page (QueuesConfig.ready())."""
    User = get_user_model()
    if admin.site.is_registered(User):
        admin.site.unregister(User)
    admin.site.register(User, UserAdmin)
