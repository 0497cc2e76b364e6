"""What the importers share: reading a file in the encoding its byte order mark declares, problems that
name the file and the place, one transaction per file, chunked writes, the summary and the progress bar."""

import codecs
import collections
import contextlib
import io
import itertools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from queues.models import Channel

# Rows per chunk: one lookup query, one bulk INSERT per table. 500 keeps each IN list under SQLite's
# 999 parameters; bigger chunks gain little on PostgreSQL.
CHUNK_SIZE = 500

# Bytes that do not decode become this lone surrogate, which no valid UTF-8 or UTF-16 text can contain.
# Decoding never stops half-way, and the parser can name the line (record) that holds the bad bytes,
# where a plain UnicodeDecodeError only knows an offset in an 8 KB buffer.
UNDECODABLE = "\udcff"
_UNDECODABLE_HANDLER = "queues.importers.undecodable"


def _mark_undecodable(error: UnicodeDecodeError) -> tuple[str, int]:
    return UNDECODABLE, error.end


codecs.register_error(_UNDECODABLE_HANDLER, _mark_undecodable)

logger = logging.getLogger(__name__)

# What only a database would notice, checked before anything is written so that SQLite and PostgreSQL refuse the
# same files the same way: a NUL character (PostgreSQL refuses it in text and in JSON; SQLite stores it) and a lone
# surrogate (a JSON "\ud83d" escape: neither database driver can encode it).
_SURROGATE = re.compile("[\ud800-\udfff]")

# The times a file may hold. None before 1970; none more than a year ahead of our clock: the platforms' clocks
# write these files, and no clock error explains more. Every time in between can be drawn in every time zone
# (year 9999 in a zone east of UTC cannot).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=366)


def text_problem(value: str) -> str | None:
    """Why a database cannot store this text as it is; None when it can."""
    if "\x00" in value:
        return _("contains a NUL character (\\u0000), which cannot be stored")
    if match := _SURROGATE.search(value):
        return _("contains a lone surrogate (\\u%(code)04x), which is not a character") % {"code": ord(match[0])}
    return None


def time_problem(value: datetime) -> str | None:
    """Why a time (with its zone) cannot be a post's or a review's time; None when it can."""
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        return _("%(value)s is outside the years any time zone can hold") % {"value": value.isoformat()}
    if utc < EARLIEST:
        return _("%(value)s is before 1970") % {"value": value.isoformat()}
    if utc > timezone.now() + LATEST_AHEAD:
        return _("%(value)s is more than a year in the future") % {"value": value.isoformat()}
    return None


class ImportProblem(Exception):
    """A file that cannot be imported: names the file, where in it (a line, a JSON path) and what is wrong."""

    def __init__(self, path, where: str, problem: str):
        place = f"{path}: {where}" if where else str(path)
        super().__init__(
            _("%(place)s: %(problem)s; nothing from this file was written.") % {"place": place, "problem": problem}
        )


@contextlib.contextmanager
def open_text(path) -> Iterator[tuple[io.BufferedReader, io.TextIOWrapper, str]]:
    """The file's binary stream (for progress), its text and the encoding's name.

    UTF-16 when it starts with a UTF-16 byte order mark (Play Console exports do), UTF-8 otherwise, with or
    without a BOM. newline="" because the csv module handles line ends inside quoted fields itself."""
    with open(path, "rb") as raw:
        head = raw.read(2)
        raw.seek(0)
        if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            encoding, name = "utf-16", "UTF-16"
        else:
            encoding, name = "utf-8-sig", "UTF-8"
        yield raw, io.TextIOWrapper(raw, encoding=encoding, errors=_UNDECODABLE_HANDLER, newline=""), name


