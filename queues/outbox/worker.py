"""The loop behind `manage.py deliver`: settle expired leases, claim and send what is due, wait to be woken.

A send finishes before the worker stops (stop() only sets a flag the loop reads between sends), so SIGTERM never
leaves an item half-recorded. Several workers on several hosts share the work through the claim's lease."""

import logging
import os
import socket
import threading
import time
from collections import Counter

from django.conf import settings
from django.utils import timezone

from queues.outbox import engine
from queues.outbox.wakeup import Waiter
from queues.platforms.transport import DeliveryError, RetryLater, Unknown

log = logging.getLogger("queues.outbox")


class Worker:
    def __init__(self, kinds, *, owner: str = ""):
        self.kinds = list(kinds)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = threading.Event()
        self.counts = Counter()
        self._last_reap = float("-inf")

    def stop(self) -> None:
        self.stopping.set()

    def run_once(self) -> Counter:
        """Send everything that is due now, then return what became of it."""
        self.reap()
        while not self.stopping.is_set() and self._send_due():
            pass
        return self.counts

    def run_forever(self) -> Counter:
        waiter = Waiter()
        waiter.listen()
        while not self.stopping.is_set():
            if time.monotonic() - self._last_reap >= settings.OUTBOX_REAP_SECONDS:
                self.reap()
            if not self._send_due():
                self._idle(waiter)
        return self.counts

    def reap(self) -> None:
        self._last_reap = time.monotonic()
        for kind in self.kinds:
            self.counts["lost"] += engine.reap(kind)

    def _send_due(self) -> bool:
        """Send one due item of each kind; False when none was due."""
        busy = False
        for kind in self.kinds:
            if self.stopping.is_set():
                break
            item = engine.claim(kind, owner=self.owner)
            if item is not None:
                busy = True
                self.send(kind, item)
        return busy

    def send(self, kind, item) -> None:
        pk = item.pk
        wait = kind.wait_reason(item)
        if wait:
            self.counts["waiting"] += kind.wait(item, reason=wait)
            log.info("%s #%s waits: %s", kind.name, pk, wait)
            return
        started_at, started = timezone.now(), time.monotonic()
        try:
            result = kind.send(item)
        except DeliveryError as error:
            result = error
        except Exception as error:  # noqa: BLE001 - a bug in a client must not stop the worker or lose the item
            log.exception("%s #%s: unexpected error while sending", kind.name, pk)
            words = f"unexpected error: {error!r}"[:500]
            result = RetryLater(words) if kind.resend_after_lost_lease(item) else Unknown(words)
        settled = engine.record(
            kind, item, owner=self.owner, started_at=started_at, seconds=time.monotonic() - started, result=result
        )
        self.counts[settled.delivery] += 1
        log.info("%s #%s: %s %s", kind.name, pk, settled.delivery, settled.reason)

    def _idle(self, waiter: Waiter) -> None:
        """Wait until woken (PostgreSQL) or the next poll, in short slices so stop() is heard quickly."""
        deadline = time.monotonic() + (
            settings.OUTBOX_IDLE_POLL_SECONDS if waiter.listening else settings.OUTBOX_SQLITE_POLL_SECONDS
        )
        while not self.stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if waiter.listening:
                if waiter.wait(min(left, 0.5)):
                    return
            else:
                self.stopping.wait(min(left, 0.5))
