"""What the fetchers share: a page from a platform's API goes through the importers' own checks and write path
(importing.Importer: all or nothing per page, the channel-row lock, the audit trail), one summary line per
channel, a run lock per platform, and the command that cron runs.

A fetcher reads a channel's new pages, newest first as the platforms list them, then writes them oldest first, so
a thread's first post becomes its conversation before its follow-ups arrive. Its cursor moves in the transaction
that writes the newest page: a run that stops half-way (a crash, a rate limit) reads those pages again next time,
and reading a page again changes nothing.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

import requests
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from queues import locks
from queues.models import Channel, FetchCursor
from queues.platforms import credentials, responses, transport
from queues.platforms.importing import ImportProblem, Summary

log = logging.getLogger(__name__)


class PageProblem(ImportProblem):
    """A page from a platform that cannot be taken in: names the channel, the page and the post."""

    def __init__(self, source, where: str, problem: str):
        place = f"{source}: {where}" if where else str(source)
        Exception.__init__(
            self,
            _("%(place)s: %(problem)s; nothing from this page was written.") % {"place": place, "problem": problem},
        )


class FetchError(Exception):
    """A channel could not be fetched (credentials refused, the platform unreachable, an answer not understood);
    the message names the channel. The command exits non-zero."""


class RateLimited(Exception):
    def __init__(self, until: datetime | None):
        super().__init__(until)
        self.until = until


@dataclass
class Outcome:
    """One channel's run: what it wrote (summed over its pages), the requests it made, and why it stopped early."""

    channel: Channel
    summary: Summary = field(default_factory=Summary)
    requests: int = 0
    note: str = ""

    def add(self, page: Summary) -> None:
        for name in ("new", "follow_ups", "replies", "unchanged", "skipped"):
            setattr(self.summary, name, getattr(self.summary, name) + getattr(page, name))

    def line(self, *, dry_run: bool) -> str:
        summary = self.summary
        parts = [
            ngettext("%(n)d new conversation", "%(n)d new conversations", summary.new) % {"n": summary.new},
            ngettext("%(n)d follow-up", "%(n)d follow-ups", summary.follow_ups) % {"n": summary.follow_ups},
            ngettext("%(n)d reply already sent", "%(n)d replies already sent", summary.replies)
            % {"n": summary.replies},
        ]
        text = ", ".join(parts)
        if not summary.changes:
            text = _("nothing new")
        if self.note:
            text = f"{text}; {self.note}"
        if dry_run:
            text = _("%(counts)s (dry run: nothing was written)") % {"counts": text}
        return f"{self.channel.account}: {text}"


def cursor_of(channel: Channel) -> FetchCursor:
    """The channel's cursor (read with the channel by FetchCommand.channels), or a new unsaved one."""
    try:
        return channel.fetch_cursor
    except FetchCursor.DoesNotExist:
        return FetchCursor(channel=channel)


def rate_limited_note(until: datetime | None) -> str:
    if until is None:
        return _("stopped: rate limited; the next run goes on")
    return _("stopped: rate limited until %(when)s UTC; the next run goes on") % {
        "when": until.strftime("%Y-%m-%d %H:%M:%S")
    }


def get_json(channel: Channel, url: str, *, outcome: Outcome, session=None, what: str = "", **kwargs):
    """GET url, count it, and return (response, its JSON object). Raises FetchError naming the channel when no
    answer came or the answer is not a JSON object; the caller reads the status."""
    try:
        response, _seconds = transport.call("GET", url, idempotent=True, session=session, **kwargs)
    except transport.DeliveryError as error:
        raise FetchError(
            _("%(channel)s: %(what)s: %(reason)s") % {"channel": channel.account, "what": what, "reason": error.reason}
        ) from None
    finally:
        outcome.requests += 1
    try:
        document = json.loads(response.text) if 200 <= response.status_code < 300 else responses.json_object(response)
    except (ValueError, RecursionError):
        raise FetchError(
            _("%(channel)s: %(what)s: the answer is not JSON (HTTP %(status)d: %(words)s)")
            % {
                "channel": channel.account,
                "what": what,
                "status": response.status_code,
                "words": responses.body_words(response),
            }
        ) from None
    if not isinstance(document, dict):
        raise FetchError(
            _("%(channel)s: %(what)s: the answer is not a JSON object") % {"channel": channel.account, "what": what}
        )
    return response, document


def refused(channel: Channel, response: requests.Response, words: str) -> FetchError:
    return FetchError(
        _(
            "%(channel)s: the platform refused the channel's credentials (HTTP %(status)d: %(words)s); an admin must "
            "check them in the credentials file."
        )
        % {"channel": channel.account, "status": response.status_code, "words": words}
    )


def unexpected(channel: Channel, response: requests.Response, words: str) -> FetchError:
    return FetchError(
        _("%(channel)s: the platform answered HTTP %(status)d: %(words)s")
        % {"channel": channel.account, "status": response.status_code, "words": words}
    )


def lock_key(name: str) -> int:
    """The advisory lock's bigint for a run's name; nothing else in the portal uses fetch: names."""
    return int.from_bytes(hashlib.sha256(f"fetch:{name}".encode()).digest()[:8], "big", signed=True)


def run_lock(name: str):
    """One fetch per platform at a time (queues/locks.py). On SQLite runs may overlap: each page is written under
    the platform's channel-row lock and reading a page twice changes nothing."""
    return locks.run_alone(lock_key(name))


class FetchCommand(BaseCommand):
    """cron's door: each active channel of the platform, one summary line each; non-zero exit when one failed."""

    platform: str
    lock_name: str

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Read the platform; write nothing.")
        parser.add_argument("--channel", metavar="ID_OR_ACCOUNT", help="Only this channel (its id or account).")

    def channels(self, choice: str | None) -> list[Channel]:
        channels = Channel.objects.filter(platform=self.platform, is_active=True).select_related("fetch_cursor")
        if choice:
            channels = channels.filter(**({"pk": int(choice)} if choice.isdigit() else {"account__iexact": choice}))
        found = list(channels.order_by("pk"))
        if choice and not found:
            raise CommandError(
                _("No active %(platform)s channel has the id or account %(choice)r.")
                % {"platform": Channel.Platform(self.platform).label, "choice": choice}
            )
        return found

    def fetch(self, channel: Channel, secrets: dict, *, dry_run: bool) -> Outcome:
        raise NotImplementedError

    def handle(self, *, dry_run, channel, **options):
        try:
            known = credentials.load_configured()
        except credentials.CredentialsError as error:
            raise CommandError(str(error)) from None
        with run_lock(self.lock_name) as acquired:
            if not acquired:
                self.stdout.write(
                    _("another %(command)s run is in progress; this one did nothing") % {"command": self.lock_name}
                )
                return
            problems = []
            for found in self.channels(channel):
                secrets = known.for_channel(found.platform, found.account)
                if secrets is None:
                    problems.append(
                        _("%(channel)s: the credentials file has no entry %(key)s")
                        % {"channel": found.account, "key": f'"{found.platform}:{found.account}"'}
                    )
                    continue
                try:
                    outcome = self.fetch(found, secrets, dry_run=dry_run)
                except (FetchError, ImportProblem) as error:
                    log.warning("%s", error)
                    problems.append(str(error))
                    continue
                self.stdout.write(outcome.line(dry_run=dry_run))
        if problems:
            raise CommandError("\n".join(problems))
