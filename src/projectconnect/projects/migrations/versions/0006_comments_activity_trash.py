"""comments, the activity log and the trash

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000

Tasks gain a comment counter and, with projects, `deleted_at`/`deleted_by` (the trash);
`task_comments` and `activity` are new. Existing tasks have no comments and nothing is in
the trash, so no row needs more than the defaults.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deleted_by", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_projects_workspace_deleted", ["workspace_id", "deleted_at", "id"])
        batch_op.create_index("ix_projects_deleted", ["deleted_at"])
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.add_column(
            sa.Column("comment_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deleted_by", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_tasks_project_deleted", ["project_id", "deleted_at", "id"])
        batch_op.create_index("ix_tasks_deleted", ["deleted_at"])
    # The default only filled the existing rows: the models set the count themselves.
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.alter_column("comment_count", existing_type=sa.Integer(), server_default=None)

    op.create_table(
        "task_comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_comments_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_comments")),
    )
    op.create_index(
        "ix_task_comments_task_created", "task_comments", ["task_id", "created_at", "id"]
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=True),
        sa.Column("before", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("after", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_activity_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_activity_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    op.create_index("ix_activity_project_at", "activity", ["project_id", "at", "id"])
    op.create_index("ix_activity_task_at", "activity", ["task_id", "at", "id"])


def downgrade() -> None:
    op.drop_table("activity")
    op.drop_table("task_comments")
    # What is in the trash was deleted: without a trash it goes for good (spelled out, as
    # migrations run without SQLite's foreign keys). Trashed tasks already left the counts.
    gone = (
        "SELECT id FROM tasks WHERE deleted_at IS NOT NULL OR project_id IN "
        "(SELECT id FROM projects WHERE deleted_at IS NOT NULL)"
    )
    for table in ("task_assignees", "task_labels"):
        op.execute(f"DELETE FROM {table} WHERE task_id IN ({gone})")  # noqa: S608 (constants)
    op.execute(f"DELETE FROM tasks WHERE id IN ({gone})")  # noqa: S608 (constants only)
    op.execute("DELETE FROM projects WHERE deleted_at IS NOT NULL")
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_index("ix_tasks_deleted")
        batch_op.drop_index("ix_tasks_project_deleted")
        batch_op.drop_column("deleted_by")
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("comment_count")
    with op.batch_alter_table("projects") as batch_op:
        batch_op.drop_index("ix_projects_deleted")
        batch_op.drop_index("ix_projects_workspace_deleted")
        batch_op.drop_column("deleted_by")
        batch_op.drop_column("deleted_at")
