"""cron's door for catching up on Facebook comments; the work is in queues/platforms/facebook/fetch.py."""

from queues.models import Channel
from queues.platforms.facebook.fetch import fetch_channel
from queues.platforms.fetching import FetchCommand


class Command(FetchCommand):
    help = (
        "For each active Facebook channel, read the comments on the Page's recent posts through the Graph API "
        "(GET /{page-id}/feed, the page_access_token of the credentials file) and take in what the webhook "
        "missed: a comment on a post starts a conversation, a reply in its thread is a follow-up, the Page's own "
        "replies are replies already sent. What the portal has already is left as it is."
    )
    platform = Channel.Platform.FACEBOOK
    lock_name = "fetch_facebook"

    def fetch(self, channel, secrets, *, dry_run):
        return fetch_channel(channel, secrets, dry_run=dry_run)
