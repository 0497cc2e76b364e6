"""What the importer tests share: fixture files, a scratch folder, running a command, and the checks that a
refused file names the file, the place and the problem and leaves the database as it was."""

import math
import shutil
import tempfile
from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase

from queues.models import Conversation, Event, Message

FIXTURES = Path(__file__).parent / "fixtures"


class Terminal(StringIO):
    """An output that says it is a terminal, as a person's shell is and cron's pipe is not."""

    def isatty(self):
        return True


def insert_queries(model, rows: int) -> int:
    """How many INSERTs Django needs to bulk-create rows of model: one on PostgreSQL; on SQLite it cuts
    them into batches that fit 999 parameters."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    return math.ceil(rows / connection.ops.bulk_batch_size(fields, [None] * rows))


class ImportTestCase(TestCase):
    command: str

    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.folder)

    def write(self, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = self.folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    def run_command(self, *args, stdout=None) -> tuple[str, str]:
        stdout, stderr = stdout or StringIO(), StringIO()
        call_command(self.command, *[str(arg) for arg in args], stdout=stdout, stderr=stderr)
        return stdout.getvalue(), stderr.getvalue()

    def snapshot(self):
        return (
            list(Conversation.objects.values().order_by("pk")),
            list(Message.objects.values().order_by("pk")),
            list(Event.objects.values().order_by("pk")),
        )

    def assertRefused(self, path, where: str, problem: str, *args) -> str:
        """Importing path fails naming the file, the place and the problem, and changes nothing."""
        before = self.snapshot()
        with self.assertRaises(CommandError) as raised:
            self.run_command(path, *args)
        message = str(raised.exception)
        self.assertIn(f"{path}: {where}: ", message)
        self.assertIn(problem, message)
        self.assertIn("nothing from this file was written", message)
        self.assertEqual(self.snapshot(), before)
        return message
