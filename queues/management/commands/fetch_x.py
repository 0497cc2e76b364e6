"""cron's door for X mentions; the work is in queues/platforms/x/fetch.py."""

from queues.models import Channel
from queues.platforms.fetching import FetchCommand
from queues.platforms.x.fetch import fetch_channel


class Command(FetchCommand):
    help = (
        "For each active X channel, read the posts that mention its account since the newest one the portal has "
        "(GET /2/users/{id}/mentions, the bearer_token of the credentials file), page by page, and take them in "
        "as import_x does: a new thread becomes a conversation, a later customer post a follow-up, a brand post a "
        "reply already sent. A rate limit stops the run (exit 0; the next run goes on); refused credentials exit "
        "non-zero."
    )
    platform = Channel.Platform.X
    lock_name = "fetch_x"

    def fetch(self, channel, secrets, *, dry_run):
        return fetch_channel(channel, secrets, dry_run=dry_run)
