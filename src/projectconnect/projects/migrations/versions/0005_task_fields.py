"""task fields: description, status, priority, due date, position, version; assignees, labels

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 14:30:00.000000

Existing tasks become `done` or `todo`, priority `none`, version 1, and get positions in
their project in the order they were made: fractional-indexing keys `d` + four base-62
digits of their rank, set-based on both databases, that later keys extend without
renumbering anything.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
POSITION = sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql")


def _digit(rank: str, power: int) -> str:
    return f"substr('{DIGITS}', CAST(({rank} / {62**power}) % 62 + 1 AS INTEGER), 1)"


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("position", POSITION, nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
    # A done task's completion is not known: its last change is the best guess.
    op.execute(
        "UPDATE tasks SET status = CASE WHEN done THEN 'done' ELSE 'todo' END, "
        "priority = 'none', version = 1, "
        "completed_at = CASE WHEN done THEN updated_at ELSE NULL END"
    )
    rank = "n"
    key = " || ".join(["'d'", *(_digit(rank, p) for p in (3, 2, 1, 0))])
    op.execute(
        f"UPDATE tasks SET position = ranked.position FROM ("  # noqa: S608 (constants only)
        f"SELECT id, {key} AS position FROM ("
        "SELECT id, ROW_NUMBER() OVER (PARTITION BY project_id ORDER BY created_at, id) AS n "
        "FROM tasks) AS numbered) AS ranked WHERE ranked.id = tasks.id"
    )
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("priority", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("position", existing_type=POSITION, nullable=False)
        batch_op.alter_column("version", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(
            "ix_tasks_project_status_position", ["project_id", "status", "position"]
        )
    # Cancelled tasks count for nothing; none exist yet, so the stored counts stay right.

    op.create_table(
        "task_assignees",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_assignees_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", "user_id", name=op.f("pk_task_assignees")),
    )
    op.create_index("ix_task_assignees_user", "task_assignees", ["user_id", "task_id"])
    op.create_table(
        "labels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_labels_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labels")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_labels_workspace_id_name")),
    )
    op.create_table(
        "task_labels",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("label_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["labels.id"],
            name=op.f("fk_task_labels_label_id_labels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_labels_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", "label_id", name=op.f("pk_task_labels")),
    )
    op.create_index("ix_task_labels_label", "task_labels", ["label_id", "task_id"])


def downgrade() -> None:
    op.drop_table("task_labels")
    op.drop_table("labels")
    op.drop_table("task_assignees")
    # Back to a done flag: a cancelled task was neither done nor open, and now is open.
    op.execute(
        "UPDATE projects SET task_count = (SELECT COUNT(*) FROM tasks "
        "WHERE tasks.project_id = projects.id)"
    )
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.drop_index("ix_tasks_project_status_position")
        batch_op.drop_column("version")
        batch_op.drop_column("position")
        batch_op.drop_column("completed_at")
        batch_op.drop_column("due_date")
        batch_op.drop_column("priority")
        batch_op.drop_column("status")
        batch_op.drop_column("description")
