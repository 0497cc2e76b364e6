"""Notices to product teams as outbox items: which are queued when, and how the worker posts them.

- On escalation: one notice per target of the conversation's product (its Matrix room, its Slack channel), and for
  the "other" reason one e-mail to the admins. Written in the escalation's transaction, so an escalation that
  committed always has its notices; posted after commit by `manage.py deliver`.
- When the escalated conversation is closed or leaves the escalation queue: a short follow-up into each first
  notice's thread (Slack thread_ts, a Matrix m.thread relation).
- Posted once: Matrix by a transaction id derived from the notice (every worker shares one access token); Slack,
  which has no idempotency key, by looking in the channel's history for the notice's metadata before any second
  try; an e-mail whose worker stopped mid-send is not sent again by itself.
"""

import re
import sys
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from queues import outbox
from queues.models import Event, Notice, NoticeAttempt
from queues.notices import content, matrix, slack
from queues.outbox import engine
from queues.outbox.models import Delivery, Outcome
from queues.platforms.transport import RetryLater, Sent, Unknown

# How long notices of an unconfigured target wait before the worker looks again.
NOT_CONFIGURED_WAIT = timedelta(minutes=5)
# A Slack channel's id (a name can be looked up in no history).
SLACK_ID = re.compile(r"[CG][A-Z0-9]{8,12}")
# The attempt code of a Slack post whose answer was lost.
ANSWER_LOST = "answer-lost"
# A Slack history search starts this long before a notice's first attempt: clocks differ.
CLOCK_SKEW = timedelta(minutes=5)


def escalated(convo, *, actor, note: str) -> list[Notice]:
    """Queue the notices of an escalation (call inside the escalation's transaction). Written in the portal's
    language (LANGUAGE_CODE), which the product teams and the admins read, not in the escalating agent's."""
    with translation.override(settings.LANGUAGE_CODE):
        return _escalated(convo, actor=actor, note=note)


def _escalated(convo, *, actor, note: str) -> list[Notice]:
    product = convo.product
    now = timezone.now()
    who = actor.get_username() if actor else _("the automation")
    notices = []
    targets = []
    if product is not None and product.matrix_room:
        targets.append((Notice.Target.MATRIX, product.matrix_room, product.matrix_private))
    if product is not None and product.slack_channel:
        targets.append((Notice.Target.SLACK, product.slack_channel, product.slack_private))
    for target, destination, private in targets:
        words = content.escalation_notice(convo, escalated_by=who, note=note, private=private, now=now)
        notices.append(
            _notice(convo, target, Notice.Occasion.ESCALATED, words, destination=destination, private=private)
        )
    if convo.escalation_reason == "other":
        words = content.escalation_notice(convo, escalated_by=who, note=note, private=True, now=now)
        subject = _("Conversation #%(pk)s escalated for another reason") % {"pk": convo.pk}
        notices.append(_notice(convo, Notice.Target.EMAIL, Notice.Occasion.OTHER_REASON, words, subject=subject))
    return _queue(notices)


def handled(convo, *, what: str) -> list[Notice]:
    """Queue a follow-up in the thread of each first notice of the conversation's escalation that has none yet."""
    with translation.override(settings.LANGUAGE_CODE):
        return _handled(convo, what=what)


def _handled(convo, *, what: str) -> list[Notice]:
    firsts = Notice.objects.filter(
        conversation=convo, occasion=Notice.Occasion.ESCALATED, follow_ups__isnull=True
    ).exclude(target=Notice.Target.EMAIL)
    words = content.follow_up(convo, what=what)
    notices = [
        _notice(
            convo, first.target, Notice.Occasion.HANDLED, words, destination=first.destination, private=first.private
        )
        for first in firsts
    ]
    for notice, first in zip(notices, firsts, strict=True):
        notice.thread = first
    return _queue(notices)


def _notice(convo, target, occasion, words, *, destination="", private=False, subject="") -> Notice:
    now = timezone.now()
    return Notice(
        conversation=convo,
        target=target,
        occasion=occasion,
        destination=destination,
        private=private,
        subject=subject,
        text=words.plain,
        html=words.html,
        mrkdwn=words.slack,
        delivery=Delivery.QUEUED,
        queued_at=now,
        next_attempt_at=now,
    )


