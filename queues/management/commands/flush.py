"""Django's `flush`, allowed to empty the append-only tables (queues/history.py).

Emptying the whole database is an explicit, operator-only act (and what a transactional test does after each test).
On PostgreSQL flush uses TRUNCATE, which row triggers do not see; on SQLite it deletes rows, which they would refuse.
"""

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from queues import history


class Command(flush.Command):
    def handle(self, **options):
        with history.rewritable(connections[options.get("database") or DEFAULT_DB_ALIAS]):
            return super().handle(**options)
