"""The agents' pages. Views are thin doors: GET renders, POST validates a form, calls one service,
adds a message and redirects."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from queues import selectors, services
from queues.filters import ConversationFilter
from queues.forms import (
    AssignToMeForm,
    CloseForm,
    EscalateForm,
    HoldForm,
    MoveForm,
    NoteForm,
    ProductForm,
    ReopenForm,
    ReplyForm,
    TagsForm,
    UnassignForm,
)
from queues.models import Conversation, Queue
from queues.models.languages import clipping_versions, language_name
from queues.permissions import can_work
from queues.process import Action, allowed_actions


def agent_required(view):
    """Sign in first; then only agents and staff get past (403 for anyone else)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_work(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# Whole headings, not "<kind> queues": word order and agreement differ between languages.
QUEUE_GROUP_HEADINGS = {
    Queue.Kind.WORKING: gettext_lazy("Working queues"),
    Queue.Kind.ON_HOLD: gettext_lazy("On hold queues"),
    Queue.Kind.ESCALATION: gettext_lazy("Escalation queues"),
}


@agent_required
@require_GET
def dashboard(request):
    queues = list(selectors.dashboard_queues())
    groups = [(QUEUE_GROUP_HEADINGS[kind], [q for q in queues if q.kind == kind]) for kind in Queue.Kind]
    return render(
        request,
        "queues/dashboard.html",
        {
            "groups": [(label, rows) for label, rows in groups if rows],
            "count_cap": selectors.DASHBOARD_COUNT_CAP,
            "mine": selectors.my_conversations(request.user),
            "undelivered": selectors.undelivered_count(),
            "undelivered_cap": selectors.UNDELIVERED_CAP,
        },
    )


@agent_required
@require_POST
def next_conversation(request, queue_id):
    try:
        convo = services.take_next_conversation(queue_id=queue_id, actor=request.user)
    except services.NotPermitted:
        raise PermissionDenied from None
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


def _conversation(request, pk):
    try:
        return selectors.conversation_for_detail(Conversation.objects.visible_to(request.user), pk)
    except Conversation.DoesNotExist:
        raise Http404(_("No conversation #%(pk)s.") % {"pk": pk}) from None


# The forms of the conversation page, each shown when queues/process.py allows its action to the user now.
PAGE_FORMS = {
    Action.REPLY: ReplyForm,
    Action.NOTE: NoteForm,
    Action.SET_PRODUCT: ProductForm,
    Action.SET_TAGS: TagsForm,
    Action.MOVE: MoveForm,
    Action.PUT_ON_HOLD: HoldForm,
    Action.ESCALATE: EscalateForm,
    Action.CLOSE: CloseForm,
}


def _render_detail(request, convo, bound=None, action: str = "", status=200):
    allowed = allowed_actions(request.user, convo)
    forms = {}
    for name, form_class in PAGE_FORMS.items():
        if name not in allowed:
            continue
        if name == action and bound is not None:
            forms[name] = bound
        else:
            forms[name] = form_class(conversation=convo, user=request.user, initial=_initial(name, convo))
    clippings = list(selectors.active_clippings().prefetch_related("translations"))
    whole = request.GET.get("timeline") == "all"
    entries, earlier = selectors.timeline(convo, latest=None if whole else selectors.TIMELINE_LATEST)
    statement = next((c for c in clippings if c.is_escalation_statement), None)
    context = {
        "conversation": convo,
        "timeline": entries,
        "earlier_entries": earlier,
        "forms": forms,
        "allowed": allowed,
        "statement": statement,
        "statement_version": clipping_versions(statement, convo.language)[0] if statement else None,
        # For the picker (portal.js): each clipping's texts, the customer's language first, then English.
        "clipping_bodies": {
            c.pk: [
                {"language": language_name(code), "body": body} for code, body in clipping_versions(c, convo.language)
            ]
            for c in clippings
        },
        "open_error": action if bound is not None else "",
    }
    return render(request, "queues/conversation_detail.html", context, status=status)


def _initial(name, convo):
    if name == Action.SET_PRODUCT:
        return {"product": convo.product}
    if name == Action.SET_TAGS:
        return {"tags": list(convo.tags.all())}
    return None


@agent_required
@require_GET
def conversation_detail(request, pk):
    return _render_detail(request, _conversation(request, pk))


def conversation_action(action: str, form_class):
    """The view of one action of the conversation page: POST validates form_class, whose save() calls one service,
    and redirects back to the conversation with the form's success message.

    A refusal shows on the form it came from; a form the page no longer shows (someone changed the conversation
    meanwhile) has its errors said at the top of the page as it is now."""

    @agent_required
    @require_POST
    def view(request, pk):
        convo = _conversation(request, pk)
        form = form_class(request.POST, conversation=convo, user=request.user)
        if form.is_valid():
            try:
                form.save(conversation_id=convo.pk, actor=request.user)
            except services.NotPermitted:
                raise PermissionDenied from None
            except services.NothingToChange as unchanged:
                messages.info(request, unchanged.message)
                return redirect("conversation-detail", pk=convo.pk)
            except services.ServiceError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                convo = _conversation(request, pk)  # someone may have changed it meanwhile: show it as it is now
            else:
                messages.success(request, form.success_message)
                return redirect("conversation-detail", pk=convo.pk)
        if action not in PAGE_FORMS or action not in allowed_actions(request.user, convo):
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("conversation-detail", pk=convo.pk)
        messages.error(request, _("Nothing was changed: see the error below."))
        return _render_detail(request, convo, bound=form, action=action, status=400)

    view.__name__ = view.__qualname__ = action
    return view


reply = conversation_action(Action.REPLY, ReplyForm)
add_note = conversation_action(Action.NOTE, NoteForm)
assign_to_me = conversation_action(Action.ASSIGN, AssignToMeForm)
unassign = conversation_action(Action.UNASSIGN, UnassignForm)
set_product = conversation_action(Action.SET_PRODUCT, ProductForm)
set_tags = conversation_action(Action.SET_TAGS, TagsForm)
move = conversation_action(Action.MOVE, MoveForm)
put_on_hold = conversation_action(Action.PUT_ON_HOLD, HoldForm)
escalate = conversation_action(Action.ESCALATE, EscalateForm)
close = conversation_action(Action.CLOSE, CloseForm)
reopen = conversation_action(Action.REOPEN, ReopenForm)
