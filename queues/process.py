"""The process of ../shared/reference/ in one file: the stages a conversation goes through, the actions agents take,
which stage allows which action, which actions need a moderator, and what a user may do to a conversation now.

The services enforce it (queues/services/), the pages decide from it which forms to show, and the admin's bulk
actions report the services' refusals. To change the process, change this file.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from queues.permissions import can_moderate, can_work


class Stage(models.TextChoices):
    """Where a conversation stands in the process: its status and the kind of its queue."""

    WORKING = "working", _("Working")
    ON_HOLD = "on_hold", _("On hold")
    ESCALATED = "escalated", _("Escalated")
    CLOSED = "closed", _("Closed")


# The stage of an open conversation, by the kind of its queue (Queue.Kind's values).
QUEUE_KIND_STAGE = {
    "working": Stage.WORKING,
    "on_hold": Stage.ON_HOLD,
    "escalation": Stage.ESCALATED,
}


class Action(models.TextChoices):
    ASSIGN = "assign", _("assign")
    UNASSIGN = "unassign", _("unassign")
    MOVE = "move", _("move to a working queue")
    NOTE = "note", _("add a note")
    REPLY = "reply", _("reply")
    SET_PRODUCT = "set_product", _("set the product")
    SET_TAGS = "set_tags", _("set the tags")
    PUT_ON_HOLD = "put_on_hold", _("put on hold")
    ESCALATE = "escalate", _("escalate")
    CLOSE = "close", _("close")
    REOPEN = "reopen", _("reopen")


_OPEN_STAGES = frozenset({Stage.WORKING, Stage.ON_HOLD, Stage.ESCALATED})

# Which actions each stage allows.
ALLOWED_ACTIONS: dict[str, frozenset[str]] = {
    Action.ASSIGN: _OPEN_STAGES,
    Action.UNASSIGN: _OPEN_STAGES,
    Action.MOVE: _OPEN_STAGES,
    Action.NOTE: frozenset(Stage.values),
    Action.REPLY: _OPEN_STAGES,
    Action.SET_PRODUCT: frozenset(Stage.values),
    Action.SET_TAGS: frozenset(Stage.values),
    Action.PUT_ON_HOLD: frozenset({Stage.WORKING, Stage.ESCALATED}),
    Action.ESCALATE: frozenset({Stage.WORKING, Stage.ON_HOLD}),
    Action.CLOSE: _OPEN_STAGES,
    Action.REOPEN: frozenset({Stage.CLOSED}),
}

# Contributors do the rest of the process; these need a moderator. So does creating a tag (services.set_tags).
MODERATOR_ACTIONS = frozenset({Action.MOVE, Action.REOPEN})

# The stage an action leads to, where refusing it means "already there".
ACTION_TARGET_STAGE = {
    Action.PUT_ON_HOLD: Stage.ON_HOLD,
    Action.ESCALATE: Stage.ESCALATED,
    Action.CLOSE: Stage.CLOSED,
}

# How messages say where a conversation stands ("it is on hold").
STAGE_WORDS = {
    Stage.WORKING: _("in a working queue"),
    Stage.ON_HOLD: _("on hold"),
    Stage.ESCALATED: _("escalated"),
    Stage.CLOSED: _("closed"),
}


def stage_of(*, status: str, queue_kind: str) -> str:
    if status == "closed":
        return Stage.CLOSED
    return QUEUE_KIND_STAGE.get(queue_kind, Stage.WORKING)


@dataclass(frozen=True)
class Refusal:
    """Why an action is not possible: message for the person who tried, reason (short, without the conversation's
    number) for lists that group refusals ("already escalated (3: #4, #9, #12)")."""

    message: str
    reason: str
    role: bool = False  # refused for the user's role, not for the conversation's stage


def role_refusal(user, action: str) -> Refusal | None:
    """Why this user's role does not allow the action; None when it does. user None is the automation (or the
    customer): no role check."""
    if user is None:
        return None
    if not can_work(user):
        message = gettext("Only agents can work conversations.")
    elif action in MODERATOR_ACTIONS and not can_moderate(user):
        message = gettext("Only moderators can %(action)s.") % {"action": Action(action).label}
    else:
        return None
    return Refusal(message, message, role=True)


def stage_refusal(conversation, action: str) -> Refusal | None:
    """Why the conversation's stage does not allow the action; None when it does."""
    stage = conversation.stage
    if stage in ALLOWED_ACTIONS[action]:
        return None
    if ACTION_TARGET_STAGE.get(action) == stage:
        reason = gettext("already %(stage)s") % {"stage": STAGE_WORDS[stage]}
    else:
        reason = str(STAGE_WORDS[stage])
    message = gettext("Cannot %(action)s conversation #%(pk)s: it is %(stage)s.") % {
        "action": Action(action).label,
        "pk": conversation.pk,
        "stage": STAGE_WORDS[stage],
    }
    return Refusal(message, reason)


def refusal(user, conversation, action: str) -> Refusal | None:
    """Why `user` may not take `action` on `conversation` now; None when they may."""
    return role_refusal(user, action) or stage_refusal(conversation, action)


def allowed_actions(user, conversation) -> frozenset[str]:
    """What this user may do to this conversation now: the pages show a form for each of these and no other.

    Assigning means "assign to me" here, so it is offered only when the conversation is not already the user's;
    unassigning only when someone has it."""
    allowed = {action for action in Action.values if refusal(user, conversation, action) is None}
    if conversation.assignee_id == getattr(user, "pk", None):
        allowed.discard(Action.ASSIGN)
    if conversation.assignee_id is None:
        allowed.discard(Action.UNASSIGN)
    return frozenset(allowed)
