"""`rollup_reports --check`: write every rollup table again from every event, inside a transaction that is rolled
back, and compare with what the incremental folds wrote."""

from django.db import connection, transaction

from queues.models.reports import (
    AgentWeek,
    EscalationClose,
    FirstResponseWeek,
    OpenByEntryDay,
    OpenByEntryHour,
    OpenTotal,
    ReportConversation,
    ReportState,
    WeeklyCount,
)
from queues.reports import rebuild, rollup

# Count rows that fell back to zero are the same as no row.
_COUNTED = (WeeklyCount, AgentWeek, OpenByEntryDay, OpenByEntryHour, OpenTotal)
_TABLES = (
    ReportConversation,
    WeeklyCount,
    AgentWeek,
    OpenByEntryDay,
    OpenByEntryHour,
    OpenTotal,
    FirstResponseWeek,
    EscalationClose,
)


def _select(model) -> str:
    columns = ", ".join(
        connection.ops.quote_name(f.column) for f in model._meta.fields if not (f.primary_key and f.name == "id")
    )
    where = " WHERE count <> 0" if model in _COUNTED else ""
    return f"SELECT {columns} FROM {connection.ops.quote_name(model._meta.db_table)}{where}"  # noqa: S608


class _Rollback(Exception):
    pass


def check() -> tuple[int, dict[str, int]]:
    """Returns the watermark compared up to and, per table, how many rows differ (in either direction)."""
    rollup.fold()
    differences = {}
    try:
        with transaction.atomic():
            upto = ReportState.objects.select_for_update().get_or_create(pk=1)[0].watermark
            with connection.cursor() as cursor:
                for model in _TABLES:
                    cursor.execute(f"CREATE TEMP TABLE check_{model._meta.model_name} AS {_select(model)}")
                rebuild.rebuild(upto=upto)
                for model in _TABLES:
                    snapshot, live = f"check_{model._meta.model_name}", _select(model)
                    cursor.execute(
                        f"SELECT (SELECT count(*) FROM ({live} EXCEPT SELECT * FROM {snapshot}) AS a)"  # noqa: S608
                        f" + (SELECT count(*) FROM (SELECT * FROM {snapshot} EXCEPT {live}) AS b)"
                    )
                    differences[model._meta.object_name] = cursor.fetchone()[0]
            raise _Rollback
    except _Rollback:
        pass
    return upto, differences
