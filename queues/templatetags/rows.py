"""The rows a page repeats, drawn in Python: the conversation list's rows and the conversation page's timeline.

As templates, every row cost an include, {% with %} blocks and dozens of variable lookups, filters and translations,
fifty to a few hundred times a page: most of those pages' server time. Here the words are translated once a page,
what many rows share (a queue's badge, a channel, a person, a rating's stars) is drawn once, and a row is one
string (queues/drawing.py). The markup is what the templates drew; every value in it goes through esc().
"""

import unicodedata
from functools import cache

from django import template
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from queues import timing
from queues.drawing import esc, safe
from queues.models import CloseReason, EscalationReason, Event, Queue, Status
from queues.templatetags.delivery import delivery_state
from queues.templatetags.portal import moment, name_of, person, stars, when

register = template.Library()


def truncate(text: str, length: int) -> str:
    """{{ text|truncatechars:length }}, without building a Truncator for the text that is short enough already."""
    if len(text) <= length and unicodedata.is_normalized("NFC", text):
        return text
    return Truncator(text).chars(length)


def _address(name: str):
    """pk → the address of URL `name` for that pk, reversed once: "/conversations/{pk}/"."""
    marker = 2_147_483_647
    before, after = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{before}{pk}{after}"


BADGES = {Queue.Kind.ESCALATION: "text-bg-danger", Queue.Kind.ON_HOLD: "text-bg-warning"}


@register.simple_tag
def conversation_rows(conversations):
    """The <tr> of each conversation of the list (templates/queues/conversation_list.html)."""
    address = _address("conversation-detail")
    closed_word, in_queue_word, received_word = esc(_("Closed")), esc(_("In queue")), esc(_("Received"))

    @cache
    def queue_badge(queue, status):
        if status == Status.CLOSED:
            return f'<span class="badge text-bg-secondary">{closed_word} · {esc(queue.name)}</span>'
        return f'<span class="badge {BADGES.get(queue.kind, "text-bg-primary")}">{esc(queue.name)}</span>'

    @cache
    def assignee(user):
        return '<span class="text-body-secondary">—</span>' if user is None else esc(person(user))

    channels = cache(lambda channel: esc(channel))
    products = cache(lambda product: esc(product or "—"))
    rating_stars = cache(stars)

    def row(convo):
        url = address(convo.pk)
        handle = ""
        if convo.author_handle and convo.author_name:
            handle = f'<div class="small text-body-secondary" dir="auto">{esc(truncate(convo.author_handle, 40))}</div>'
        text = f"{rating_stars(convo.rating)} " if convo.rating else ""
        if convo.title:
            text += f'<strong dir="auto">{esc(truncate(convo.title, 60))}</strong> '
        closes = timing.auto_close_text(convo)
        if closes:
            overdue = " text-danger-emphasis fw-semibold" if convo.auto_close_overdue else ""
            closes = f'<div class="small auto-close{overdue}">{esc(closes)}</div>'
        if convo.status == Status.CLOSED:
            in_queue = "—"
        else:
            in_queue = (
                f'<span class="d-md-none">{in_queue_word} </span>{esc(timing.since_text(convo.queue_entered_at))}'
            )
        return (
            f'<tr>\n<td class="id-cell"><a href="{url}">{convo.pk}</a></td>\n'
            f'<td class="customer-cell"><a href="{url}" class="fw-semibold" dir="auto">'
            f"{esc(truncate(convo.author_name or convo.author_handle, 40))}</a>\n{handle}</td>\n"
            f'<td class="text-cell">{text}<span class="text-body-secondary" dir="auto">{esc(truncate(convo.body, 110))}'
            "</span></td>\n"
            f'<td class="small channel-cell">{channels(convo.channel)}</td>\n'
            f'<td class="queue-cell">{queue_badge(convo.queue, convo.status)}{closes}</td>\n'
            f'<td class="small product-cell">{products(convo.product)}</td>\n'
            f'<td class="small assignee-cell">{assignee(convo.assignee)}</td>\n'
            f'<td class="small text-nowrap" title="{esc(when(convo.queue_entered_at))}">{in_queue}</td>\n'
            f'<td class="small text-nowrap" title="{esc(when(convo.received_at))}"><span class="d-md-none">'
            f"{received_word} </span>{esc(timing.since_text(convo.received_at))}</td>\n</tr>\n"
        )

    return safe("".join(row(convo) for convo in conversations))


