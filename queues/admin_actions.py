"""Bulk actions on conversations in the admin: thin doors to queues.services.

Each action runs the service an agent's page runs, once per selected conversation. Every service call is its
own transaction, so one refusal does not undo the others. An action that needs input, or that cannot be undone
in one click, first shows an intermediate page, like Django's delete_selected. The result message counts what
was done and groups what was skipped by reason, naming the conversations.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from queues import services
from queues.models import Action, Clipping, CloseReason, Conversation, EscalationReason, Queue, Stage
from queues.permissions import WORK_PERMISSION
from queues.reply_limits import MAX_LENGTH, limits_summary, reply_length, reply_problems

# One request runs the services of every selected conversation; more than this, and the admin filters first.
MAX_SELECTED = 500
# The result message names at most this many conversations per skip reason.
NAMED_PER_REASON = 10


def active_agents():
    """Users the assign service accepts: active, and staff or granted the work permission."""
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


def _choices_with_blank(choices):
    return [("", "---------"), *choices]


class EscalateForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=_choices_with_blank(EscalationReason.choices))
    other_reason = forms.CharField(
        label=gettext_lazy("Other reason"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Only for “Other”: say what it is; admins are told."),
    )
    note = forms.CharField(
        label=gettext_lazy("Internal note"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=gettext_lazy(
            "The problem and the steps already suggested to the customer. Added to each conversation."
        ),
        error_messages={"required": gettext_lazy("Describe the problem and the steps you suggested to the customer.")},
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == EscalationReason.OTHER and not data.get("other_reason"):
            self.add_error("other_reason", _("Say what the other reason is."))
        return data


class ClippingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} ({limits_summary(obj.body)})"


class ReplyWithClippingForm(forms.Form):
    # The statement promises an investigation: it is sent by escalating, never on its own.
    clipping = ClippingChoiceField(
        label=gettext_lazy("Clipping"),
        queryset=Clipping.objects.filter(is_active=True, is_escalation_statement=False),
        help_text=gettext_lazy("Conversations whose platform does not accept this text are skipped and named."),
    )


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=_choices_with_blank(CloseReason.choices))


class PutOnHoldForm(forms.Form):
    queue = forms.ModelChoiceField(
        label=gettext_lazy("On hold queue"),
        queryset=Queue.objects.active_of_kind(Queue.Kind.ON_HOLD),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # With a single on hold queue there is nothing to choose: preselect it.
        if self.fields["queue"].queryset.count() == 1:
            self.fields["queue"].empty_label = None


class MoveToQueueForm(forms.Form):
    queue = forms.ModelChoiceField(
        label=gettext_lazy("Working queue"),
        queryset=Queue.objects.active_of_kind(Queue.Kind.WORKING),
    )


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{obj.get_username()} ({name})" if name else obj.get_username()


class AssignForm(forms.Form):
    assignee = AgentChoiceField(label=gettext_lazy("Agent"), queryset=active_agents())


@dataclass(frozen=True)
class BulkAction:
    name: str
    title: str
    # The reason to skip a conversation, read from what was selected before any service runs; None to go on.
    skip: Callable[[Conversation, dict], str | None]
    apply: Callable[[Conversation, object, dict], object]
    done: Callable[[int, dict], str]
    form_class: type[forms.Form] | None = None
    confirm: bool = True
    intro: str = ""
    button: str = ""
    extra_context: Callable[[], dict] = dict


def _stage_refusal(convo: Conversation, action: str, *, target: str | None = None) -> str | None:
    if convo.allows(action):
        return None
    if convo.stage == target:
        return _("already %(stage)s") % {"stage": services.STAGE_WORDS[target]}
    return str(services.STAGE_WORDS[convo.stage])


def _reply_refusal(convo: Conversation, data: dict) -> str | None:
    refusal = _stage_refusal(convo, Action.REPLY)
    if refusal:
        return refusal
    platform, body = convo.channel.platform, data["clipping"].body
    if reply_length(platform, body) > MAX_LENGTH[platform]:
        return _("too long for %(platform)s") % {"platform": convo.channel.get_platform_display()}
    return " ".join(reply_problems(platform, body)) or None


def _move_refusal(convo: Conversation, data: dict) -> str | None:
    refusal = _stage_refusal(convo, Action.MOVE)
    if refusal is None and convo.queue_id == data["queue"].pk:
        refusal = _("already in %(queue)s") % {"queue": data["queue"]}
    return refusal


def _assign_refusal(convo: Conversation, data: dict) -> str | None:
    refusal = _stage_refusal(convo, Action.ASSIGN)
    if refusal is None and convo.assignee_id == data["assignee"].pk:
        refusal = _("already assigned to %(user)s") % {"user": data["assignee"].get_username()}
    return refusal


def _escalation_statement() -> dict:
    return {"statement": Clipping.objects.filter(is_escalation_statement=True).first()}


ESCALATE = BulkAction(
    name="escalate_selected",
    title=gettext_lazy("Escalate the selected conversations"),
    intro=gettext_lazy(
        "Each conversation gets the internal note below, the escalation statement as a reply, and moves to its "
        "channel's escalation queue. Conversations already escalated or closed are skipped."
    ),
    button=gettext_lazy("Escalate"),
    form_class=EscalateForm,
    skip=lambda convo, data: _stage_refusal(convo, Action.ESCALATE, target=Stage.ESCALATED),
    apply=lambda convo, actor, data: services.escalate_conversation(
        conversation_id=convo.pk,
        actor=actor,
        reason=data["reason"],
        note=data["note"],
        other_reason=data["other_reason"],
    ),
    done=lambda count, data: _("Escalated %(count)d") % {"count": count},
    extra_context=_escalation_statement,
)

REPLY_WITH_CLIPPING = BulkAction(
    name="reply_with_clipping",
    title=gettext_lazy("Reply to the selected conversations with a clipping"),
    intro=gettext_lazy(
        "The clipping is queued as a reply on each conversation. Closed conversations, and those whose platform "
        "does not accept the clipping (too long, or HTML on Google Play), are skipped."
    ),
    button=gettext_lazy("Reply"),
    form_class=ReplyWithClippingForm,
    skip=_reply_refusal,
    apply=lambda convo, actor, data: services.reply(
        conversation_id=convo.pk, actor=actor, clipping_id=data["clipping"].pk
    ),
    done=lambda count, data: (
        _("Replied to %(count)d with “%(clipping)s”") % {"count": count, "clipping": data["clipping"]}
    ),
)

CLOSE = BulkAction(
    name="close_selected",
    title=gettext_lazy("Close the selected conversations"),
    intro=gettext_lazy("Each conversation is closed with the reason below. Closed conversations are skipped."),
    button=gettext_lazy("Close"),
    form_class=CloseForm,
    skip=lambda convo, data: _stage_refusal(convo, Action.CLOSE, target=Stage.CLOSED),
    apply=lambda convo, actor, data: services.close_conversation(
        conversation_id=convo.pk, actor=actor, reason=data["reason"]
    ),
    done=lambda count, data: _("Closed %(count)d") % {"count": count},
)

REOPEN = BulkAction(
    name="reopen_selected",
    title=gettext_lazy("Reopen the selected conversations"),
    confirm=False,  # undone by closing again: nothing to confirm
    skip=lambda convo, data: None if convo.is_closed else _("not closed"),
    apply=lambda convo, actor, data: services.reopen_conversation(conversation_id=convo.pk, actor=actor),
    done=lambda count, data: _("Reopened %(count)d") % {"count": count},
)

PUT_ON_HOLD = BulkAction(
    name="put_on_hold",
    title=gettext_lazy("Put the selected conversations on hold"),
    intro=gettext_lazy(
        "Each conversation waits on the customer in the on hold queue below, whose automation closes it when the "
        "customer stays silent. Conversations already on hold or closed are skipped."
    ),
    button=gettext_lazy("Put on hold"),
    form_class=PutOnHoldForm,
    skip=lambda convo, data: _stage_refusal(convo, Action.PUT_ON_HOLD, target=Stage.ON_HOLD),
    apply=lambda convo, actor, data: services.put_on_hold(
        conversation_id=convo.pk, actor=actor, queue_id=data["queue"].pk
    ),
    done=lambda count, data: _("Put %(count)d on hold in %(queue)s") % {"count": count, "queue": data["queue"]},
)

MOVE_TO_QUEUE = BulkAction(
    name="move_to_queue",
    title=gettext_lazy("Move the selected conversations to a working queue"),
    intro=gettext_lazy("Closed conversations and those already in the queue are skipped."),
    button=gettext_lazy("Move"),
    form_class=MoveToQueueForm,
    skip=_move_refusal,
    apply=lambda convo, actor, data: services.move_to_queue(
        conversation_id=convo.pk, actor=actor, queue_id=data["queue"].pk
    ),
    done=lambda count, data: _("Moved %(count)d to %(queue)s") % {"count": count, "queue": data["queue"]},
)

ASSIGN = BulkAction(
    name="assign_to",
    title=gettext_lazy("Assign the selected conversations"),
    intro=gettext_lazy("Closed conversations and those already assigned to the agent are skipped."),
    button=gettext_lazy("Assign"),
    form_class=AssignForm,
    skip=_assign_refusal,
    apply=lambda convo, actor, data: services.assign_conversation(
        conversation_id=convo.pk, actor=actor, assignee_id=data["assignee"].pk
    ),
    done=lambda count, data: (
        _("Assigned %(count)d to %(user)s") % {"count": count, "user": data["assignee"].get_username()}
    ),
)


def _named(pks: list[int]) -> str:
    names = ", ".join(f"#{pk}" for pk in pks[:NAMED_PER_REASON])
    return names + (" …" if len(pks) > NAMED_PER_REASON else "")


def _result_message(done: str, skipped: dict[str, list[int]]) -> str:
    """'Escalated 12; skipped 3: already escalated (2: #4, #9), closed (1: #7).'"""
    if not skipped:
        return f"{done}."
    reasons = ", ".join(
        f"{reason} ({len(pks)}: {_named(pks)})"
        for reason, pks in sorted(skipped.items(), key=lambda item: (-len(item[1]), item[0]))
    )
    count = sum(len(pks) for pks in skipped.values())
    return _("%(done)s; skipped %(count)d: %(reasons)s.") % {"done": done, "count": count, "reasons": reasons}


def run(action: BulkAction, modeladmin, request, queryset):
    conversations = list(queryset.select_related("queue", "channel", "assignee").order_by("pk")[: MAX_SELECTED + 1])
    if len(conversations) > MAX_SELECTED:
        modeladmin.message_user(
            request,
            _("Select at most %(max)d conversations at a time (filter the list first); nothing was changed.")
            % {"max": MAX_SELECTED},
            messages.ERROR,
        )
        return None
    confirmed = request.POST.get("post") == "yes"
    form = action.form_class(request.POST if confirmed else None) if action.form_class else None
    if action.confirm and not (confirmed and (form is None or form.is_valid())):
        return _intermediate_page(action, modeladmin, request, conversations, form)

    data = form.cleaned_data if form else {}
    done, skipped = 0, {}
    for convo in conversations:
        reason = action.skip(convo, data)
        if reason is None:
            try:
                action.apply(convo, request.user, data)
            except services.ServiceError as error:
                # Changed since it was read (another agent), or refused for a reason the stage cannot tell.
                reason = error.message
            else:
                done += 1
                continue
        skipped.setdefault(str(reason).rstrip("."), []).append(convo.pk)
    modeladmin.message_user(
        request,
        _result_message(action.done(done, data), skipped),
        messages.WARNING if skipped else messages.SUCCESS,
    )
    return None


def _intermediate_page(action: BulkAction, modeladmin, request, conversations, form):
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": action.title,
        "subtitle": None,
        "opts": modeladmin.opts,
        "intro": action.intro,
        "button": action.button,
        "action_name": action.name,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "form": form,
        "rows": [(convo, Stage(convo.stage).label) for convo in conversations],
        "media": modeladmin.media + (form.media if form else forms.Media()),
        **action.extra_context(),
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/queues/conversation/action_confirmation.html", context)


@admin.action(description=gettext_lazy("Escalate selected…"), permissions=["change"])
def escalate_selected(modeladmin, request, queryset):
    return run(ESCALATE, modeladmin, request, queryset)


@admin.action(description=gettext_lazy("Reply with clipping…"), permissions=["change"])
def reply_with_clipping(modeladmin, request, queryset):
    return run(REPLY_WITH_CLIPPING, modeladmin, request, queryset)


@admin.action(description=gettext_lazy("Close selected…"), permissions=["change"])
def close_selected(modeladmin, request, queryset):
    return run(CLOSE, modeladmin, request, queryset)


@admin.action(description=gettext_lazy("Reopen selected"), permissions=["change"])
def reopen_selected(modeladmin, request, queryset):
    return run(REOPEN, modeladmin, request, queryset)


@admin.action(description=gettext_lazy("Put on hold…"), permissions=["change"])
def put_on_hold(modeladmin, request, queryset):
    return run(PUT_ON_HOLD, modeladmin, request, queryset)


@admin.action(description=gettext_lazy("Move to queue…"), permissions=["change"])
def move_to_queue(modeladmin, request, queryset):
    return run(MOVE_TO_QUEUE, modeladmin, request, queryset)


@admin.action(description=gettext_lazy("Assign to…"), permissions=["change"])
def assign_to(modeladmin, request, queryset):
    return run(ASSIGN, modeladmin, request, queryset)


CONVERSATION_ACTIONS = [
    escalate_selected,
    reply_with_clipping,
    close_selected,
    reopen_selected,
    put_on_hold,
    move_to_queue,
    assign_to,
]
