"""Bench: generate a Play Console reviews export (UTF-16, 100,000 rows by default) in a temp folder, import it
into the database DATABASE_URL points at, import it again (nothing new: the idempotent pass), and print
rows, seconds, rows/s and peak memory for each pass.

    .ci/with-postgres .venv/bin/python bench/import_play.py [--rows N] [--tracemalloc]

Peak RSS is the process's high-water mark (ru_maxrss), taken with tracemalloc off because tracing every
allocation slows Python code severalfold; --tracemalloc adds the traced peak of Python allocations and
the time is then not comparable. Review ids carry a random run token, so runs can share a database.
"""

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

TEXTS = [
    "Crashes when I open a new tab 😡",
    "Fast and light.\nBut sync loses my bookmarks,\nsometimes.",
    "動作が速くて気に入っています。",
    "المتصفح جيد لكن الإضافات لا تعمل.",
    "",
]


def generate(path: Path, rows: int, token: str) -> None:
    """Written row by row, so the bench's own memory stays out of the import's peak."""
    from queues.platforms.google_play.importer import EXPORT_HEADER

    start = 1_790_000_000_000
    with open(path, "w", encoding="utf-16", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(EXPORT_HEADER)
        for n in range(rows):
            millis = start + n * 1_000
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(millis // 1000))
            replied = n % 10 == 0
            writer.writerow(
                [
                    "org.mozilla.firefox",
                    "2016030151",
                    "145.0.2",
                    "en",
                    "a52q",
                    stamp,
                    millis,
                    stamp,
                    millis,
                    n % 5 + 1,
                    "A title" if n % 3 == 0 else "",
                    f"{TEXTS[n % len(TEXTS)]} (bench review {n})",
                    stamp if replied else "",
                    millis + 60_000 if replied else "",
                    "Thanks for the report! We are looking into it." if replied else "",
                    "https://play.google.com/console/developers/1/app/2/user-feedback/review-details"
                    f"?reviewId=gp%3AAOqpTOBench{token}{n:07d}&corpus=PUBLIC_REVIEWS",
                ]
            )


def max_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes; this bench runs on Linux like CI).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_import(path: Path, *, trace: bool) -> tuple[float, float | None, str]:
    from django.core.management import call_command

    out = StringIO()
    if trace:
        tracemalloc.start()
    began = time.perf_counter()
    call_command("import_play_reviews", str(path), stdout=out)
    seconds = time.perf_counter() - began
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return seconds, peak, out.getvalue().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL (e.g. run under .ci/with-postgres): the bench writes rows into that database.")

    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reviews_org.mozilla.firefox_202611.csv"
        generate(path, args.rows, uuid.uuid4().hex[:8])
        size = path.stat().st_size / 2**20
        rss = max_rss_mib()
        print(
            f"{connection.vendor}, {args.rows:,} rows, {size:.1f} MiB UTF-16 file, peak RSS before import {rss:.0f} MiB"
        )
        results = []
        for name in ("first import", "same file again"):
            seconds, peak, summary = timed_import(path, trace=args.tracemalloc)
            results.append((name, seconds, peak, max_rss_mib()))
            print(f"  {summary}")

    traced = "tracemalloc peak MiB" if args.tracemalloc else ""
    print()
    print(f"| pass            | rows    | seconds | rows/s  | peak RSS MiB |{f' {traced} |' if traced else ''}")
    print(
        f"|-----------------|---------|---------|---------|--------------|{'----------------------|' if traced else ''}"
    )
    for name, seconds, peak, rss in results:
        extra = f" {peak:20.1f} |" if traced else ""
        print(f"| {name:<15} | {args.rows:>7,} | {seconds:7.1f} | {args.rows / seconds:7,.0f} | {rss:12.0f} |{extra}")


if __name__ == "__main__":
    main()
