"""The rows a page repeats, drawn in Python: the conversation list's rows and the conversation page's timeline.

As templates, every row cost an include, {% with %} blocks and dozens of variable lookups, filters and translations,
fifty to a few hundred times a page: most of those pages' server time. Here the words are translated once a page,
what many rows share (a queue's badge, a channel, a person, a rating's stars) is drawn once, and a row is one
format_html call. The markup is what the templates drew; everything from a customer or an agent is escaped by
format_html.
"""

import unicodedata
from functools import cache

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from queues import timing
from queues.models import Event, Queue, Status
from queues.templatetags.bootstrap import joined
from queues.templatetags.delivery import delivery_state
from queues.templatetags.portal import event_actor, moment, person, reason_label, stars, when

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
    closed_word, in_queue_word, received_word = _("Closed"), _("In queue"), _("Received")

    @cache
    def queue_badge(queue, status):
        if status == Status.CLOSED:
            return format_html('<span class="badge text-bg-secondary">{} · {}</span>', closed_word, queue.name)
        return format_html('<span class="badge {}">{}</span>', BADGES.get(queue.kind, "text-bg-primary"), queue.name)

    @cache
    def assignee(user):
        if user is None:
            return mark_safe('<span class="text-body-secondary">—</span>')
        return conditional_escape(person(user))

    channels = cache(lambda channel: conditional_escape(str(channel)))
    rating_stars = cache(stars)

    def row(convo):
        url = address(convo.pk)
        closed = convo.status == Status.CLOSED
        handle = ""
        if convo.author_handle and convo.author_name:
            handle = format_html(
                '<div class="small text-body-secondary" dir="auto">{}</div>', truncate(convo.author_handle, 40)
            )
        text = format_html(
            "{}{}",
            format_html("{} ", rating_stars(convo.rating)) if convo.rating else "",
            format_html('<strong dir="auto">{}</strong> ', truncate(convo.title, 60)) if convo.title else "",
        )
        closes = timing.auto_close_text(convo)
        if closes:
            overdue = " text-danger-emphasis fw-semibold" if convo.auto_close_overdue else ""
            closes = format_html('<div class="small auto-close{}">{}</div>', overdue, closes)
        if closed:
            in_queue = "—"
        else:
            in_queue = format_html(
                '<span class="d-md-none">{} </span>{}', in_queue_word, _since(convo.queue_entered_at)
            )
        return format_html(
            '<tr>\n<td class="id-cell"><a href="{url}">{pk}</a></td>\n'
            '<td class="customer-cell"><a href="{url}" class="fw-semibold" dir="auto">{name}</a>\n{handle}</td>\n'
            '<td class="text-cell">{text}<span class="text-body-secondary" dir="auto">{body}</span></td>\n'
            '<td class="small channel-cell">{channel}</td>\n'
            '<td class="queue-cell">{badge}{closes}</td>\n'
            '<td class="small product-cell">{product}</td>\n'
            '<td class="small assignee-cell">{assignee}</td>\n'
            '<td class="small text-nowrap" title="{entered_at}">{in_queue}</td>\n'
            '<td class="small text-nowrap" title="{received_at}"><span class="d-md-none">{received} </span>'
            "{received_since}</td>\n</tr>\n",
            url=url,
            pk=convo.pk,
            name=truncate(convo.author_name or convo.author_handle, 40),
            handle=handle,
            text=text,
            body=truncate(convo.body, 110),
            channel=channels(convo.channel),
            badge=queue_badge(convo.queue, convo.status),
            closes=closes,
            product=convo.product or "—",
            assignee=assignee(convo.assignee),
            entered_at=when(convo.queue_entered_at),
            in_queue=in_queue,
            received_at=when(convo.received_at),
            received=received_word,
            received_since=_since(convo.received_at),
        )

    return joined(row(convo) for convo in conversations)


def _since(moment_) -> str:
    """{{ moment|timesince }}."""
    return timesince(moment_) if moment_ else ""


@register.simple_tag
def timeline_entries(entries, conversation):
    """The <li> of each entry of a conversation's timeline (templates/queues/conversation_detail.html): messages and
    notes as cards, events as a line."""
    platform, platform_label = conversation.channel.platform, conversation.channel.get_platform_display()
    people = cache(person)
    words = {
        "customer": _("Customer"),
        "deleted": _("deleted user"),
        "developer": _("Developer reply (Play Console)"),
        # Sentences around names in <strong>, as {% blocktranslate with name=… %} had them.
        "wrote": _('<strong dir="auto">%(name)s</strong> wrote'),
        "replied": _("<strong>%(name)s</strong> replied"),
        "clipping": _("clipping “%(t)s”"),
        "noted": _("<strong>%(name)s</strong> added an internal note"),
        "did": _("<strong>%(actor)s</strong> %(what)s"),
    }
    # Events told without an actor.
    plain = {Event.Kind.CREATED: _("Arrived"), Event.Kind.CUSTOMER_MESSAGE: _("The customer wrote again")}

    def said(sentence: str, **names) -> str:
        """A translated sentence of ours with names in it, each escaped."""
        return mark_safe(words[sentence] % {key: conditional_escape(value) for key, value in names.items()})  # noqa: S308

    def message(item):
        if item.direction == "inbound":
            who = said("wrote", name=item.author_name or words["customer"])
            card = ""
        else:
            if item.author_id:
                who = said("replied", name=people(item.author))
            elif item.external_id.startswith("devreply:"):
                who = format_html("<strong>{}</strong>", words["developer"])
            else:
                who = said("replied", name=item.author_name or words["deleted"])
            if item.clipping:
                who = format_html("{} · {}", who, said("clipping", t=item.clipping.title))
            who = format_html("{} · {}", who, delivery_state(item, platform, platform_label))
            card = "border-primary-subtle"
        return format_html(
            '<li class="timeline-entry timeline-message timeline-{}">\n<div class="card {}">\n'
            '<div class="card-body py-2">\n<div class="small text-body-secondary mb-1">\n{}\n· {}\n</div>\n'
            '<div class="message-body" dir="auto">{}</div>\n</div>\n</div>\n</li>\n',
            item.direction,
            card,
            who,
            moment(item.created_at),
            item.body,
        )

    def note(item):
        return format_html(
            '<li class="timeline-entry timeline-note">\n<div class="card note-card">\n<div class="card-body py-2">\n'
            '<div class="small text-body-secondary mb-1">{} · {}</div>\n'
            '<div class="message-body" dir="auto">{}</div>\n</div>\n</div>\n</li>\n',
            said("noted", name=people(item.author)),
            moment(item.created_at),
            item.body,
        )

    def event(item):
        if item.kind in plain:
            what = plain[item.kind]
        else:
            what = said("did", actor=event_actor(item), what=item.get_kind_display())
            destination = item.details.get("destination") if isinstance(item.details, dict) else None
            if destination:
                what = format_html('{} · <span dir="auto">{}</span>', what, destination)
        if item.from_queue and item.to_queue:
            what = format_html("{} · {} → {}", what, item.from_queue.name, item.to_queue.name)
        elif item.to_queue:
            what = format_html("{} · → {}", what, item.to_queue.name)
        reason = reason_label(item)
        if reason:
            what = format_html("{} · {}", what, reason)
        return format_html(
            '<li class="timeline-entry timeline-event">\n<div class="small text-body-secondary event-line">\n'
            "{}\n· {}\n</div>\n</li>\n",
            what,
            moment(item.created_at),
        )

    draw = {"message": message, "note": note, "event": event}
    return joined(draw[entry.kind](entry.item) for entry in entries)
