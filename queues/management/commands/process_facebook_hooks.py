"""cron's door for the Facebook webhook's stored deliveries; the work is in queues/platforms/facebook/webhook.py."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from queues.platforms import credentials
from queues.platforms.facebook.webhook import process_deliveries
from queues.platforms.fetching import run_lock


class Command(BaseCommand):
    help = (
        "Take in the Facebook webhook deliveries stored by /hooks/facebook/ and not worked yet, oldest first, each "
        "all or nothing: a comment on the Page's post starts a conversation, a reply in its thread is a follow-up, "
        "the Page's own replies are replies already sent. One line per channel; a delivery that cannot be taken "
        "in is marked with its problem and makes the command exit non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what would be taken in; write nothing.")

    def handle(self, *, dry_run, **options):
        try:
            known = credentials.load_configured()
        except credentials.CredentialsError as error:
            raise CommandError(str(error)) from None
        with run_lock("process_facebook_hooks") as acquired:
            if not acquired:
                self.stdout.write(_("another process_facebook_hooks run is in progress; this one did nothing"))
                return
            outcomes, problems = process_deliveries(known, dry_run=dry_run)
        for outcome in outcomes.values():
            self.stdout.write(outcome.line(dry_run=dry_run))
        if not outcomes and not problems:
            self.stdout.write(_("no webhook deliveries to take in"))
        if problems:
            raise CommandError("\n".join(problems))
