"""Waking an idle worker: PostgreSQL's LISTEN/NOTIFY, so a new item is picked up at once without polling the table;
on SQLite (the laptop demo) the worker polls every second instead."""

import time

from django.db import connection

CHANNEL = "portal_outbox"


def notify() -> None:
    """Tell listening workers something is due. Call it on commit (transaction.on_commit): a worker woken before
    the commit would not see the new row."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])


class Waiter:
    """wait(seconds) returns early when notified (PostgreSQL), else after seconds."""

    def __init__(self):
        self.listening = False

    def listen(self) -> None:
        if connection.vendor != "postgresql":
            return
        connection.ensure_connection()
        connection.connection.execute(f"LISTEN {CHANNEL}")
        self.listening = True

    def wait(self, seconds: float) -> bool:
        """True when woken by a notification."""
        if not self.listening:
            time.sleep(seconds)
            return False
        if connection.connection is None or connection.connection.closed:
            self.listen()
        woken = False
        # Drain every notification that arrived meanwhile: one claim pass serves them all.
        for _notice in connection.connection.notifies(timeout=seconds, stop_after=1):
            woken = True
        if woken:
            for _notice in connection.connection.notifies(timeout=0, stop_after=1000):
                pass
        return woken
