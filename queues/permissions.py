"""Who may do what. Pages, the admin and commands all ask here."""

WORK_PERMISSION = "queues.work_conversation"
MODERATE_PERMISSION = "queues.moderate_conversation"


def can_work(user) -> bool:
    """Agents (Contributors, Moderators) and staff work conversations."""
    return bool(user and user.is_authenticated and user.is_active and (user.is_staff or user.has_perm(WORK_PERMISSION)))


def can_moderate(user) -> bool:
    return bool(can_work(user) and (user.is_staff or user.has_perm(MODERATE_PERMISSION)))
