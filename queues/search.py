"""The free-text search's own table, and the database triggers that keep it.

The list's search and the admin's read one column, SearchText.text: a conversation's author, handle, title and
text, one per line, in capitals (UPPER(), so that a search compares without converting each row it reads: four
times faster where it must read rows one by one). On PostgreSQL a GIN trigram index serves it (migration 0006),
and matching() looks for a platform id first, through the unique (channel, external id) index. It is a table of its
own, not an index on the conversation's columns, because PostgreSQL writes a new entry in every index of a row
each time the row changes its status, queue or assignee: a trigram index on the conversation's text made every
agent action and every conversation the On Hold automation closes write a few dozen (with real reviews, a few
hundred) trigram entries again for text that had not changed. The text of a conversation is written when it
arrives and almost never after.

Triggers, not application code, keep it: conversations arrive through the services, both importers, the admin,
seed_demo and the benchmarks' plain SQL, and a conversation any of them forgot would be unfindable. The insert
trigger writes the row; the update trigger fires only for an UPDATE that sets one of the four columns (the
automation's does not) and only when one of them differs.

Migration 0006 installs them; ensure() installs them again after every `migrate` when they are missing (apps.py):
on SQLite, a later migration that alters the conversation table rebuilds it, and a rebuilt table has lost its
triggers.
"""

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Upper
from django.utils.text import smart_split, unescape_string_literal

# A platform id matches one conversation per channel.
_MAX_EXACT = 100

# Every word is one more condition over the search text: SQLite refuses a thousand ("Expression tree is too large")
# and PostgreSQL takes seconds over hundreds. People search with a few words.
MAX_WORDS = 20
MAX_CHARACTERS = 500


def words(term: str) -> list[str]:
    """The words of a search: "quoted words" stay together, as in the admin's own search."""
    found = []
    for word in smart_split(term.strip()):
        if word[0] in "\"'" and word[-1] == word[0] and len(word) > 1:
            word = unescape_string_literal(word)
        found.append(word)
    return found


TABLE = "queues_searchtext"
# The searched columns, one per line of SearchText.text: every statement below is written from this list.
COLUMNS = ("author_name", "author_handle", "title", "body")


def _text(vendor: str, row: str = "") -> str:
    """The SQL of a row's search text: its columns one per line, in capitals."""
    columns = [f"{row}{column}" for column in COLUMNS]
    if vendor == "postgresql":
        return f"upper(concat_ws(E'\\n', {', '.join(columns)}))"
    return f"upper({' || char(10) || '.join(columns)})"


def _changed(is_distinct: str) -> str:
    return " OR ".join(f"OLD.{column} {is_distinct} NEW.{column}" for column in COLUMNS)


def _upsert(vendor: str) -> str:
    return (
        f"INSERT INTO {TABLE} (conversation_id, text) VALUES (NEW.id, {_text(vendor, 'NEW.')})"  # noqa: S608 (no user input)
        " ON CONFLICT (conversation_id) DO UPDATE SET text = excluded.text"
    )


_UPDATE_OF = f"AFTER UPDATE OF {', '.join(COLUMNS)} ON queues_conversation"

_POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION queues_conversation_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_upsert("postgresql")};
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE OR REPLACE TRIGGER conversation_search_text_insert AFTER INSERT ON queues_conversation
    FOR EACH ROW EXECUTE FUNCTION queues_conversation_search_text()
    """,
    f"""
    CREATE OR REPLACE TRIGGER conversation_search_text_update {_UPDATE_OF}
    FOR EACH ROW WHEN ({_changed("IS DISTINCT FROM")}) EXECUTE FUNCTION queues_conversation_search_text()
    """,
]

_SQLITE = [
    f"""
    CREATE TRIGGER IF NOT EXISTS conversation_search_text_insert AFTER INSERT ON queues_conversation
    BEGIN {_upsert("sqlite")}; END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS conversation_search_text_update {_UPDATE_OF}
    WHEN {_changed("IS NOT")}
    BEGIN {_upsert("sqlite")}; END
    """,
]


def _backfill(vendor: str) -> str:
    """The rows of conversations that have none yet: those from before migration 0006, or from a SQLite table
    rebuilt without its triggers. (WHERE true: SQLite's parser needs it before ON CONFLICT in INSERT … SELECT.)"""
    return (
        f"INSERT INTO {TABLE} (conversation_id, text) SELECT id, {_text(vendor)} FROM queues_conversation"  # noqa: S608 (no user input)
        " WHERE true ON CONFLICT (conversation_id) DO NOTHING"
    )


def matching(conversations: QuerySet, term: str) -> QuerySet:
    """The conversations whose platform id is term; if none, those whose author, handle, title or text contain every
    word of it, in any case ("quoted words" stay together, as in the admin's own search).

    A platform id is looked up first, through the unique (channel, external id) index, one probe per channel: a
    trigram search for it would read the long lists of the trigrams every id of a platform shares ("gp:AOqpTO…" on
    Google Play, digits on X)."""
    from queues.models import Channel, Conversation

    term = term.strip()
    if term and not any(char.isspace() for char in term):
        exact = Conversation.objects.filter(channel__in=Channel.objects.all(), external_id=term)
        if ids := list(exact.values_list("pk", flat=True)[:_MAX_EXACT]):
            return conversations.filter(pk__in=ids)
    condition = Q()
    # The callers refuse longer searches with a message; this keeps the query bounded whoever calls it.
    for word in words(term)[:MAX_WORDS]:
        # Upper() of the word, not of each row: the column holds capitals already. UPPER('…') is folded into a
        # constant before planning, so the trigram index serves it.
        condition &= Q(search_text__text__contains=Upper(Value(word)))
    return conversations.filter(condition)


TRIGGERS = {"conversation_search_text_insert", "conversation_search_text_update"}


def install(connection: BaseDatabaseWrapper) -> None:
    """Create (or replace) the triggers and write the rows of conversations that have none."""
    statements = {"postgresql": _POSTGRESQL, "sqlite": _SQLITE}.get(connection.vendor)
    if statements is None:
        raise NotImplementedError(f"No search triggers for {connection.vendor}")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(_backfill(connection.vendor))


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Drop the triggers (migration 0006 backwards)."""
    with connection.cursor() as cursor:
        for name in sorted(TRIGGERS):
            cursor.execute(
                f"DROP TRIGGER IF EXISTS {name} ON queues_conversation"
                if connection.vendor == "postgresql"
                else f"DROP TRIGGER IF EXISTS {name}"
            )
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS queues_conversation_search_text()")


def ensure(connection: BaseDatabaseWrapper) -> None:
    """install() if the search table exists and a trigger is missing."""
    if TABLE in connection.introspection.table_names() and not triggers(connection) >= TRIGGERS:
        install(connection)


def triggers(connection: BaseDatabaseWrapper, table: str = "queues_conversation") -> set[str]:
    """The names of the triggers on a table (the conversation table unless told), as the database lists them."""
    query = {
        "postgresql": "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(query, [table])
        return {name for (name,) in cursor.fetchall()}