@register.simple_tag
def timeline_entries(entries, conversation):
    """The <li> of each entry of a conversation's timeline (templates/queues/conversation_detail.html; the entries
    of selectors.timeline()): messages and notes as cards, events as a line."""
    platform, platform_label = conversation.channel.platform, conversation.channel.get_platform_display()
    deleted = esc(_("deleted user"))
    people = cache(lambda names: deleted if names is None else esc(name_of(*names)))
    kinds = cache(lambda kind: esc(Event.Kind(kind).label if kind in Event.Kind.values else kind))
    # Sentences around names in <strong>, as {% blocktranslate with name=… %} had them: the names are escaped.
    wrote = _('<strong dir="auto">%(name)s</strong> wrote')
    replied = _("<strong>%(name)s</strong> replied")
    clipping = _("clipping “%(t)s”")
    noted = _("<strong>%(name)s</strong> added an internal note")
    did = _("<strong>%(actor)s</strong> %(what)s")
    customer = esc(_("Customer"))
    developer = f"<strong>{esc(_('Developer reply (Play Console)'))}</strong>"
    # Events told without an actor, and the actors of events nobody signed in did.
    plain = {Event.Kind.CREATED: esc(_("Arrived")), Event.Kind.CUSTOMER_MESSAGE: esc(_("The customer wrote again"))}
    automation = esc(_("Automation"))

    def message(item):
        if item.direction == "inbound":
            who = wrote % {"name": esc(item.author_name) if item.author_name else customer}
            card = ""
        else:
            if item.author_id:
                who = replied % {"name": people(item.author)}
            elif item.external_id.startswith("devreply:"):
                who = developer
            else:
                who = replied % {"name": esc(item.author_name) if item.author_name else deleted}
            if item.clipping_title is not None:
                who += " · " + clipping % {"t": esc(item.clipping_title)}
            who += " · " + delivery_state(item, platform, platform_label)
            card = "border-primary-subtle"
        return (
            f'<li class="timeline-entry timeline-message timeline-{esc(item.direction)}">\n<div class="card {card}">\n'
            f'<div class="card-body py-2">\n<div class="small text-body-secondary mb-1">\n{who}\n'
            f"· {moment(item.created_at)}\n</div>\n"
            f'<div class="message-body" dir="auto">{esc(item.body)}</div>\n</div>\n</div>\n</li>\n'
        )

    def note(item):
        return (
            '<li class="timeline-entry timeline-note">\n<div class="card note-card">\n<div class="card-body py-2">\n'
            f'<div class="small text-body-secondary mb-1">{noted % {"name": people(item.author)}} · '
            f"{moment(item.created_at)}</div>\n"
            f'<div class="message-body" dir="auto">{esc(item.body)}</div>\n</div>\n</div>\n</li>\n'
        )

    def actor(item) -> str:
        if item.actor_id:
            return people(item.actor)
        if item.by_automation:
            return automation
        return customer if item.kind == Event.Kind.CUSTOMER_MESSAGE else deleted

    def event(item):
        details = item.details if isinstance(item.details, dict) else {}
        if item.kind in plain:
            what = plain[item.kind]
        else:
            what = did % {"actor": actor(item), "what": kinds(item.kind)}
            if details.get("destination"):
                what += f' · <span dir="auto">{esc(details["destination"])}</span>'
        if item.from_queue_name is not None and item.to_queue_name is not None:
            what += f" · {esc(item.from_queue_name)} → {esc(item.to_queue_name)}"
        elif item.to_queue_name is not None:
            what += f" · → {esc(item.to_queue_name)}"
        reason = _reason(item.kind, details.get("reason", ""))
        if reason:
            what += f" · {esc(reason)}"
        return (
            '<li class="timeline-entry timeline-event">\n<div class="small text-body-secondary event-line">\n'
            f"{what}\n· {moment(item.created_at)}\n</div>\n</li>\n"
        )

    draw = {"message": message, "note": note, "event": event}
    return safe("".join(draw[entry.kind](entry.item) for entry in entries))


def _reason(kind: str, reason: str) -> str:
    """The label of the reason an escalation or a close recorded; an unknown one as it was recorded."""
    choices = EscalationReason if kind == Event.Kind.ESCALATED else CloseReason
    return choices(reason).label if reason in choices.values else reason
