"""full-text search over tasks (title, description) and projects (name, description)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000

PostgreSQL: a stored generated `search_vector` on `tasks` and `projects` (the title or name
weighted A, the description B; the `simple` configuration: lower case, no stemming, no stop
words) with a GIN index each. Adding the column computes it for every existing row (the
table is rewritten under an exclusive lock: plan the upgrade of a large database).

SQLite: one FTS5 table `search_fts` (title, body) for both kinds, and `search_docs`, which
gives each task or project (by id) its FTS row; triggers on `tasks` and `projects` keep both
in step in the same transaction as every write, deletes by cascade included. Existing rows
are indexed here. The characters U+0002 and U+0003 mark highlights in snippets, so they are
left out of what is indexed. A later migration that rebuilds `tasks` or `projects` on
SQLite (batch mode with a table copy) drops these triggers and must create them again.
"""

# The SQL below is built from this file's constants only.
# ruff: noqa: S608

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What each kind indexes: its table, its title column, its description column.
KINDS = (("task", "tasks", "title"), ("project", "projects", "name"))


def _vector(title: str) -> str:
    return (
        f"setweight(to_tsvector('simple'::regconfig, coalesce({title}, '')), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'B')"
    )


def _clean(value: str) -> str:
    """Text as indexed on SQLite: without the highlight markers."""
    return f"replace(replace(coalesce({value}, ''), char(2), ''), char(3), '')"


def _doc(item: str) -> str:
    return f"(SELECT doc FROM search_docs WHERE item_id = {item})"


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE TABLE search_docs ("
        "doc INTEGER PRIMARY KEY, "
        "kind VARCHAR(8) NOT NULL, "
        "item_id CHAR(32) NOT NULL, "
        "CONSTRAINT uq_search_docs_item_id UNIQUE (item_id))"
    )
    op.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "title, body, prefix='2 3', tokenize='unicode61 remove_diacritics 2')"
    )
    for kind, table, title in KINDS:
        op.execute(
            f"CREATE TRIGGER search_{table}_insert AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO search_docs (kind, item_id) VALUES ('{kind}', new.id); "
            f"INSERT INTO search_fts (rowid, title, body) VALUES ("
            f"{_doc('new.id')}, {_clean(f'new.{title}')}, {_clean('new.description')}); "
            "END"
        )
        op.execute(
            f"CREATE TRIGGER search_{table}_update AFTER UPDATE OF {title}, description "
            f"ON {table} BEGIN "
            f"UPDATE search_fts SET title = {_clean(f'new.{title}')}, "
            f"body = {_clean('new.description')} WHERE rowid = {_doc('new.id')}; "
            "END"
        )
        op.execute(
            f"CREATE TRIGGER search_{table}_delete AFTER DELETE ON {table} BEGIN "
            f"DELETE FROM search_fts WHERE rowid = {_doc('old.id')}; "
            "DELETE FROM search_docs WHERE item_id = old.id; "
            "END"
        )
        op.execute(f"INSERT INTO search_docs (kind, item_id) SELECT '{kind}', id FROM {table}")
        op.execute(
            "INSERT INTO search_fts (rowid, title, body) "
            f"SELECT search_docs.doc, {_clean(f'{table}.{title}')}, "
            f"{_clean(f'{table}.description')} "
            f"FROM {table} JOIN search_docs ON search_docs.item_id = {table}.id"
        )


def _sqlite_downgrade() -> None:
    for _, table, _ in KINDS:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER search_{table}_{event}")
    op.execute("DROP TABLE search_fts")
    op.execute("DROP TABLE search_docs")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _sqlite_upgrade()
        return
    for _, table, title in KINDS:
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({_vector(title)}) STORED"
        )
        op.execute(f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _sqlite_downgrade()
        return
    for _, table, _ in KINDS:
        op.execute(f"DROP INDEX ix_{table}_search_vector")
        op.execute(f"ALTER TABLE {table} DROP COLUMN search_vector")
