"""cron's door for the Google Play reviews API; the work is in queues/platforms/google_play/fetch.py."""

from queues.models import Channel
from queues.platforms.fetching import FetchCommand
from queues.platforms.google_play.fetch import fetch_channel


class Command(FetchCommand):
    help = (
        "For each active Google Play channel, read the app's reviews modified since the newest one the portal has "
        "(GET …/applications/{package}/reviews with the channel's service account), page by page, and take them "
        "in as import_play_reviews does: a new review becomes a conversation, a newer lastModified a follow-up, "
        "the developer comment a reply already sent. The API lists only about the last week: the monthly export "
        "stays the way to backfill."
    )
    platform = Channel.Platform.GOOGLE_PLAY
    lock_name = "fetch_play_reviews"

    def fetch(self, channel, secrets, *, dry_run):
        return fetch_channel(channel, secrets, dry_run=dry_run)
