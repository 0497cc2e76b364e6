"""cron's door for Google Play Console review exports; the work is in queues/platforms/google_play/importer.py."""

from django.core.management.base import CommandError

from queues.platforms.google_play.importer import PlayReviewsImporter, play_channel
from queues.platforms.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import Google Play Console review exports (reviews_<package>_<YYYYMM>.csv, UTF-16 or UTF-8). A new "
        "review becomes a conversation in its channel's working queue; a review with a newer Last Update time "
        "is a customer follow-up; a Developer Reply is recorded as a reply already sent. Each file is checked "
        "whole and imported all or nothing; importing it again changes nothing."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--channel",
            metavar="ID_OR_ACCOUNT",
            help="Import every review into this Google Play channel (its id or package) whatever its Package Name.",
        )

    def handle(self, *args, channel, **options):
        if channel is not None:
            found = play_channel(channel)
            if found is None:
                raise CommandError(f"No Google Play channel has the id or package {channel!r}.")
            channel = found
        super().handle(*args, channel=channel, **options)

    def importer(self, path, progress, *, channel, **options):
        return PlayReviewsImporter(path, channel=channel, progress=progress)
