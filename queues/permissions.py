"""Who may work and moderate: the roles, as a check of one user and as the query of every such user.

Pages, the admin, commands and queues/process.py all ask here."""

from django.contrib.auth import get_user_model
from django.db.models import Q

WORK_PERMISSION = "queues.work_conversation"
MODERATE_PERMISSION = "queues.moderate_conversation"


def can_work(user) -> bool:
    """Agents (Contributors, Moderators) and staff work conversations."""
    return bool(user and user.is_authenticated and user.is_active and (user.is_staff or user.has_perm(WORK_PERMISSION)))


def can_moderate(user) -> bool:
    return bool(can_work(user) and (user.is_staff or user.has_perm(MODERATE_PERMISSION)))


def active_agents():
    """The users can_work() says yes to, as one query: active, and staff or granted the work permission."""
    app_label, codename = WORK_PERMISSION.split(".")
    granted = {"content_type__app_label": app_label, "codename": codename}
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_staff=True)
            | Q(is_superuser=True)
            | Q(**{f"user_permissions__{key}": value for key, value in granted.items()})
            | Q(**{f"groups__permissions__{key}": value for key, value in granted.items()})
        )
        .distinct()
        .order_by("username")
    )
