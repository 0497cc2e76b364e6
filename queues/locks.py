"""One run at a time: a session-level advisory lock on PostgreSQL, so that a long run (the On Hold automation, a
fetcher) commits batch by batch without holding row locks for the whole run. A second run gets False and leaves.
SQLite has no such lock: there runs may overlap, and each caller's own row locks and guarded writes keep them
correct."""

import contextlib
from collections.abc import Iterator

from django.db import connection


@contextlib.contextmanager
def run_alone(key: int) -> Iterator[bool]:
    """Whether this run holds the advisory lock named by the bigint key (always True on SQLite)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
