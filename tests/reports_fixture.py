"""A hand-built history for the reports, written through the services at chosen moments, in Europe/Berlin.

The answers the tests expect are worked out by hand in tests/test_reports.py next to each assertion. Times are
UTC; Berlin is UTC+1 until Sunday 29 March 2026 01:00 UTC, UTC+2 after (the week of Monday 23 March has the
change and is still one week).

  A  X, Firefox Desktop. Arrives Sun 22 Mar 23:30 UTC (Mon 23 Mar 00:30 in Berlin); replied +2 h; escalated
     (needs product team) 24 Mar; closed 26 Mar; the customer writes again Sun 29 Mar 21:30 UTC (23:30 Berlin,
     still Sunday): reopened; escalated again (sensitive) 29 Mar 22:30 UTC = Mon 30 Mar 00:30 Berlin. Open.
  B  X, Firefox Desktop. Arrives 23 Mar; a note; on hold; the customer comes back 24 Mar; on hold again
     25 Mar; the automation closes it 1 Apr. Never replied to.
  C  Google Play, Firefox for Android. Arrives 24 Mar 12:00, replied 12:10; product set to Focus for Android;
     escalated (paid product) 25 Mar 09:00; product set back to Firefox for Android; on hold 26 Mar; an agent
     closes it 27 Mar 09:00.
  D  X, no product. Arrives 25 Mar 06:00, replied 06:30 and 07:00; escalated (other) 08:00; on hold 09:00; the
     customer comes back 26 Mar 09:00; escalated again (needs product team) 10:00; closed 28 Mar 10:00.
  E  X, Firefox Desktop. Arrives 26 Mar 12:00, replied 27 Mar 12:00. Open, working.
  F  X, Firefox Desktop. Arrives 27 Mar 10:00, escalated (attention, no KB) 10:20 with no reply before. Open.
  G  X. Arrives 8 Apr 12:00, on hold 9 Apr 18:00. Open.
  H  X. Arrives 1 Feb. I 11 Mar 10:00. J 11 Mar 13:00. K 7 Apr 11:00. L 8 Apr 13:00. M 9 Apr 12:10. N 7 Apr
     12:40. Open, working, no event but their arrival.

NOW, when the backlog and the stale list are read: Fri 10 Apr 2026 12:00 UTC.
"""

from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from unittest import mock

from queues import services
from queues.models import Conversation, EscalationReason, Event, Message, Note, Product
from tests import factories

NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
TIME_ZONE = "Europe/Berlin"


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@contextmanager
def at(moment: datetime):
    """Everything written inside happens at moment: timezone.now() and the models' default timestamps."""
    fields = [
        Event._meta.get_field("created_at"),
        Message._meta.get_field("created_at"),
        Note._meta.get_field("created_at"),
    ]
    with ExitStack() as stack:
        stack.enter_context(mock.patch("django.utils.timezone.now", return_value=moment))
        for field in fields:
            stack.enter_context(mock.patch.object(field, "_get_default", lambda: moment))
        yield


def build(*, fold_each_step=None):
    """Write the history; fold_each_step, if given, is called after every step (an incremental rollup)."""
    step = fold_each_step or (lambda: None)
    agent = factories.agent(username="ann", first_name="Ann", last_name="Agent")
    moderator = factories.moderator(username="mo", first_name="Mo", last_name="Moderator")
    x = factories.channel("@FirefoxSupport")
    play = factories.channel("org.mozilla.firefox")
    desktop = Product.objects.get(name="Firefox Desktop")
    android = Product.objects.get(name="Firefox for Android")
    focus = Product.objects.get(name="Focus for Android")
    made = {}

    def arrive(name, channel, moment, product=None):
        with at(moment):
            fields = {"received_at": moment, "created_at": moment, "author_name": name}
            if product is not None:
                fields["product"] = product
            made[name] = services.create_conversation(channel_id=channel.pk, external_id=f"fixture-{name}", **fields).pk
        step()

    def do(moment, action, name, **kwargs):
        with at(moment):
            action(conversation_id=made[name], **kwargs)
        step()

    def escalate(moment, name, actor, reason, other=""):
        do(
            moment,
            services.escalate_conversation,
            name,
            actor=actor,
            reason=reason,
            note=factories.STEPS,
            other_reason=other,
        )

    def customer(moment, name):
        do(moment, services.record_customer_message, name, body="Still broken.")

    hold = services.put_on_hold
    arrive("H", x, utc(2, 1, 10))
    arrive("I", x, utc(3, 11, 10))
    arrive("J", x, utc(3, 11, 13))
    arrive("A", x, utc(3, 22, 23, 30), desktop)
    do(utc(3, 23, 1, 30), services.reply, "A", actor=agent, body="Which version?")
    arrive("B", x, utc(3, 23, 8), desktop)
    do(utc(3, 23, 9), services.add_note, "B", actor=agent, body="Asked for the version.")
    do(utc(3, 23, 10), hold, "B", actor=agent)
    escalate(utc(3, 24, 10), "A", moderator, EscalationReason.NEEDS_PRODUCT_TEAM)
    customer(utc(3, 24, 10), "B")
    arrive("C", play, utc(3, 24, 12))
    do(utc(3, 24, 12, 10), services.reply, "C", actor=agent, body="Thanks, which phone?")
    do(utc(3, 24, 13), services.set_product, "C", actor=moderator, product_id=focus.pk)
    arrive("D", x, utc(3, 25, 6))
    do(utc(3, 25, 6, 30), services.reply, "D", actor=agent, body="Looking into it.")
    do(utc(3, 25, 7), services.reply, "D", actor=agent, body="Any news?")
    escalate(utc(3, 25, 8), "D", agent, EscalationReason.OTHER, other="A journalist asked.")
    escalate(utc(3, 25, 9), "C", agent, EscalationReason.PAID_PRODUCT)
    do(utc(3, 25, 9), hold, "D", actor=agent)
    do(utc(3, 25, 10), hold, "B", actor=agent)
    do(utc(3, 25, 10), services.set_product, "C", actor=moderator, product_id=android.pk)
    do(utc(3, 26, 9), hold, "C", actor=agent)
    customer(utc(3, 26, 9), "D")
    escalate(utc(3, 26, 10), "D", moderator, EscalationReason.NEEDS_PRODUCT_TEAM)
    do(utc(3, 26, 10), services.close_conversation, "A", actor=agent, reason="resolved")
    arrive("E", x, utc(3, 26, 12), desktop)
    do(utc(3, 27, 9), services.close_conversation, "C", actor=moderator, reason="resolved")
    arrive("F", x, utc(3, 27, 10), desktop)
    escalate(utc(3, 27, 10, 20), "F", moderator, EscalationReason.ATTENTION_NO_KB)
    do(utc(3, 27, 12), services.reply, "E", actor=agent, body="Try a new profile.")
    do(utc(3, 28, 10), services.close_conversation, "D", actor=moderator, reason="resolved")
    customer(utc(3, 29, 21, 30), "A")
    escalate(utc(3, 29, 22, 30), "A", moderator, EscalationReason.SENSITIVE)
    do(utc(4, 1, 10), services.close_conversation, "B", actor=None, reason="no_customer_response")
    arrive("K", x, utc(4, 7, 11))
    arrive("G", x, utc(4, 8, 12))
    arrive("L", x, utc(4, 8, 13))
    arrive("M", x, utc(4, 9, 12, 10))
    arrive("N", x, utc(4, 7, 12, 40))
    do(utc(4, 9, 18), hold, "G", actor=agent)
    return {name: Conversation.objects.get(pk=pk) for name, pk in made.items()}
