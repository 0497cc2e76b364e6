"""The free-text search moves to a table of its own, kept by triggers (queues/search.py says why).

Non-atomic, for CREATE/DROP INDEX CONCURRENTLY on PostgreSQL: the trigram index is built without blocking imports
and agents' writes. The triggers come before the backfill, so a conversation that arrives meanwhile is written by
one or the other (the backfill skips rows that exist).
"""

import django.db.models.deletion
from django.db import migrations, models

from queues import search
from queues.operations import RunSQLOnPostgreSQL


def install(apps, schema_editor):
    search.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    search.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("queues", "0005_drop_indexes_covered_by_composites"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchText",
            fields=[
                (
                    "conversation",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_text",
                        serialize=False,
                        to="queues.conversation",
                    ),
                ),
                ("text", models.TextField()),
            ],
        ),
        migrations.RunPython(install, uninstall),
        RunSQLOnPostgreSQL(
            sql="CREATE INDEX CONCURRENTLY IF NOT EXISTS search_text_trgm"
            " ON queues_searchtext USING gin (text gin_trgm_ops)",
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS search_text_trgm",
        ),
        RunSQLOnPostgreSQL(
            sql="DROP INDEX CONCURRENTLY IF EXISTS conv_search_trgm",
            reverse_sql="""
                CREATE INDEX CONCURRENTLY IF NOT EXISTS conv_search_trgm ON queues_conversation USING gin (
                    upper(author_name) gin_trgm_ops,
                    upper(author_handle) gin_trgm_ops,
                    upper(title) gin_trgm_ops,
                    upper(body) gin_trgm_ops
                )
            """,
        ),
    ]
