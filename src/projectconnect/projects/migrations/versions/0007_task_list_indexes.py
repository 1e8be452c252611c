"""task and project lists: an index per sort, project archive

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000

Every sort of a task list reads index ranges (see projects.listing): by due date, by last
change and by priority get theirs here (by creation and by position had theirs). Projects
can be archived (`archived_at`), and their lists sort by last change and by name as well.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tasks_project_due", "tasks", ["project_id", "due_date", "id"])
    op.create_index("ix_tasks_project_updated", "tasks", ["project_id", "updated_at", "id"])
    op.create_index(
        "ix_tasks_project_priority_created", "tasks", ["project_id", "priority", "created_at", "id"]
    )
    with op.batch_alter_table("projects") as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_projects_workspace_updated", "projects", ["workspace_id", "updated_at", "id"]
    )
    op.create_index(
        "ix_projects_workspace_name", "projects", ["workspace_id", sa.text("lower(name)"), "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_projects_workspace_name", table_name="projects")
    op.drop_index("ix_projects_workspace_updated", table_name="projects")
    with op.batch_alter_table("projects") as batch_op:
        batch_op.drop_column("archived_at")
    op.drop_index("ix_tasks_project_priority_created", table_name="tasks")
    op.drop_index("ix_tasks_project_updated", table_name="tasks")
    op.drop_index("ix_tasks_project_due", table_name="tasks")
