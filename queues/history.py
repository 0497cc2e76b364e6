"""The audit trail is append-only in the database itself, not only in Event.save() and Event.delete().

Triggers on PostgreSQL and SQLite refuse:
- UPDATE and DELETE of an event, except the one UPDATE deleting a user makes (actor set to NULL, nothing else
  changed: Event.actor is on_delete=SET_NULL, and a user's work outlives their account);
- UPDATE of a message's or a note's text once written (their other columns may change: a reply's delivery state,
  and what the outbox records about an attempt), and DELETE of either.

A refused statement raises django.db.IntegrityError ("... refused: the audit trail is append-only"), for
QuerySet.update() and .delete() and for raw SQL alike. They protect against code and people going through the
portal's own connection, not against the database owner, who may drop a trigger (or TRUNCATE, which row triggers do
not see).

A migration that must rewrite history says so explicitly, inside its own transaction:

    with history.rewritable(schema_editor.connection):
        ...

which on PostgreSQL is `SET LOCAL queues.rewrite_history = 'on'` (gone at the end of the transaction) and on SQLite
a flag on that one connection, read by the function queues_rewrite_history() that the portal registers on each of
its connections. A SQLite connection without that function (the sqlite3 shell) cannot write these rows at all.

Installed by migration 0008 and put back after every `migrate` by ensure() (apps.py), like the search triggers:
on SQLite a migration that alters one of these tables rebuilds it without its triggers.
"""

from contextlib import contextmanager

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from queues import search

MESSAGE = "refused: the audit trail is append-only"
# SQLite: the per-connection switch rewritable() turns on.
_FLAG = "queues_rewrite_history"
_SETTING = "queues.rewrite_history"

# (trigger name, table, event, condition under which it refuses); the condition is SQL common to both databases.
_TRIGGERS = [
    ("history_event_update", "queues_event", "UPDATE", None),  # condition written per database below
    ("history_event_delete", "queues_event", "DELETE", "true"),
    ("history_message_update", "queues_message", "UPDATE OF body", "OLD.body <> NEW.body"),
    ("history_message_delete", "queues_message", "DELETE", "true"),
    ("history_note_update", "queues_note", "UPDATE OF body", "OLD.body <> NEW.body"),
    ("history_note_delete", "queues_note", "DELETE", "true"),
]
TRIGGERS = {name for name, *_ in _TRIGGERS}
TABLES = sorted({table for _, table, *_ in _TRIGGERS})


def _event_update_condition(connection: BaseDatabaseWrapper) -> str:
    """Refuse unless the only change is actor_id becoming NULL. PostgreSQL compares whole rows (so a column added
    later is covered by itself); SQLite compares the columns the table has when the trigger is installed."""
    if connection.vendor == "postgresql":
        return "NOT (NEW.actor_id IS NULL AND to_jsonb(NEW) - 'actor_id' = to_jsonb(OLD) - 'actor_id')"
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, "queues_event")]
    same = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in columns if c != "actor_id")
    return f"NOT (NEW.actor_id IS NULL AND {same})"


def _statements(connection: BaseDatabaseWrapper) -> list[str]:
    statements = []
    if connection.vendor == "postgresql":
        statements.append(
            f"""
            CREATE OR REPLACE FUNCTION queues_refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF coalesce(current_setting('{_SETTING}', true), '') = 'on' THEN
                    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
                END IF;
                RAISE EXCEPTION '% of a row of % {MESSAGE}', TG_OP, TG_TABLE_NAME
                    USING ERRCODE = 'restrict_violation';
            END
            $$
            """
        )
    for name, table, event, condition in _TRIGGERS:
        condition = condition or _event_update_condition(connection)
        if connection.vendor == "postgresql":
            statements.append(
                f"CREATE OR REPLACE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW"
                f" WHEN ({condition}) EXECUTE FUNCTION queues_refuse_history_change()"
            )
        else:
            action = event.split()[0]
            statements += [
                f"DROP TRIGGER IF EXISTS {name}",
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW"
                f" WHEN ({condition}) AND NOT {_FLAG}()"
                f" BEGIN SELECT RAISE(ABORT, '{action} of a row of {table} {MESSAGE}'); END",
            ]
    return statements


def install(connection: BaseDatabaseWrapper) -> None:
    """Create (or replace) the triggers."""
    if connection.vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"No append-only triggers for {connection.vendor}")
    with connection.cursor() as cursor:
        for statement in _statements(connection):
            cursor.execute(statement)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Drop the triggers (migration 0008 backwards)."""
    with connection.cursor() as cursor:
        for name, table, *_ in _TRIGGERS:
            on = f" ON {table}" if connection.vendor == "postgresql" else ""
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}{on}")
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS queues_refuse_history_change()")


def ensure(connection: BaseDatabaseWrapper) -> None:
    """Put the triggers back after a migrate. SQLite always gets them afresh (cheap), so that the event trigger's
    list of columns follows a column a migration added; PostgreSQL only when one is missing."""
    if "queues_event" not in connection.introspection.table_names():
        return
    installed = set().union(*(search.triggers(connection, table) for table in TABLES))
    if connection.vendor == "sqlite" or not installed >= TRIGGERS:
        install(connection)


@contextmanager
def rewritable(connection: BaseDatabaseWrapper):
    """Let this connection change or delete history until the block ends. Say why wherever you use it."""
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL {_SETTING} = 'on'")
            yield
            # Inside an outer transaction, SET LOCAL outlives this savepoint's release (a rollback undoes it).
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL {_SETTING} = 'off'")
            return
        setattr(connection, _FLAG, True)
        try:
            yield
        finally:
            setattr(connection, _FLAG, False)


def register_sqlite_function(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    """connection_created: give each SQLite connection the switch its triggers read."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            _FLAG, 0, lambda: bool(getattr(connection, _FLAG, False)), deterministic=False
        )
