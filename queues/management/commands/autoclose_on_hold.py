"""cron's door to the On Hold automation (queues/automation.py)."""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

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
                f"autoclose_on_hold failed: {error}. Batches committed before the failure stay closed."
            ) from error
        if verbosity >= 1:
            self._report(result, verbosity=verbosity, seconds=time.monotonic() - started)

    def _report(self, result: AutocloseResult, *, verbosity: int, seconds: float) -> None:
        if result.another_run_in_progress:
            self.stdout.write("another autoclose_on_hold run is in progress; this one did nothing")
            return
        for outcome in result.queues:
            queue = f"{outcome.queue.slug} (closes after {_duration(outcome.queue.auto_close_after)})"
            if result.dry_run:
                oldest = ", ".join(f"#{pk} on hold {_duration(age)}" for pk, age in outcome.oldest)
                self.stdout.write(
                    f"{queue}: would close {outcome.would_close}" + (f"; oldest: {oldest}" if oldest else "")
                )
            elif verbosity >= 2:
                self.stdout.write(f"{queue}: closed {outcome.closed} ({outcome.skipped} changed meanwhile, skipped)")
        queues = _count(len(result.queues), "queue")
        if result.dry_run:
            self.stdout.write(
                f"would close {_count(result.would_close, 'conversation')} in {queues} "
                f"(dry run, nothing changed) in {seconds:.1f} s"
            )
            return
        skipped = f" ({result.skipped} changed meanwhile, skipped)" if result.skipped else ""
        self.stdout.write(f"closed {_count(result.closed, 'conversation')} in {queues}{skipped} in {seconds:.1f} s")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _duration(value: timedelta) -> str:
    """7 days, 2 days 3 h, 5 h 20 min: enough to read an age at a glance."""
    minutes = int(value.total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [_count(days, "day")] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return " ".join(parts) or "under a minute"
