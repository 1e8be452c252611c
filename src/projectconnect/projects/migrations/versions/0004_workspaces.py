"""workspaces, memberships and invitations; every project moves into its owner's workspace

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 11:00:00.000000

Each person who owns projects gets a personal workspace whose id is their user id (set-based,
so millions of rows move in a few statements on both databases), with them as its owner
from the day of their first project; every project moves into it. `owner_id` becomes
`created_by` on projects and tasks: who made a row, no longer who may see it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "accepted_at IS NULL AND revoked_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("personal_of", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("personal_of", name=op.f("uq_workspaces_personal_of")),
    )
    op.create_table(
        "memberships",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_memberships_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "user_id", name=op.f("pk_memberships")),
    )
    op.create_index("ix_memberships_user", "memberships", ["user_id", "workspace_id"])
    op.create_index(
        "ix_memberships_workspace_joined", "memberships", ["workspace_id", "joined_at", "user_id"]
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_invitations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    op.create_index(
        "ix_invitations_workspace_created", "invitations", ["workspace_id", "created_at", "id"]
    )
    op.create_index(
        "uq_invitations_open_email",
        "invitations",
        ["workspace_id", "email"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    op.create_table(
        "ownership_transfers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("from_user_id", sa.Uuid(), nullable=False),
        sa.Column("from_name", sa.String(length=320), nullable=True),
        sa.Column("to_user_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_ownership_transfers_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ownership_transfers")),
    )
    op.create_index(
        "ix_ownership_transfers_to", "ownership_transfers", ["to_user_id", "workspace_id"]
    )

    # Every owner of projects gets their personal workspace, and every project moves in.
    op.execute(
        "INSERT INTO workspaces (id, name, created_by, created_at, personal_of) "
        "SELECT owner_id, 'Personal', owner_id, MIN(created_at), owner_id "
        "FROM projects GROUP BY owner_id"
    )
    op.execute(
        "INSERT INTO memberships (workspace_id, user_id, role, joined_at) "
        "SELECT id, id, 'owner', created_at FROM workspaces"
    )
    with op.batch_alter_table("projects") as batch_op:
        batch_op.add_column(sa.Column("workspace_id", sa.Uuid(), nullable=True))
    op.execute("UPDATE projects SET workspace_id = owner_id")
    with op.batch_alter_table("projects") as batch_op:
        batch_op.alter_column("workspace_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column("owner_id", new_column_name="created_by")
        batch_op.drop_index("ix_projects_owner_created")
        batch_op.create_index("ix_projects_workspace_created", ["workspace_id", "created_at", "id"])
        batch_op.create_foreign_key(
            op.f("fk_projects_workspace_id_workspaces"),
            "workspaces",
            ["workspace_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.alter_column("owner_id", new_column_name="created_by")


def downgrade() -> None:
    # Back to one owner per project: each project goes to its workspace's first owner.
    with op.batch_alter_table("tasks") as batch_op:
        batch_op.alter_column("created_by", new_column_name="owner_id")
    op.execute(
        "UPDATE tasks SET owner_id = (SELECT m.user_id FROM projects p "
        "JOIN memberships m ON m.workspace_id = p.workspace_id AND m.role = 'owner' "
        "WHERE p.id = tasks.project_id ORDER BY m.joined_at, m.user_id LIMIT 1)"
    )
    with op.batch_alter_table("projects") as batch_op:
        batch_op.drop_constraint(op.f("fk_projects_workspace_id_workspaces"), type_="foreignkey")
        batch_op.drop_index("ix_projects_workspace_created")
        batch_op.alter_column("created_by", new_column_name="owner_id")
    op.execute(
        "UPDATE projects SET owner_id = (SELECT m.user_id FROM memberships m "
        "WHERE m.workspace_id = projects.workspace_id AND m.role = 'owner' "
        "ORDER BY m.joined_at, m.user_id LIMIT 1)"
    )
    with op.batch_alter_table("projects") as batch_op:
        batch_op.drop_column("workspace_id")
        batch_op.create_index("ix_projects_owner_created", ["owner_id", "created_at", "id"])
    op.drop_table("ownership_transfers")
    op.drop_table("invitations")
    op.drop_table("memberships")
    op.drop_table("workspaces")
