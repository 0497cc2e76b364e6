"""The outbox worker's door (queues/outbox/): run it under systemd, or from cron with --once."""

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from queues.notices.outbox import Notices
from queues.outbox.worker import Worker
from queues.platforms.credentials import CredentialsError
from queues.platforms.delivery import Replies

log = logging.getLogger("queues.outbox")


def outbox_kinds(*, out=None) -> list:
    """Every kind of item the worker sends. Reading them reads the credentials: a bad file raises here."""
    return [Replies(out=out), Notices(out=out)]


class Command(BaseCommand):
    help = (
        "Send what the portal owes the outside world: replies queued for X, Facebook and Google Play, and notices to "
        "product teams' Matrix rooms and Slack channels (and the admins' mail), through "
        "settings.DELIVERY_BACKEND. Runs until stopped (SIGTERM or Ctrl-C finish the current send, then exit 0), "
        "picking new items up as they are queued. Replies whose worker stopped mid-send are sent again on Google "
        "Play and marked unknown on X and Facebook. Safe to run on several hosts at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Send everything due now, then exit (cron, tests).")

    def handle(self, *args, once=False, **options):
        try:
            kinds = outbox_kinds(out=self.stdout)
        except CredentialsError as error:
            raise CommandError(str(error)) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        worker = Worker(kinds)
        if once:
            counts = worker.run_once()
        else:
            self._stop_on_signals(worker)
            log.info("deliver: worker %s started (backend %s)", worker.owner, settings.DELIVERY_BACKEND)
            counts = worker.run_forever()
        self.stdout.write(
            f"Sent {counts['sent']}, failed {counts['failed']}, unknown {counts['unknown']}, "
            f"to retry later {counts['queued']}, waiting for credentials {counts['waiting']}, "
            f"found stopped mid-send {counts['lost']}."
        )

    def _stop_on_signals(self, worker: Worker) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: worker.stop())
