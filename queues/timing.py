"""Time as agents read it on the pages and in messages: when an on-hold conversation auto-closes, how long ago it
was escalated, how long the first reply took."""

from django.utils import formats, timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def auto_close_text(convo, now=None) -> str:
    """ "Auto-closes on 8 Dec (in 6 days)", or, past that time, "Overdue: due to auto-close on 8 Dec (2 days ago)";
    empty when the conversation will not auto-close."""
    due = convo.auto_closes_at
    if due is None:
        return ""
    now = now or timezone.now()
    local = timezone.localtime(due)
    day = formats.date_format(local, "j M")
    # Calendar days, as people count them: held on the 1st for a week closes on the 8th, "in 7 days".
    days = (local.date() - timezone.localtime(now).date()).days
    if due > now:
        if days == 0:
            when = _("today, in %(time)s") % {"time": timeuntil(due, now, depth=1)}
        else:
            # "tomorrow" is its own message: a plural form of "in %(days)d days" is for n days in every language.
            when = (
                _("tomorrow") if days == 1 else ngettext("in %(days)d day", "in %(days)d days", days) % {"days": days}
            )
        return _("Auto-closes on %(day)s (%(when)s)") % {"day": day, "when": when}
    if days == 0:
        late = _("%(time)s ago") % {"time": timesince(due, now, depth=1)}
    else:
        late = (
            _("yesterday") if days == -1 else ngettext("%(days)d day ago", "%(days)d days ago", -days) % {"days": -days}
        )
    return _("Overdue: due to auto-close on %(day)s (%(late)s)") % {"day": day, "late": late}


def ago(moment, now=None) -> str:
    """ "3 days ago" (the largest unit only)."""
    return _("%(time)s ago") % {"time": timesince(moment, now or timezone.now(), depth=1)}


def first_response_text(convo) -> str:
    """How long the customer waited for the first reply, from when the conversation arrived."""
    replied = getattr(convo, "first_reply_at", None)
    if replied is None:
        if convo.is_closed:
            return _("Closed without a reply")
        return _("No reply yet (waiting %(time)s)") % {"time": timesince(convo.received_at, depth=1)}
    if replied <= convo.received_at:
        return _("Replied on the platform before it arrived here")
    return _("After %(time)s") % {"time": timesince(convo.received_at, replied, depth=2)}
