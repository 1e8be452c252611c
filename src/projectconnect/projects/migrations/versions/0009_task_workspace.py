"""tasks carry their workspace; search starts from the caller's workspaces in its GIN index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000

`tasks.workspace_id` is the workspace of the task's project, copied when the task is made (a
project never changes workspace). On PostgreSQL the search indexes of `tasks` and
`projects` lead with it (`btree_gin`: one GIN index over the workspace and the search
vector), so a search reads only the matches inside the caller's workspaces, however many
other workspaces hold the same words. Filling the column rewrites `tasks`: plan the upgrade
of a large database.

SQLite searches through FTS5 and only gains the column. Making it NOT NULL rebuilds `tasks`
(batch mode), which drops the search triggers of migration 0008: they are made again here,
as that migration made them.
"""

# The SQL below is built from this file's constants only.
# ruff: noqa: S608

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("tasks", "projects")


def _clean(value: str) -> str:
    return f"replace(replace(coalesce({value}, ''), char(2), ''), char(3), '')"


def _doc(item: str) -> str:
    return f"(SELECT doc FROM search_docs WHERE item_id = {item})"


def _sqlite_task_triggers() -> None:
    """The search triggers on `tasks`, exactly as migration 0008 made them."""
    op.execute(
        "CREATE TRIGGER search_tasks_insert AFTER INSERT ON tasks BEGIN "
        "INSERT INTO search_docs (kind, item_id) VALUES ('task', new.id); "
        "INSERT INTO search_fts (rowid, title, body) VALUES ("
        f"{_doc('new.id')}, {_clean('new.title')}, {_clean('new.description')}); "
        "END"
    )
    op.execute(
        "CREATE TRIGGER search_tasks_update AFTER UPDATE OF title, description ON tasks BEGIN "
        f"UPDATE search_fts SET title = {_clean('new.title')}, "
        f"body = {_clean('new.description')} WHERE rowid = {_doc('new.id')}; "
        "END"
    )
    op.execute(
        "CREATE TRIGGER search_tasks_delete AFTER DELETE ON tasks BEGIN "
        f"DELETE FROM search_fts WHERE rowid = {_doc('old.id')}; "
        "DELETE FROM search_docs WHERE item_id = old.id; "
        "END"
    )


def _sqlite_rebuild_tasks(change: str) -> None:
    with op.batch_alter_table("tasks", recreate="always") as batch_op:
        if change == "not null":
            batch_op.alter_column("workspace_id", existing_type=sa.Uuid(), nullable=False)
        else:
            batch_op.drop_column("workspace_id")
    _sqlite_task_triggers()


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column("tasks", sa.Column("workspace_id", sa.Uuid(), nullable=True))
    op.execute(
        "UPDATE tasks SET workspace_id = "
        "(SELECT projects.workspace_id FROM projects WHERE projects.id = tasks.project_id)"
    )
    if not postgres:
        _sqlite_rebuild_tasks("not null")
        return
    op.alter_column("tasks", "workspace_id", existing_type=sa.Uuid(), nullable=False)
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    for table in TABLES:
        op.execute(f"DROP INDEX ix_{table}_search_vector")
        op.execute(
            f"CREATE INDEX ix_{table}_workspace_search ON {table} "
            "USING gin (workspace_id, search_vector)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _sqlite_rebuild_tasks("drop")
        return
    for table in TABLES:
        op.execute(f"DROP INDEX ix_{table}_workspace_search")
        op.execute(f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)")
    op.execute("DROP EXTENSION IF EXISTS btree_gin")
    op.drop_column("tasks", "workspace_id")
