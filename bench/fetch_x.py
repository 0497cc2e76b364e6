"""Bench: fetch_x reading 10 pages of 100 X posts from a local server speaking the mentions timeline, into the
database DATABASE_URL points at; then the run after it, which finds nothing new; then the same 10 pages read again
(a cursor lost: every post already there). Prints posts, requests, seconds, posts/s and queries per post.

    .ci/with-postgres .venv/bin/python bench/fetch_x.py [--pages 10] [--latency 0.0]

Of the posts, four in five start a thread and one in five follows up an earlier thread of the same run. Post ids
carry a random run token, so runs can share a database. --latency adds that many seconds to each answer.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

from tests.feed_servers import X_BEARER, FeedServer  # noqa: I001 - needs the path above
from tests.platform_servers import X_SECRETS

BRAND = {"id": "2000000000000000001", "username": "FirefoxSupport", "name": "Firefox Support"}
TEXTS = [
    "@FirefoxSupport sync lost my bookmarks again &amp; I need them today",
    "@FirefoxSupport 新しいタブが開きません 😩",
    "@FirefoxSupport المتصفح يتوقف عند فتح الإعدادات",
    "@FirefoxSupport is there a way to keep the old toolbar layout?",
]


def posts(count: int, run: int) -> tuple[list[dict], list[dict]]:
    people = [
        {"id": f"16{run:06d}{n:011d}", "username": f"bench_{run}_{n}", "name": f"Bench Person {n}"} for n in range(300)
    ]
    start = datetime(2026, 11, 20, tzinfo=UTC)
    found, roots = [], []
    chance = random.Random(run)
    for n in range(count):
        post_id = f"19{run:06d}{n:011d}"
        author = people[n % len(people)]
        post = {
            "id": post_id,
            "text": TEXTS[n % len(TEXTS)],
            "author_id": author["id"],
            "created_at": (start + timedelta(seconds=n)).isoformat().replace("+00:00", ".000Z"),
            "lang": "en",
            "edit_history_tweet_ids": [post_id],
            "entities": {"mentions": [{"start": 0, "end": 15, "username": BRAND["username"], "id": BRAND["id"]}]},
            "conversation_id": post_id,
        }
        if roots and n % 5 == 4:
            root = chance.choice(roots)
            post["conversation_id"] = root
            post["in_reply_to_user_id"] = BRAND["id"]
            post["referenced_tweets"] = [{"type": "replied_to", "id": root}]
        else:
            roots.append(post_id)
        found.append(post)
    return found, people


def timed(label: str, server: FeedServer, channel_id: int) -> tuple:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = len(server.get_requests())
    out = StringIO()
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        call_command("fetch_x", "--channel", str(channel_id), stdout=out)
        seconds = time.perf_counter() - began
    return label, len(server.get_requests()) - before, seconds, len(queries), out.getvalue().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL (e.g. run under .ci/with-postgres): the bench writes rows into that database.")

    with FeedServer(latency=args.latency) as server, tempfile.TemporaryDirectory() as folder:
        credentials = Path(folder) / "credentials.json"
        credentials.write_text(json.dumps({"x:@FirefoxSupport": {**X_SECRETS, "bearer_token": X_BEARER}}))
        os.environ["PLATFORM_CREDENTIALS_FILE"] = str(credentials)
        os.environ["X_API_URL"] = server.url

        import django
        from django.core.management import call_command
        from django.db import connection

        django.setup()
        call_command("migrate", verbosity=0)
        from queues.models import Channel, FetchCursor

        channel = Channel.objects.get(platform="x", account="@FirefoxSupport")
        FetchCursor.objects.filter(channel=channel).delete()
        server.add_x_user(BRAND)
        count = args.pages * 100
        made, people = posts(count, random.randrange(10**6))
        server.add_x_posts(made, people)

        results = [timed(f"{args.pages} new pages", server, channel.pk)]
        results.append(timed("nothing new", server, channel.pk))
        FetchCursor.objects.filter(channel=channel).update(since_id="")
        results.append(timed(f"{args.pages} pages again", server, channel.pk))

    print(f"{connection.vendor}, {count:,} posts in {args.pages} pages of 100, answer latency {args.latency} s")
    for *_rest, summary in results:
        print(f"  {summary}")
    print()
    print("| run              | posts | requests | seconds | posts/s | queries | queries/post |")
    print("|------------------|-------|----------|---------|---------|---------|--------------|")
    for label, requests, seconds, queries, _summary in results:
        posts_read = 0 if label == "nothing new" else count
        rate = f"{posts_read / seconds:7,.0f}" if posts_read else "      -"
        per_post = f"{queries / posts_read:12.2f}" if posts_read else "           -"
        print(
            f"| {label:<16} | {posts_read:>5} | {requests:>8} | {seconds:7.2f} | {rate} | {queries:>7} | {per_post} |"
        )


if __name__ == "__main__":
    main()
