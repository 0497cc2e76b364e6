"""cron's door to the On Hold automation (queues/automation.py)."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from queues.automation import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE, AutocloseResult, autoclose_on_hold
from queues.services import ServiceError


class Command(BaseCommand):
    help = (
        "Close the open conversations of on-hold queues that have been on hold for at least their queue's "
        "auto-close duration with no customer message since they were put on hold (close reason "
        "'no customer response', one automation event each). Conversations in working and escalation "
        "queues are never touched, whatever their age. Safe to run from cron on several hosts at once: "
        "on PostgreSQL a run that finds another in progress does nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print per queue how many would be closed and the oldest of them; change nothing.",
        )
        parser.add_argument("--queue", metavar="SLUG", help="Only this on-hold queue.")
        parser.add_argument(
            "--limit",
            type=int,
            metavar="N",
            help="Close at most N conversations in this run: oldest first within a queue, queues in slug order.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            metavar="N",
            help=f"Conversations closed per transaction, 1 to {MAX_BATCH_SIZE} (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *, dry_run, queue, limit, batch_size, verbosity, **options):
        started = time.monotonic()
        try:
            result = autoclose_on_hold(queue_slug=queue, limit=limit, batch_size=batch_size, dry_run=dry_run)
        except ServiceError as error:
            raise CommandError(error.message) from error
        except DatabaseError as error:
            raise CommandError(
                _("autoclose_on_hold failed: %(error)s. Batches committed before the failure stay closed.")
                % {"error": error}
            ) from error
        if verbosity >= 1:
            self._report(result, verbosity=verbosity, seconds=time.monotonic() - started)

    def _report(self, result: AutocloseResult, *, verbosity: int, seconds: float) -> None:
        if result.another_run_in_progress:
            self.stdout.write(_("another autoclose_on_hold run is in progress; this one did nothing"))
            return
        for outcome in result.queues:
            queue = _("%(slug)s (closes after %(duration)s)") % {
                "slug": outcome.queue.slug,
                "duration": _duration(outcome.queue.auto_close_after),
            }
            if result.dry_run:
                oldest = ", ".join(
                    _("#%(pk)s on hold %(duration)s") % {"pk": pk, "duration": _duration(age)}
                    for pk, age in outcome.oldest
                )
                values = {"queue": queue, "count": outcome.would_close, "oldest": oldest}
                self.stdout.write(
                    (
                        _("%(queue)s: would close %(count)s; oldest: %(oldest)s")
                        if oldest
                        else _("%(queue)s: would close %(count)s")
                    )
                    % values
                )
            elif verbosity >= 2:
                self.stdout.write(
                    _("%(queue)s: closed %(closed)s (%(skipped)s changed meanwhile, skipped)")
                    % {"queue": queue, "closed": outcome.closed, "skipped": outcome.skipped}
                )
        queues = ngettext("%(count)s queue", "%(count)s queues", len(result.queues)) % {"count": len(result.queues)}
        seconds = f"{seconds:.1f}"
        if result.dry_run:
            conversations = _conversations(result.would_close)
            self.stdout.write(
                _("would close %(conversations)s in %(queues)s (dry run, nothing changed) in %(seconds)s s")
                % {"conversations": conversations, "queues": queues, "seconds": seconds}
            )
            return
        values = {"conversations": _conversations(result.closed), "queues": queues, "seconds": seconds}
        if result.skipped:
            values["skipped"] = result.skipped
            line = _("closed %(conversations)s in %(queues)s (%(skipped)s changed meanwhile, skipped) in %(seconds)s s")
        else:
            line = _("closed %(conversations)s in %(queues)s in %(seconds)s s")
        self.stdout.write(line % values)


def _conversations(count: int) -> str:
    return ngettext("%(count)s conversation", "%(count)s conversations", count) % {"count": count}


def _duration(value: timedelta) -> str:
    """7 days, 2 days 3 h, 5 h 20 min: enough to read an age at a glance."""
    minutes = int(value.total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [ngettext("%(count)s day", "%(count)s days", days) % {"count": days}] if days else []
    if hours:
        parts.append(_("%(count)s h") % {"count": hours})
    if minutes and not days:
        parts.append(_("%(count)s min") % {"count": minutes})
    return " ".join(parts) or _("under a minute")
