"""Bulk actions on conversations in the admin, in the manner of Django's delete_selected.

Each action runs the service an agent's page runs, once per selected conversation, each call its own transaction,
so one refusal does not undo the others. An action that needs input, or that cannot be undone in one click, first
shows an intermediate page. The result message counts what was done and groups what was skipped by the services'
own reasons, naming the conversations.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from queues import platforms, services
from queues.forms import ActionForm, CloseForm, EscalateForm, HoldForm, MoveForm, ReopenForm
from queues.models import Clipping
from queues.permissions import active_agents
from queues.process import Stage

# One request runs the services of every selected conversation; more than this, and the admin filters first.
MAX_SELECTED = 500
# The result message names at most this many conversations per skip reason.
NAMED_PER_REASON = 10


class ClippingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title} ({platforms.limits_summary(obj.body)})"


class ReplyWithClippingForm(ActionForm):
    # The statement promises an investigation: it is sent by escalating, never on its own.
    clipping = ClippingChoiceField(
        label=gettext_lazy("Clipping"),
        queryset=Clipping.objects.filter(is_active=True, is_escalation_statement=False),
        help_text=gettext_lazy("Conversations whose platform does not accept this text are skipped and named."),
    )

    def save(self, *, conversation_id, actor):
        return services.reply(
            conversation_id=conversation_id, actor=actor, clipping_id=self.cleaned_data["clipping"].pk
        )


class PutOnHoldForm(HoldForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # With a single on hold queue there is nothing to choose: preselect it. With several, the admin chooses.
        if self.fields["queue"].queryset.count() != 1:
            self.fields["queue"].empty_label = "---------"


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{obj.get_username()} ({name})" if name else obj.get_username()


class AssignForm(ActionForm):
    assignee = AgentChoiceField(label=gettext_lazy("Agent"), queryset=active_agents())

    def save(self, *, conversation_id, actor):
        assignee_id = self.cleaned_data["assignee"].pk
        return services.assign_conversation(conversation_id=conversation_id, actor=actor, assignee_id=assignee_id)


@admin.action(description=gettext_lazy("Escalate selected…"), permissions=["change"])
def escalate_selected(modeladmin, request, queryset):
    return _run(
        modeladmin,
        request,
        queryset,
        EscalateForm,
        title=_("Escalate the selected conversations"),
        intro=_(
            "Each conversation gets the internal note below, the escalation statement as a reply, and moves to its "
            "channel's escalation queue. Conversations already escalated or closed are skipped."
        ),
        button=_("Escalate"),
        done=lambda count, data: _("Escalated %(count)d") % {"count": count},
        statement=Clipping.objects.filter(is_escalation_statement=True).first(),
    )


@admin.action(description=gettext_lazy("Reply with clipping…"), permissions=["change"])
def reply_with_clipping(modeladmin, request, queryset):
    return _run(
        modeladmin,
        request,
        queryset,
        ReplyWithClippingForm,
        title=_("Reply to the selected conversations with a clipping"),
        intro=_(
            "The clipping is queued as a reply on each conversation. Closed conversations, and those whose platform "
            "does not accept the clipping (too long, or HTML on Google Play), are skipped."
        ),
        button=_("Reply"),
        done=lambda count, data: (
            _("Replied to %(count)d with “%(clipping)s”") % {"count": count, "clipping": data["clipping"]}
        ),
    )


@admin.action(description=gettext_lazy("Close selected…"), permissions=["change"])
def close_selected(modeladmin, request, queryset):
    return _run(
        modeladmin,
        request,
        queryset,
        CloseForm,
        title=_("Close the selected conversations"),
        intro=_("Each conversation is closed with the reason below. Closed conversations are skipped."),
        button=_("Close"),
        done=lambda count, data: _("Closed %(count)d") % {"count": count},
    )


@admin.action(description=gettext_lazy("Reopen selected"), permissions=["change"])
def reopen_selected(modeladmin, request, queryset):
    # Undone by closing again: nothing to confirm.
    return _run(
        modeladmin,
        request,
        queryset,
        ReopenForm,
        confirm=False,
        done=lambda count, data: _("Reopened %(count)d") % {"count": count},
    )


@admin.action(description=gettext_lazy("Put on hold…"), permissions=["change"])
def put_on_hold(modeladmin, request, queryset):
    return _run(
        modeladmin,
        request,
        queryset,
        PutOnHoldForm,
        title=_("Put the selected conversations on hold"),
        intro=_(
            "Each conversation waits on the customer in the on hold queue below, whose automation closes it when "
            "the customer stays silent. Conversations already on hold or closed are skipped."
        ),
        button=_("Put on hold"),
        done=lambda count, data: _("Put %(count)d on hold in %(queue)s") % {"count": count, "queue": data["queue"]},
    )


@admin.action(description=gettext_lazy("Move to queue…"), permissions=["change"])
def move_to_queue(modeladmin, request, queryset):
    return _run(
        modeladmin,
        request,
        queryset,
        MoveForm,
        title=_("Move the selected conversations to a working queue"),
        intro=_("Closed conversations and those already in the queue are skipped."),
        button=_("Move"),
        done=lambda count, data: _("Moved %(count)d to %(queue)s") % {"count": count, "queue": data["queue"]},
    )


@admin.action(description=gettext_lazy("Assign to…"), permissions=["change"])
def assign_to(modeladmin, request, queryset):
    return _run(
        modeladmin,
        request,
        queryset,
        AssignForm,
        title=_("Assign the selected conversations"),
        intro=_("Closed conversations and those already assigned to the agent are skipped."),
        button=_("Assign"),
        done=lambda count, data: (
            _("Assigned %(count)d to %(user)s") % {"count": count, "user": data["assignee"].get_username()}
        ),
    )


CONVERSATION_ACTIONS = [
    escalate_selected,
    reply_with_clipping,
    close_selected,
    reopen_selected,
    put_on_hold,
    move_to_queue,
    assign_to,
]


def _run(modeladmin, request, queryset, form_class, *, done, confirm=True, title="", intro="", button="", **context):
    """Ask for form_class's input on an intermediate page (unless confirm is False), then let the form save() each
    selected conversation, and report."""
    conversations = list(queryset.select_related("queue", "channel", "assignee").order_by("pk")[: MAX_SELECTED + 1])
    if len(conversations) > MAX_SELECTED:
        modeladmin.message_user(
            request,
            _("Select at most %(max)d conversations at a time (filter the list first); nothing was changed.")
            % {"max": MAX_SELECTED},
            messages.ERROR,
        )
        return None
    confirmed = request.POST.get("post") == "yes" or not confirm
    form = form_class(request.POST if confirmed else None)
    if not (confirmed and form.is_valid()):
        return _intermediate_page(modeladmin, request, conversations, form, title, intro, button, context)
    apply_each(
        modeladmin,
        request,
        conversations,
        lambda convo: form.save(conversation_id=convo.pk, actor=request.user),
        lambda count: done(count, form.cleaned_data),
    )
    return None


def apply_each(modeladmin, request, items, apply, done) -> None:
    """apply(item) to each item, each a service call of its own; then one message: done(count) and the refusals
    grouped by the services' own reasons, naming the items."""
    count, skipped = 0, {}
    for item in items:
        try:
            apply(item)
        except services.ServiceError as error:
            skipped.setdefault(str(error.reason).rstrip("."), []).append(item.pk)
        else:
            count += 1
    modeladmin.message_user(
        request, _result_message(done(count), skipped), messages.WARNING if skipped else messages.SUCCESS
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


def _intermediate_page(modeladmin, request, conversations, form, title, intro, button, context):
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(
        request,
        "admin/queues/conversation/action_confirmation.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": modeladmin.opts,
            "intro": intro,
            "button": button,
            "action_name": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "form": form,
            "rows": [(convo, Stage(convo.stage).label) for convo in conversations],
            "media": modeladmin.media + form.media,
            **context,
        },
    )
