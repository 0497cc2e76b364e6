"""cron's door to the reports' rollup (queues/reports/rollup.py)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from queues.reports import rollup
from queues.reports.check import check
from queues.reports.rebuild import rebuild as rebuild_all


class Command(BaseCommand):
    help = (
        "Fold the events written since the last run into the reports' rollup tables (daily and weekly counts, "
        "each conversation's queue and first reply). Run it from cron every few minutes; the report pages fold "
        "the few events since then themselves. --rebuild writes the tables again from every event; --check "
        "recounts from every event and exits non-zero if the tables differ. A run that finds another in progress "
        "does nothing."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--rebuild", action="store_true", help="Write every rollup table again from every event.")
        group.add_argument(
            "--check",
            action="store_true",
            help="Recount everything from the events (changing nothing) and report the tables that differ.",
        )

    def handle(self, *, rebuild, check, verbosity, **options):
        started = time.monotonic()
        try:
            if check:
                self._check()
                return
            result = rebuild_all() if rebuild else rollup.fold(nowait=True)
        except DatabaseError as error:
            raise CommandError(f"rollup_reports failed: {error}. Batches committed before stay folded.") from error
        if result.busy:
            self.stdout.write("another rollup_reports run is in progress; this one did nothing")
            return
        if verbosity >= 1:
            self.stdout.write(
                f"{'rebuilt from' if rebuild else 'folded'} {result.events} events "
                f"({result.holes} ids still awaited) in {time.monotonic() - started:.1f} s"
            )

    def _check(self):
        try:
            upto, differences = check()
        except DatabaseError as error:
            raise CommandError(f"rollup_reports --check failed: {error}") from error
        wrong = {table: n for table, n in differences.items() if n}
        if wrong:
            listing = ", ".join(f"{table} {n}" for table, n in sorted(wrong.items()))
            raise CommandError(
                f"the rollup differs from a recount of the events up to id {upto}: rows that differ: {listing}. "
                "Run rollup_reports --rebuild."
            )
        self.stdout.write(f"the rollup matches a recount of every event up to id {upto}")