def chunked(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


@dataclass
class Summary:
    new: int = 0
    follow_ups: int = 0
    replies: int = 0
    unchanged: int = 0
    skipped: int = 0

    @property
    def changes(self) -> int:
        return self.new + self.follow_ups + self.replies


class Progress:
    """A bar on stderr while a file is read and written, only when the output is a terminal: under cron
    the summary line is all there is."""

    WIDTH = 30

    def __init__(self, stream=None):
        self.stream = stream
        self.label, self.shown = "", -1

    def start(self, label: str) -> None:
        self.label, self.shown = label, -1

    def update(self, done: int, total: int) -> None:
        if self.stream is None:
            return
        percent = 100 * done // max(total, 1)
        # Redraw only when the percentage moves: 100,000 rows would otherwise mean 100,000 writes.
        if percent == self.shown:
            return
        self.shown = percent
        filled = self.WIDTH * percent // 100
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {percent:3d}%", ending="")
        self.stream.flush()

    def clear(self) -> None:
        if self.stream is not None and self.shown >= 0:
            self.stream.write("\r\033[K", ending="")
            self.stream.flush()
        self.shown = -1


class Importer:
    """One file, all or nothing.

    records() parses and checks the file as a stream, yielding one record at a time. run() reads it twice:
    once to check all of it before anything is written, then to write it chunk by chunk inside one
    transaction, so a problem only found while writing rolls the whole file back too."""

    platform: str

    def __init__(self, path, *, progress: Progress | None = None):
        self.path = Path(path)
        self.progress = progress or Progress()
        # For the audit trail: the file a conversation or a sent reply came from.
        self.details = {"imported_from": self.path.name}

    def problem(self, where: str, problem: str) -> ImportProblem:
        return ImportProblem(self.path, where, problem)

    def records(self) -> Iterator:
        raise NotImplementedError

    def write(self, records: list, summary: Summary) -> None:
        raise NotImplementedError

    def finish(self, summary: Summary) -> None:
        """Runs after the last chunk, inside the transaction."""

    def replies_phrase(self, number: int) -> str:
        raise NotImplementedError

    def skipped_phrase(self, number: int) -> str:
        raise NotImplementedError

    def run(self, *, dry_run: bool = False) -> Summary:
        try:
            self.progress.start(_("checking %(file)s") % {"file": self.path.name})
            try:
                collections.deque(self.records(), maxlen=0)
            except OSError as error:
                raise self.problem("", _("cannot be read (%(error)s)") % {"error": error.strerror or error}) from error
            self.progress.clear()
            self.progress.start(_("importing %(file)s") % {"file": self.path.name})
            summary = Summary()
            with transaction.atomic():
                # Imports into one platform take turns: one that waited here then sees what the other wrote
                # and finds it unchanged. NO KEY, because inserting a conversation takes a key-share lock on
                # its channel row, and agents creating conversations must not wait for an import.
                list(Channel.objects.select_for_update(no_key=True).filter(platform=self.platform).values("pk"))
                for chunk in chunked(self.records(), CHUNK_SIZE):
                    self.write(chunk, summary)
                self.finish(summary)
                # A dry run does all the work and rolls it back: its counts are exactly a real run's, threads
                # started and reviews updated within the same file included.
                if dry_run:
                    transaction.set_rollback(True)
            return summary
        finally:
            self.progress.clear()

    def summary_line(self, summary: Summary, *, dry_run: bool = False) -> str:
        parts = [
            ngettext("%(n)d new conversation", "%(n)d new conversations", summary.new) % {"n": summary.new},
            ngettext("%(n)d follow-up", "%(n)d follow-ups", summary.follow_ups) % {"n": summary.follow_ups},
            self.replies_phrase(summary.replies),
            ngettext("%(n)d unchanged", "%(n)d unchanged", summary.unchanged) % {"n": summary.unchanged},
        ]
        if summary.skipped:
            parts.append(self.skipped_phrase(summary.skipped))
        text = ", ".join(parts)
        if not summary.changes:
            text = _("nothing new (%(counts)s)") % {"counts": text}
        if dry_run:
            text = _("%(counts)s (dry run: nothing was written)") % {"counts": text}
        return f"{self.path}: {text}"


def import_files(make_importer, paths, *, dry_run: bool, stdout, stderr) -> list[str]:
    """Import each file in its own transaction, printing one summary line per file imported.

    Returns the problems of the files that were not imported; the files before and after them stay imported."""
    progress = Progress(stderr if stdout.isatty() else None)
    problems = []
    for path in paths:
        try:
            importer = make_importer(path, progress)
            summary = importer.run(dry_run=dry_run)
        except ImportProblem as problem:
            problems.append(str(problem))
            continue
        except Exception as error:
            # A problem the checks did not foresee (a bug, the database refusing a value): this file's transaction
            # is rolled back, the traceback goes to the log, and the files after it are still imported. Under cron
            # one bad review must not block every later file every hour.
            logger.exception("importing %s failed", path)
            problems.append(
                _("%(file)s: could not be imported (%(error)s); nothing from this file was written.")
                % {"file": path, "error": f"{type(error).__name__}: {error}"[:500]}
            )
            continue
        stdout.write(importer.summary_line(summary, dry_run=dry_run))
    return problems


class ImportCommand(BaseCommand):
    """A management command that imports the files named on its command line, each all or nothing."""

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--dry-run", action="store_true", help="Report what would be imported; write nothing.")

    def importer(self, path, progress, **options) -> Importer:
        raise NotImplementedError

    def handle(self, *, files, dry_run, **options):
        problems = import_files(
            lambda path, progress: self.importer(path, progress, **options),
            files,
            dry_run=dry_run,
            stdout=self.stdout,
            stderr=self.stderr,
        )
        if problems:
            raise CommandError("\n".join(problems))
