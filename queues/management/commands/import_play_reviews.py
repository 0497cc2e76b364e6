"""cron's door for Google Play Console review exports; the work is in queues/platforms/google_play/importer.py."""

from django.core.management.base import BaseCommand, CommandError

from queues.platforms.google_play.importer import PlayReviewsImporter, play_channel
from queues.platforms.importing import import_files


class Command(BaseCommand):
    help = (
        "Import Google Play Console review exports (reviews_<package>_<YYYYMM>.csv, UTF-16 or UTF-8). A new "
        "review becomes a conversation in its channel's working queue; a review with a newer Last Update time "
        "is a customer follow-up; a Developer Reply is recorded as a reply already sent. Each file is checked "
        "whole and imported all or nothing; importing it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--channel",
            metavar="ID_OR_ACCOUNT",
            help="Import every review into this Google Play channel (its id or package) whatever its Package Name.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report what would be imported; write nothing.")

    def handle(self, *, files, channel, dry_run, **options):
        if channel is not None:
            found = play_channel(channel)
            if found is None:
                raise CommandError(f"No Google Play channel has the id or package {channel!r}.")
            channel = found
        problems = import_files(
            lambda path, progress: PlayReviewsImporter(path, channel=channel, progress=progress),
            files,
            dry_run=dry_run,
            stdout=self.stdout,
            stderr=self.stderr,
        )
        if problems:
            raise CommandError("\n".join(problems))
