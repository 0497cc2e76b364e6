"""Replies as outbox items: what to send where, and what a retry may do, per platform.

- Google Play: a reply replaces the previous one, so a send whose worker stopped is simply sent again.
- X and Facebook: a second request posts twice, so a send whose worker stopped becomes unknown and waits for an
  agent. X answering "duplicate content" after such an attempt means the first one arrived.

settings.DELIVERY_BACKEND picks the platforms' APIs ("platforms") or the console ("console": print the reply and
mark it sent after a short, visible delay, like Django's console e-mail backend).
"""

import sys
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from queues.models import Attempt, Channel, Event, Message
from queues.outbox import engine
from queues.outbox.models import Delivery, Outcome
from queues.platforms import credentials as platform_credentials
from queues.platforms.facebook import client as facebook
from queues.platforms.google_play import client as google_play
from queues.platforms.transport import Sent
from queues.platforms.x import client as x

Platform = Channel.Platform
# Platforms where sending the same reply twice changes nothing the customer sees.
RESEND_IS_HARMLESS = {Platform.GOOGLE_PLAY}
# How long replies of a channel without credentials wait before the worker looks again.
NO_CREDENTIALS_WAIT = timedelta(minutes=5)


class Replies:
    """The outbox kind of Message: customers' replies."""

    name = "reply"
    model = Message
    attempt_model = Attempt
    attempt_field = "message"

    def __init__(self, *, backend: str | None = None, credentials=None, out=None):
        self.backend = backend or settings.DELIVERY_BACKEND
        if self.backend not in ("platforms", "console"):
            raise ValueError(f'DELIVERY_BACKEND must be "platforms" or "console", not {self.backend!r}')
        # Read once, before anything is claimed: a bad file raises CredentialsError and nothing is marked.
        if credentials is None and self.backend == "platforms":
            credentials = platform_credentials.load_configured()
        self.credentials = credentials
        self.out = out or sys.stdout
        self._channels = {}
        # One keep-alive session per worker: a reply does not pay a new connection (and TLS handshake) each time.
        self.session = requests.Session()

    def claim_columns(self, table: str) -> dict:
        """What a send needs beyond the message, as scalar subqueries the claim returns in its own round trip."""
        conversation = f"(SELECT c.{{}} FROM queues_conversation c WHERE c.id = {table}.conversation_id)"  # noqa: S608
        return {
            "conversation_id": "conversation_id",
            "body": "body",
            "conversation_external_id": conversation.format("external_id"),
            "channel_id": conversation.format("channel_id"),
            # The customer's latest post in the thread: where an X reply goes. (table is our model's quoted name.)
            "latest_customer_post": (
                f"(SELECT m.external_id FROM {table} m WHERE m.conversation_id = {table}.conversation_id "  # noqa: S608
                "AND m.direction = 'inbound' AND m.external_id <> '' ORDER BY m.created_at DESC, m.id DESC LIMIT 1)"
            ),
        }

    def claimed(self, values: dict) -> Message:
        extra = {key: values.pop(key) for key in ("conversation_external_id", "channel_id", "latest_customer_post")}
        item = Message(direction=Message.Direction.OUTBOUND, **values)
        for key, value in extra.items():
            setattr(item, key, value)
        return item

    def load(self, pk) -> Message:
        """The same item claim() returns, read without claiming it (for a lease that expired)."""
        latest_customer_post = (
            Message.objects.filter(conversation=OuterRef("conversation"), direction=Message.Direction.INBOUND)
            .exclude(external_id="")
            .order_by("-created_at", "-id")
            .values("external_id")[:1]
        )
        return Message.objects.annotate(
            conversation_external_id=F("conversation__external_id"),
            channel_id=F("conversation__channel_id"),
            latest_customer_post=Subquery(latest_customer_post),
        ).get(pk=pk)

    def channel(self, item: Message) -> Channel:
        """Channels are few and change rarely: each is read once per worker."""
        if item.channel_id not in self._channels:
            self._channels[item.channel_id] = Channel.objects.get(pk=item.channel_id)
        return self._channels[item.channel_id]

    def label(self, item: Message) -> str:
        return self.channel(item).get_platform_display()

    def wait_reason(self, item: Message) -> str:
        if self.backend != "platforms":
            return ""
        channel = self.channel(item)
        if self.credentials.for_channel(channel.platform, channel.account) is None:
            return _("no credentials for %(account)s") % {"account": channel.account}
        return ""

    def wait(self, item: Message, *, reason: str) -> int:
        """Every queued reply of the channel waits, not just this one: one write instead of one per reply."""
        waiting = Message.objects.filter(
            Q(pk=item.pk) | Q(conversation__channel_id=item.channel_id, delivery=Delivery.QUEUED)
        )
        return engine.release(waiting, reason=reason, until=timezone.now() + NO_CREDENTIALS_WAIT)

    def resend_after_lost_lease(self, item: Message) -> bool:
        return self.backend == "console" or self.channel(item).platform in RESEND_IS_HARMLESS

    def unknown_reason(self, item: Message) -> str:
        return _("The worker stopped while sending: check on %(platform)s before sending again.") % {
            "platform": self.label(item)
        }

    def had_unknown_attempt(self, item: Message) -> bool:
        return Attempt.objects.filter(message=item, outcome__in=[Outcome.UNKNOWN, Outcome.LOST]).exists()

    def record_event(self, item: Message, settled) -> Event:
        kind = {
            Delivery.SENT: Event.Kind.DELIVERED,
            Delivery.FAILED: Event.Kind.DELIVERY_FAILED,
            Delivery.UNKNOWN: Event.Kind.DELIVERY_UNKNOWN,
        }[settled.delivery]
        details = {"message_id": item.pk}
        if settled.external_id:
            details["external_id"] = settled.external_id
        if settled.reason:
            details["reason"] = settled.reason
        return Event.objects.create(
            conversation_id=item.conversation_id, by_automation=True, kind=kind, details=details
        )

    def send(self, item: Message) -> Sent:
        if self.backend == "console":
            return self._print(item)
        channel = self.channel(item)
        secrets = self.credentials.for_channel(channel.platform, channel.account)
        if channel.platform == Platform.X:
            return x.send_reply(
                secrets=secrets,
                text=item.body,
                in_reply_to_tweet_id=item.latest_customer_post or item.conversation_external_id,
                session=self.session,
            )
        if channel.platform == Platform.GOOGLE_PLAY:
            return google_play.send_reply(
                secrets=secrets,
                package=channel.account,
                review_id=item.conversation_external_id,
                text=item.body,
                session=self.session,
            )
        return facebook.send_reply(
            secrets=secrets, comment_id=item.conversation_external_id, text=item.body, session=self.session
        )

    def _print(self, item: Message) -> Sent:
        channel = self.channel(item)
        self.out.write(
            f"--- reply #{item.pk} to {channel.get_platform_display()} {channel.account}, "
            f"conversation #{item.conversation_id} ({item.conversation_external_id})\n{item.body}\n---\n"
        )
        self.out.flush()
        time.sleep(settings.DELIVERY_CONSOLE_DELAY_SECONDS)
        return Sent(external_id="")
