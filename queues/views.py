"""The agents' pages. Views are thin doors: GET renders, POST validates a form, calls one service,
adds a message and redirects."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.datastructures import MultiValueDict
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
    next_queue_of,
)
from queues.models import Conversation, Queue
from queues.models.languages import clipping_versions, language_name
from queues.permissions import can_work
from queues.process import Action, allowed_actions
from queues.services import versions
from queues.services.versions import version_of


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
    visible = selectors.list_rows().visible_to(request.user)
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


def _and_next(request, convo, wanted: bool):
    """After hold, escalate or close: the next waiting conversation of the working queue the agent came from, when
    they ask for it. The choice is kept for their next time."""
    request.session[AND_NEXT_KEY] = wanted
    if not wanted:
        return redirect("conversation-detail", pk=convo.pk)
    queue = next_queue_of(convo)
    try:
        taken = services.take_next_conversation(queue_id=queue.pk, actor=request.user)
    except services.ServiceError as error:
        messages.info(request, error.message)
        return redirect("dashboard")
    if taken is None:
        messages.info(request, _("Nothing else is waiting in %(queue)s.") % {"queue": queue.name})
        return redirect("dashboard")
    messages.info(request, _("Conversation #%(pk)s is now assigned to you.") % {"pk": taken.pk})
    return redirect("conversation-detail", pk=taken.pk)


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


def page_form(action: str, form_class, convo, user, data=None, initial=None):
    """A form of the conversation page, its ids prefixed by its action: the reply box and the note box both have a
    "body", and each label must point at its own."""
    return form_class(data, conversation=convo, user=user, initial=initial, auto_id=f"{action}-%s")


def _render_detail(request, convo, bound=None, action: str = "", status=200):
    allowed = allowed_actions(request.user, convo)
    products = selectors.with_products(convo)
    tags = selectors.tags_of(convo)
    its_tags = [tag for tag in tags if tag.on]
    forms = {}
    for name, form_class in PAGE_FORMS.items():
        if name not in allowed:
            continue
        if name == action and bound is not None:
            forms[name] = bound
        else:
            initial = _initial(request, name, convo, its_tags)
            forms[name] = page_form(name, form_class, convo, request.user, initial=initial)
    clippings = list(selectors.active_clippings().prefetch_related("translations"))
    # The picker's clippings, the tags' boxes, the queues and products to choose: the rows the page shows, read once.
    if Action.REPLY in forms:
        forms[Action.REPLY].offer("clipping", clippings)
    if Action.SET_TAGS in forms:
        forms[Action.SET_TAGS].offer("tags", tags)
    for name in (Action.PUT_ON_HOLD, Action.MOVE):
        if name in forms:
            forms[name].offer_queues(convo.queues)
    if Action.SET_PRODUCT in forms:
        forms[Action.SET_PRODUCT].offer("product", products)
    whole = request.GET.get("timeline") == "all"
    entries, earlier = selectors.timeline(convo, latest=None if whole else selectors.TIMELINE_LATEST)
    statement = next((c for c in clippings if c.is_escalation_statement), None)
    context = {
        "conversation": convo,
        "conversation_tags": its_tags,
        "version": version_of(convo.updated_at),
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
        "others": selectors.other_conversations(convo),
        "presence_every_ms": getattr(settings, "PRESENCE_POLL_MS", 10_000),
    }
    return render(request, "queues/conversation_detail.html", context, status=status)


# The session key of the agent's choice to go on to the next conversation after hold, escalate or close: it sticks.
AND_NEXT_KEY = "and-next"


def _initial(request, name, convo, its_tags):
    if name in (Action.PUT_ON_HOLD, Action.ESCALATE, Action.CLOSE):
        return {"and_next": AND_NEXT_KEY in request.session and bool(request.session[AND_NEXT_KEY])}
    if name == Action.SET_PRODUCT:
        return {"product": convo.product}
    if name == Action.SET_TAGS:
        return {"tags": its_tags}
    return None


# A refused form waits in the session for the redirect to the conversation's own address (post, redirect, get): the
# address bar never shows an action's URL, and reloading the page does not post again.
PENDING_KEY = "pending-form-%s"


def _keep_for_redirect(request, convo, action: str, form, errors=(), version=None):
    data = {key: values for key, values in form.data.lists() if key != "csrfmiddlewaretoken"}
    if version is not None:
        data["version"] = [str(version)]
    request.session[PENDING_KEY % convo.pk] = {"action": action, "data": data, "errors": list(errors)}
    return redirect("conversation-detail", pk=convo.pk)


def _pending_form(request, convo):
    """The refused form kept by _keep_for_redirect, bound again with its errors; (None, "") when there is none."""
    pending = request.session.pop(PENDING_KEY % convo.pk, None)
    if not isinstance(pending, dict) or pending.get("action") not in PAGE_FORMS:
        return None, ""
    action = pending["action"]
    if action not in allowed_actions(request.user, convo):
        return None, ""
    data = MultiValueDict({key: list(values) for key, values in dict(pending.get("data") or {}).items()})
    form = page_form(action, PAGE_FORMS[action], convo, request.user, data=data)
    form.is_valid()
    for field, message in pending.get("errors") or []:
        form.add_error(field if field in form.fields else None, message)
    return form, action


@agent_required
@require_GET
def conversation_detail(request, pk):
    convo = _conversation(request, pk)
    bound, action = _pending_form(request, convo)
    return _render_detail(request, convo, bound=bound, action=action)


def conversation_action(action: str, form_class):
    """The view of one action of the conversation page: POST validates form_class, whose save() calls one service,
    and redirects back to the conversation with the form's success message.

    The service runs in one transaction with the version check (services/versions.py): a page that no longer shows
    the conversation as it is changes nothing, and a double click acts once. A refusal redirects to the conversation
    page, which shows the form as it was filled in with its errors; a form the page no longer shows (someone changed
    the conversation meanwhile) has its errors said at the top of the page as it is now."""

    @agent_required
    @require_POST
    def view(request, pk):
        convo = _conversation(request, pk)
        form = page_form(action, form_class, convo, request.user, data=request.POST)
        if not form.is_valid():
            return _refused(request, convo, form)
        try:
            with transaction.atomic():
                versions.lock_row(convo.pk)
                versions.check_unchanged(
                    conversation_id=convo.pk,
                    version=form.cleaned_data.get("version"),
                    action=action,
                    actor=request.user,
                )
                result = form.save(conversation_id=convo.pk, actor=request.user)
        except versions.Repeated:
            messages.success(request, form.success_message)
            taken = form.cleaned_data.get("and_next") and versions.taken_next_since(
                request.user, form.cleaned_data["version"]
            )
            return redirect("conversation-detail", pk=taken or convo.pk)
        except services.NotPermitted:
            raise PermissionDenied from None
        except services.NothingToChange as unchanged:
            messages.info(request, unchanged.message)
            return redirect("conversation-detail", pk=convo.pk)
        except versions.Stale as stale:
            messages.warning(request, stale.message)
            return _refused(request, _conversation(request, pk), form, version=stale.version)
        except services.ServiceError as error:
            # someone may have changed it meanwhile: show it as it is now
            return _refused(request, _conversation(request, pk), form, refusal=(error.field, error.message))
        messages.success(request, form.success_text(result))
        if "and_next" in form.cleaned_data:
            return _and_next(request, convo, form.cleaned_data["and_next"])
        return redirect("conversation-detail", pk=convo.pk)

    def _refused(request, convo, form, refusal=None, version=None):
        """refusal: the service's (field, message), kept for the page; the form's own errors come back when the
        page binds the kept data again."""
        said = [message for errors in form.errors.values() for message in errors]
        if refusal is not None:
            said.append(refusal[1])
        if action not in PAGE_FORMS or action not in allowed_actions(request.user, convo):
            for message in said:
                messages.error(request, message)
            return redirect("conversation-detail", pk=convo.pk)
        if said:
            messages.error(request, _("Nothing was changed: see the error below."))
        return _keep_for_redirect(request, convo, action, form, [refusal] if refusal else [], version=version)

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
