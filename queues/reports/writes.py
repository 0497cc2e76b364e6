"""Writing many rows to the rollup tables at once (queues/reports/rollup.py folds, rebuild.py rebuilds)."""

from collections import Counter
from datetime import datetime

from django.db import connection

from queues.models.reports import ReportConversation

FACT_FIELDS = [f.name for f in ReportConversation._meta.fields]  # conversation_id first


def adapted(model, objects, names: list[str]) -> list[list]:
    """The objects' values as the database takes them (SQLite wants dates and times as text)."""
    ops = connection.ops
    adapt = {"DateTimeField": ops.adapt_datetimefield_value, "DateField": ops.adapt_datefield_value}
    pairs = [(name, adapt.get(model._meta.get_field(name).get_internal_type())) for name in names]
    return [[getattr(o, name) if how is None else how(getattr(o, name)) for name, how in pairs] for o in objects]


def write_facts(facts) -> None:
    """Insert or replace the facts, many rows a statement (executemany and bulk_create cost ten times as much)."""
    columns = [ReportConversation._meta.get_field(name).column for name in FACT_FIELDS]
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns[1:])
    rows = adapted(ReportConversation, facts, FACT_FIELDS)
    insert(ReportConversation, columns, rows, f"(conversation_id) DO UPDATE SET {updates}")


def add_counts(model, key: tuple[str, ...], deltas: Counter) -> None:
    """count += delta for each key, inserting the keys not there yet (both databases speak ON CONFLICT)."""
    adapt = connection.ops.adapt_datetimefield_value
    rows = [[adapt(v) if isinstance(v, datetime) else v for v in (*k, n)] for k, n in deltas.items() if n]
    table = connection.ops.quote_name(model._meta.db_table)
    insert(model, [*key, "count"], rows, f"({', '.join(key)}) DO UPDATE SET count = {table}.count + excluded.count")


_PG_TYPES = {
    "BigIntegerField": "bigint",
    "IntegerField": "integer",
    "DateTimeField": "timestamptz",
    "DateField": "date",
    "BooleanField": "boolean",
    "CharField": "text",
}


def insert(model, columns: list[str], rows: list, on_conflict: str) -> None:
    """INSERT … ON CONFLICT … for many rows. On PostgreSQL one statement of one array per column (unnest): a
    statement with a placeholder per value spends longer being parsed than run. SQLite, in process, takes
    executemany. Table and column names come from the models, never from input."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            by_column = {f.column: f for f in model._meta.fields}
            arrays = ", ".join(f"%s::{_PG_TYPES[by_column[c].get_internal_type()]}[]" for c in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) ON CONFLICT {on_conflict}"  # noqa: E501, S608
            cursor.execute(sql, [list(values) for values in zip(*rows, strict=True)])
        else:
            values = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values}) ON CONFLICT {on_conflict}"  # noqa: S608
            cursor.executemany(sql, rows)