def _queue(notices: list[Notice]) -> list[Notice]:
    if notices:
        for notice in notices:
            notice.save()
        transaction.on_commit(outbox.notify)
    return notices


class Notices:
    """The outbox kind of Notice."""

    name = "notice"
    model = Notice
    attempt_model = NoticeAttempt
    attempt_field = "notice"

    def __init__(self, *, backend: str | None = None, out=None):
        self.backend = backend or settings.DELIVERY_BACKEND
        self.out = out or sys.stdout
        self.session = requests.Session()

    def claim_columns(self, table: str) -> dict:
        return {
            "conversation_id": "conversation_id",
            "target": "target",
            "occasion": "occasion",
            "destination": "destination",
            "destination_id": "destination_id",
            "thread_id": "thread_id",
            "subject": "subject",
            "text": "text",
            "html": "html",
            "mrkdwn": "mrkdwn",
        }

    def claimed(self, values: dict) -> Notice:
        return Notice(**values)

    def load(self, pk) -> Notice:
        return Notice.objects.get(pk=pk)

    def label(self, item: Notice) -> str:
        return str(Notice.Target(item.target).label)

    def wait_reason(self, item: Notice) -> str:
        if self.backend == "console":
            return ""
        if item.target == Notice.Target.MATRIX and not (
            settings.MATRIX_HOMESERVER_URL and settings.MATRIX_ACCESS_TOKEN
        ):
            return _("no Matrix homeserver or access token is configured (MATRIX_HOMESERVER_URL, MATRIX_ACCESS_TOKEN)")
        if item.target == Notice.Target.SLACK and not settings.SLACK_BOT_TOKEN:
            return _("no Slack bot token is configured (SLACK_BOT_TOKEN)")
        if item.target == Notice.Target.EMAIL and not settings.ADMINS:
            return _("no admins' address is configured (ADMIN_EMAILS)")
        if item.thread_id and self._thread(item).delivery in (Delivery.QUEUED, Delivery.SENDING):
            return _("waiting for the first notice to be posted")
        return ""

    def wait(self, item: Notice, *, reason: str) -> int:
        return engine.release(
            Notice.objects.filter(pk=item.pk), reason=reason, until=timezone.now() + NOT_CONFIGURED_WAIT
        )

    def resend_after_lost_lease(self, item: Notice) -> bool:
        # Matrix recognises the transaction id; Slack is looked for in the channel first; a mail would go twice.
        return item.target != Notice.Target.EMAIL

    def unknown_reason(self, item: Notice) -> str:
        return _("The worker stopped while sending this e-mail: it may have gone; send it again only if it did not.")

    def had_unknown_attempt(self, item: Notice) -> bool:
        return NoticeAttempt.objects.filter(notice=item, outcome__in=[Outcome.UNKNOWN, Outcome.LOST]).exists()

    def record_event(self, item: Notice, settled) -> Event | None:
        kind = Event.Kind.NOTICE_POSTED if settled.delivery == Delivery.SENT else Event.Kind.NOTICE_FAILED
        details = {"notice_id": item.pk, "target": item.target, "destination": item.destination}
        if settled.reason:
            details["reason"] = settled.reason
        return Event.objects.create(
            conversation_id=item.conversation_id, by_automation=True, kind=kind, details=details
        )

    def send(self, item: Notice) -> Sent:
        if self.backend == "console":
            return self._print(item)
        if item.target == Notice.Target.MATRIX:
            return self._matrix(item)
        if item.target == Notice.Target.SLACK:
            return self._slack(item)
        return self._mail(item)

    def _thread(self, item: Notice) -> Notice:
        if not hasattr(item, "_thread_notice"):
            item._thread_notice = Notice.objects.get(pk=item.thread_id)
        return item._thread_notice

    def _matrix(self, item: Notice) -> Sent:
        thread = self._thread(item) if item.thread_id else None
        sent = matrix.send_notice(
            base_url=settings.MATRIX_HOMESERVER_URL,
            token=settings.MATRIX_ACCESS_TOKEN,
            room=thread.destination_id if thread and thread.destination_id else item.destination,
            txn_id=f"portal-notice-{item.pk}",
            body=item.text,
            formatted_body=item.html,
            thread_root_event_id=thread.external_id if thread and thread.delivery == Delivery.SENT else None,
            session=self.session,
        )
        self._remember_destination(item, sent.details.get("room_id", ""))
        return sent

    def _slack(self, item: Notice) -> Sent:
        thread = self._thread(item) if item.thread_id else None
        channel = thread.destination_id if thread and thread.destination_id else item.destination
        thread_ts = thread.external_id if thread and thread.delivery == Delivery.SENT else None
        options = {"base_url": settings.SLACK_API_URL, "token": settings.SLACK_BOT_TOKEN, "session": self.session}
        if item.attempts and self._may_have_posted(item):
            # An earlier try may have posted it though its answer was lost, and Slack has no idempotency key: look
            # for it in the channel's history (by the notice's metadata) before posting again.
            lookup = item.destination_id or channel
            if not SLACK_ID.fullmatch(lookup):
                raise Unknown(
                    _(
                        "an earlier answer from Slack was lost and %(channel)s is a name, not an id, so the portal "
                        "cannot look whether it was posted: check the channel, then send it again"
                    )
                    % {"channel": channel}
                )
            found = slack.find_posted(
                channel=lookup,
                notice_id=item.pk,
                oldest=(item.queued_at or timezone.now()) - CLOCK_SKEW,
                thread_ts=thread_ts,
                **options,
            )
            if found is not None:
                return found
        try:
            sent = slack.post_message(
                channel=channel,
                text=item.mrkdwn or item.text,
                metadata=slack.notice_metadata(item.pk),
                thread_ts=thread_ts,
                **options,
            )
        except Unknown as lost:
            # Not unknown for good: the next try looks in the channel's history before it posts again.
            raise RetryLater(lost.reason, status=lost.status, code=ANSWER_LOST) from lost
        self._remember_destination(item, sent.details.get("channel", ""))
        return sent

    def _may_have_posted(self, item: Notice) -> bool:
        return NoticeAttempt.objects.filter(
            Q(code=ANSWER_LOST) | Q(outcome__in=[Outcome.UNKNOWN, Outcome.LOST]), notice=item
        ).exists()

    def _mail(self, item: Notice) -> Sent:
        try:
            mail_admins(item.subject, item.text, fail_silently=False)
        except OSError as error:
            raise RetryLater(
                _("the mail server refused or could not be reached: %(error)s") % {"error": error}
            ) from error
        return Sent()

    def _remember_destination(self, item: Notice, destination_id: str) -> None:
        if destination_id and destination_id != item.destination_id:
            Notice.objects.filter(pk=item.pk).update(destination_id=destination_id)

    def _print(self, item: Notice) -> Sent:
        self.out.write(f"-- {self.label(item)} {item.destination} (notice #{item.pk}) --\n{item.text}\n")
        self.out.flush()
        time.sleep(settings.DELIVERY_CONSOLE_DELAY_SECONDS)
        return Sent(external_id=f"console-{item.pk}")


@transaction.atomic
def send_again(*, notice_id: int, actor) -> Notice:
    """Queue a failed notice again (an admin fixed the room, the token or the bot's membership). An unknown one (an
    e-mail whose worker stopped mid-send) may have gone: it is left for a person to check."""
    from queues.services import InvalidInput, TransitionNotAllowed
    from queues.services.state import record

    notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
    if notice is None:
        raise InvalidInput(_("No notice #%(pk)s.") % {"pk": notice_id})
    if notice.delivery != Delivery.FAILED:
        raise TransitionNotAllowed(
            _("Notice #%(pk)s is %(state)s: only failed notices are sent again.")
            % {"pk": notice.pk, "state": notice.get_delivery_display().lower()},
            reason=_("not failed"),
        )
    now = timezone.now()
    notice.delivery, notice.delivery_reason, notice.queued_at, notice.next_attempt_at = Delivery.QUEUED, "", now, now
    notice.save(update_fields=["delivery", "delivery_reason", "queued_at", "next_attempt_at"])
    record(
        notice.conversation, actor, Event.Kind.NOTICE_SENT_AGAIN, notice_id=notice.pk, destination=notice.destination
    )
    transaction.on_commit(outbox.notify)
    return notice
