"""The agents' pages. Views are thin doors: GET renders, POST validates a form, calls one service,
adds a message and redirects."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from queues import selectors, services
from queues.filters import ConversationFilter
from queues.forms import (
    ButtonForm,
    CloseForm,
    EscalateForm,
    HoldForm,
    MoveForm,
    NoteForm,
    ProductForm,
    ReplyForm,
    TagsForm,
)
from queues.models import Action, Conversation, Queue
from queues.permissions import can_moderate, can_work


def agent_required(view):
    """Sign in first; then only agents and staff get past (403 for anyone else)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_work(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@agent_required
@require_GET
def dashboard(request):
    queues = list(selectors.dashboard_queues())
    groups = [(kind.label, [q for q in queues if q.kind == kind]) for kind in Queue.Kind]
    return render(
        request,
        "queues/dashboard.html",
        {
            "groups": [(label, rows) for label, rows in groups if rows],
            "count_cap": selectors.DASHBOARD_COUNT_CAP,
            "mine": selectors.my_conversations(request.user),
        },
    )


@agent_required
@require_POST
def next_conversation(request, queue_id):
    try:
        convo = services.take_next_conversation(queue_id=queue_id, actor=request.user)
    except services.ServiceError as error:
        messages.error(request, error.message)
        return redirect("dashboard")
    if convo is None:
        messages.info(request, _("No unassigned open conversation is waiting in that queue."))
        return redirect("dashboard")
    messages.success(request, _("Conversation #%(pk)s is now assigned to you.") % {"pk": convo.pk})
    return redirect("conversation-detail", pk=convo.pk)


@agent_required
@require_GET
def conversation_list(request):
    visible = selectors.list_conversations().visible_to(request.user)
    filterset = ConversationFilter(request.GET or None, queryset=visible, user=request.user)
    try:
        page = selectors.keyset_page(
            filterset.qs,
            filterset.sort_order,
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
        )
    except selectors.BadCursor:
        messages.error(request, _("That page link is not valid any more; here is the first page."))
        page = selectors.keyset_page(filterset.qs, filterset.sort_order)
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    return render(
        request,
        "queues/conversation_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
    )


# action name → (form, what the service gets from the cleaned form, success message)
ACTIONS = {
    "reply": (
        ReplyForm,
        lambda c, u, d: services.reply(
            conversation_id=c.pk, actor=u, body=d["body"], clipping_id=d["clipping"].pk if d["clipping"] else None
        ),
        _("Reply queued for sending."),
    ),
    "note": (
        NoteForm,
        lambda c, u, d: services.add_note(conversation_id=c.pk, actor=u, body=d["body"]),
        _("Note added."),
    ),
    "assign": (
        ButtonForm,
        lambda c, u, d: services.assign_conversation(conversation_id=c.pk, actor=u, assignee_id=u.pk),
        _("Assigned to you."),
    ),
    "unassign": (
        ButtonForm,
        lambda c, u, d: services.unassign_conversation(conversation_id=c.pk, actor=u),
        _("Unassigned."),
    ),
    "product": (
        ProductForm,
        lambda c, u, d: services.set_product(
            conversation_id=c.pk, actor=u, product_id=d["product"].pk if d["product"] else None
        ),
        _("Product saved."),
    ),
    "tags": (
        TagsForm,
        lambda c, u, d: services.set_tags(
            conversation_id=c.pk, actor=u, tag_ids=[t.pk for t in d["tags"]], new_tag_names=d.get("new_tags", [])
        ),
        _("Tags saved."),
    ),
    "move": (
        MoveForm,
        lambda c, u, d: services.move_to_queue(conversation_id=c.pk, actor=u, queue_id=d["queue"].pk),
        _("Moved."),
    ),
    "hold": (
        HoldForm,
        lambda c, u, d: services.put_on_hold(conversation_id=c.pk, actor=u, queue_id=d["queue"].pk),
        _("Put on hold. It closes by itself if the customer stays silent."),
    ),
    "escalate": (
        EscalateForm,
        lambda c, u, d: services.escalate_conversation(
            conversation_id=c.pk, actor=u, reason=d["reason"], note=d["note"], other_reason=d["other_reason"]
        ),
        _("Escalated: the statement was queued and the conversation moved to its escalation queue."),
    ),
    "close": (
        CloseForm,
        lambda c, u, d: services.close_conversation(conversation_id=c.pk, actor=u, reason=d["reason"]),
        _("Closed."),
    ),
    "reopen": (ButtonForm, lambda c, u, d: services.reopen_conversation(conversation_id=c.pk, actor=u), _("Reopened.")),
}

# Which forms the page shows, by the process action that allows them.
FORM_ACTIONS = {
    "reply": Action.REPLY,
    "note": Action.NOTE,
    "product": Action.SET_PRODUCT,
    "tags": Action.SET_TAGS,
    "move": Action.MOVE,
    "hold": Action.PUT_ON_HOLD,
    "escalate": Action.ESCALATE,
    "close": Action.CLOSE,
}


def _conversation(request, pk):
    try:
        return selectors.conversation_for_detail(Conversation.objects.visible_to(request.user), pk)
    except Conversation.DoesNotExist:
        raise Http404(_("No conversation #%(pk)s.") % {"pk": pk}) from None


def _render_detail(request, convo, bound=None, status=200):
    forms = {}
    moderator = can_moderate(request.user)
    for name, action in FORM_ACTIONS.items():
        if not convo.allows(action) or (action in services.MODERATOR_ACTIONS and not moderator):
            continue
        if bound and bound[0] == name:
            forms[name] = bound[1]
        else:
            forms[name] = ACTIONS[name][0](conversation=convo, user=request.user, initial=_initial(name, convo))
    clippings = list(selectors.active_clippings())
    whole = request.GET.get("timeline") == "all"
    entries, earlier = selectors.timeline(convo, latest=None if whole else selectors.TIMELINE_LATEST)
    context = {
        "conversation": convo,
        "timeline": entries,
        "earlier_entries": earlier,
        "forms": forms,
        "statement": next((c for c in clippings if c.is_escalation_statement), None),
        "clipping_bodies": {c.pk: c.body for c in clippings},
        "open_error": bound[0] if bound else "",
        "can_moderate": moderator,
    }
    return render(request, "queues/conversation_detail.html", context, status=status)


def _initial(name, convo):
    if name == "product":
        return {"product": convo.product}
    if name == "tags":
        return {"tags": list(convo.tags.all())}
    return None


@agent_required
@require_GET
def conversation_detail(request, pk):
    return _render_detail(request, _conversation(request, pk))


@agent_required
@require_POST
def conversation_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404(_("No such action."))
    convo = _conversation(request, pk)
    form_class, call, success = ACTIONS[action]
    form = form_class(request.POST, conversation=convo, user=request.user)
    if form.is_valid():
        try:
            call(convo, request.user, form.cleaned_data)
        except services.NotPermitted:
            raise PermissionDenied from None
        except services.ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            convo = _conversation(request, pk)  # someone may have changed it meanwhile: show it as it is now
        else:
            messages.success(request, success)
            return redirect("conversation-detail", pk=convo.pk)
    if isinstance(form, ButtonForm) or action not in FORM_ACTIONS or not convo.allows(FORM_ACTIONS[action]):
        # No form on the page to show the error on (a stale page): say it at the top.
        for error in form.errors.get("__all__", []) or [e for errors in form.errors.values() for e in errors]:
            messages.error(request, error)
        return redirect("conversation-detail", pk=convo.pk)
    messages.error(request, _("Nothing was changed: see the error below."))
    return _render_detail(request, convo, bound=(action, form), status=400)
