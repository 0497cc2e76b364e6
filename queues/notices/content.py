"""What a notice to a product team says, in plain text, Matrix HTML and Slack mrkdwn.

The rooms of the process document are public community rooms: a notice carries the link, the product, the channel,
the reason and how long the customer has waited. The customer's name, handle and words, the agent's other reason
and the internal note go only to a target an admin marked private. Everything from outside is escaped.
"""

import html
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

# A private notice quotes at most this much of the customer's text and of the note.
QUOTE_CHARACTERS = 500


@dataclass(frozen=True)
class NoticeText:
    plain: str
    html: str
    slack: str


def portal_link(conversation) -> str:
    return f"{settings.PORTAL_URL.rstrip('/')}{conversation.get_absolute_url()}"


def escalation_notice(conversation, *, escalated_by: str, note: str, private: bool, now: datetime) -> NoticeText:
    """The first notice of an escalation, for one target."""
    heading = _("Escalated: conversation #%(pk)s (%(product)s)") % {
        "pk": conversation.pk,
        "product": conversation.product or _("no product"),
    }
    facts = [
        (_("Channel"), str(conversation.channel)),
        (_("Reason"), conversation.get_escalation_reason_display()),
        (_("Customer waiting for"), timesince(conversation.created_at, now)),
        (_("Escalated by"), escalated_by),
    ]
    if private:
        if conversation.escalation_reason_other:
            facts.append((_("Other reason"), conversation.escalation_reason_other))
        customer = " ".join(filter(None, [conversation.author_name, conversation.author_handle]))
        facts.append((_("Customer"), customer or "—"))
        text = "\n".join(filter(None, [conversation.title, conversation.body]))
        facts.append((_("Customer's text"), _quote(text)))
        facts.append((_("Internal note"), _quote(note)))
    return _compose(heading, facts, portal_link(conversation))


def follow_up(conversation, *, what: str) -> NoticeText:
    """A short line in the thread of the first notice: what became of the escalation."""
    heading = _("Conversation #%(pk)s: %(what)s") % {"pk": conversation.pk, "what": what}
    return _compose(heading, [], portal_link(conversation))


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARACTERS else text[: QUOTE_CHARACTERS - 1] + "…"


def _compose(heading: str, facts: list[tuple[str, str]], link: str) -> NoticeText:
    plain = "\n".join([heading, *(f"{label}: {value}" for label, value in facts), link])
    rich = "".join(f"<br><b>{html.escape(label)}:</b> {html.escape(value)}" for label, value in facts)
    markup = f'<b>{html.escape(heading)}</b>{rich}<br><a href="{html.escape(link)}">{html.escape(link)}</a>'
    slack = "\n".join(
        [
            f"*{_slack_escape(heading)}*",
            *(f"*{_slack_escape(label)}:* {_slack_escape(value)}" for label, value in facts),
        ]
        + [f"<{link}|{_slack_escape(link)}>"]
    )
    return NoticeText(plain=plain, html=markup, slack=slack)


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn: &, < and > are control characters; everything else is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
