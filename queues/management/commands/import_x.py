"""cron's door for X API v2 payloads; the work is in queues/platforms/x/importer.py."""

from django.core.management.base import BaseCommand, CommandError

from queues.platforms.importing import import_files
from queues.platforms.x.importer import XImporter


class Command(BaseCommand):
    help = (
        "Import X API v2 search or timeline payloads (JSON with data and includes.users). A new thread that "
        "replies to or mentions a channel's account becomes a conversation in that channel's working queue; "
        "a later customer post in a known thread is a follow-up; a post by a brand account is recorded as a "
        "reply already sent. Each file is checked whole and imported all or nothing; importing it again "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--dry-run", action="store_true", help="Report what would be imported; write nothing.")

    def handle(self, *, files, dry_run, **options):
        problems = import_files(
            lambda path, progress: XImporter(path, progress=progress),
            files,
            dry_run=dry_run,
            stdout=self.stdout,
            stderr=self.stderr,
        )
        if problems:
            raise CommandError("\n".join(problems))
