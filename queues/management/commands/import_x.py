"""cron's door for X API v2 payloads; the work is in queues/platforms/x/importer.py."""

from queues.platforms.importing import ImportCommand
from queues.platforms.x.importer import XImporter


class Command(ImportCommand):
    help = (
        "Import X API v2 search or timeline payloads (JSON with data and includes.users). A new thread that "
        "replies to or mentions a channel's account becomes a conversation in that channel's working queue; "
        "a later customer post in a known thread is a follow-up; a post by a brand account is recorded as a "
        "reply already sent. Each file is checked whole and imported all or nothing; importing it again "
        "changes nothing."
    )

    def importer(self, path, progress, **options):
        return XImporter(path, progress=progress)
