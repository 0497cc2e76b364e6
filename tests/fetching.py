"""What the fetcher tests share: one local server speaking the platforms' reading side, a credentials file
naming its secrets, the settings pointing at both, and running a fetch command."""

import json
import shutil
import tempfile
from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase, override_settings

from queues.models import Conversation, Event, FetchCursor, Message
from queues.platforms.google_play import client as play_client
from tests.feed_servers import X_BEARER, FeedServer
from tests.platform_servers import FACEBOOK_SECRETS, X_SECRETS

# On PostgreSQL every run takes and gives back its advisory lock: two more queries.
RUN_LOCK_QUERIES = 2 if connection.vendor == "postgresql" else 0


class FetchTestCase(TestCase):
    command: str

    @classmethod
    def setUpClass(cls):
        cls.server = FeedServer().start()
        cls.folder = Path(tempfile.mkdtemp())
        cls.service_account = cls.server.service_account(cls.folder / "play-sa.json")
        cls.credentials_file = cls.folder / "credentials.json"
        cls.write_credentials(cls.default_credentials())
        cls.settings_override = override_settings(
            PLATFORM_CREDENTIALS_FILE=str(cls.credentials_file),
            X_API_URL=cls.server.url,
            GOOGLE_PLAY_API_URL=cls.server.url,
            FACEBOOK_GRAPH_URL=cls.server.url,
        )
        cls.settings_override.enable()
        # A class cleanup, not tearDownClass: cleanups run last-in first-out, after tearDownClass, so a subclass's
        # own @override_settings (undone by its cleanup) is undone before this one, not after it.
        cls.addClassCleanup(cls.settings_override.disable)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.server.stop()
        shutil.rmtree(cls.folder)
        play_client.forget_tokens()

    @classmethod
    def default_credentials(cls) -> dict:
        entries = {
            f"x:{account}": {**X_SECRETS, "bearer_token": X_BEARER} for account in ("@FirefoxSupport", "@Firefox")
        }
        entries |= {
            f"google_play:{package}": {"service_account_file": cls.service_account}
            for package in ("org.mozilla.firefox", "org.mozilla.focus", "org.mozilla.klar")
        }
        entries["facebook:Firefox"] = dict(FACEBOOK_SECRETS)
        return entries

    @classmethod
    def write_credentials(cls, entries: dict) -> None:
        cls.credentials_file.write_text(json.dumps(entries), encoding="utf-8")

    def setUp(self):
        with self.server._lock:
            self.server.gets.clear()
            for queued in self.server._queued.values():
                queued.clear()
        self.addCleanup(self.write_credentials, self.default_credentials())

    def run_command(self, *args) -> str:
        stdout, stderr = StringIO(), StringIO()
        call_command(self.command, *[str(arg) for arg in args], stdout=stdout, stderr=stderr)
        return stdout.getvalue()

    def run_failing(self, *args) -> str:
        with self.assertRaises(CommandError) as raised:
            self.run_command(*args)
        return str(raised.exception)

    def snapshot(self):
        return (
            list(Conversation.objects.values().order_by("pk")),
            list(Message.objects.values().order_by("pk")),
            list(Event.objects.values().order_by("pk")),
            # Where each fetch stands (an X account's id, looked up once, is not something a page wrote).
            list(
                FetchCursor.objects.exclude(since_id="", page_token="")
                .values("channel_id", "since_id", "page_token")
                .order_by("pk")
            ),
        )
