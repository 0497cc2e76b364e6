"""Trigram indexes for the free-text searches, on PostgreSQL only.

The conversation list's search (queues/filters.py) and the admin's (search_fields) are icontains lookups, which
Django writes on PostgreSQL as UPPER(column::text) LIKE UPPER('%term%'): a GIN trigram index on those UPPER(…)
expressions serves them, one bitmap scan per column. SQLite has no such index and gets none; the indexes are not in
the model state either, so SQLite's table rebuilds never try to recreate them.

CONCURRENTLY (hence atomic = False): building them on a table of millions takes minutes, and a plain CREATE INDEX
would block imports and agents' writes meanwhile. pg_trgm is a trusted extension: the database owner may create it.
"""

from django.db import migrations

from queues.operations import RunSQLOnPostgreSQL


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("queues", "0003_conversation_sort_rating_external_id_indexes"),
    ]

    operations = [
        RunSQLOnPostgreSQL(
            sql="CREATE EXTENSION IF NOT EXISTS pg_trgm",
            reverse_sql="DROP EXTENSION IF EXISTS pg_trgm",
        ),
        # One multicolumn GIN index: GIN searches any of its columns alike, so each OR'ed column is one bitmap scan.
        RunSQLOnPostgreSQL(
            sql="""
                CREATE INDEX CONCURRENTLY IF NOT EXISTS conv_search_trgm ON queues_conversation USING gin (
                    upper(author_name) gin_trgm_ops,
                    upper(author_handle) gin_trgm_ops,
                    upper(title) gin_trgm_ops,
                    upper(body) gin_trgm_ops
                )
            """,
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS conv_search_trgm",
        ),
    ]
