"""in-app notifications and each person's preferences for them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 10:00:00.000000

`notifications` holds what each person is told of (assigned, commented, mentioned, invited,
due_soon, overdue), read newest first per recipient (`user_id, created_at, id`; the unread
ones through a partial index of their own, which also counts them). A due reminder is
unique per recipient, task, kind and due date, so the periodic job never gives one twice.
`notification_preferences` holds a row per person and kind they set; no row means on.

Two indexes serve the notifications' writers: `tasks (status, due_date)` over the dated
tasks not in the trash (the due job's scan), and `people (lower(email))` (an invitation's
address among the people known). Building them reads `tasks` and `people` once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATED = "due_date IS NOT NULL AND deleted_at IS NULL"
UNREAD = "read_at IS NULL"
REMINDER = "due_date IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("task_id", sa.Uuid(), nullable=True),
        sa.Column("comment_id", sa.Uuid(), nullable=True),
        sa.Column("invitation_id", sa.Uuid(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_notifications_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        "ix_notifications_user_created", "notifications", ["user_id", "created_at", "id"]
    )
    op.create_index(
        "ix_notifications_user_unread",
        "notifications",
        ["user_id", "created_at", "id"],
        sqlite_where=sa.text(UNREAD),
        postgresql_where=sa.text(UNREAD),
    )
    op.create_index(
        "uq_notifications_reminder",
        "notifications",
        ["user_id", "task_id", "kind", "due_date"],
        unique=True,
        sqlite_where=sa.text(REMINDER),
        postgresql_where=sa.text(REMINDER),
    )
    op.create_index("ix_notifications_workspace", "notifications", ["workspace_id"])
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("in_app", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notification_preferences")),
    )
    op.create_index(
        "ix_tasks_status_due",
        "tasks",
        ["status", "due_date"],
        sqlite_where=sa.text(DATED),
        postgresql_where=sa.text(DATED),
    )
    op.create_index("ix_people_email", "people", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_people_email", table_name="people")
    op.drop_index("ix_tasks_status_due", table_name="tasks")
    op.drop_table("notification_preferences")
    op.drop_table("notifications")
