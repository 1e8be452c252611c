"""notification mail

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00.000000

`notifications.mail_queued_at` marks a notification waiting to be mailed (a partial index
holds only those); `notification_preferences.mail` is a kind's mail choice (on without a
row); `notification_mailings` holds a person's mail frequency and when they were last
mailed (instant and never, without a row).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUED = "mail_queued_at IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_queued_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_notifications_mail_queued",
            ["mail_queued_at", "user_id"],
            unique=False,
            sqlite_where=sa.text(QUEUED),
            postgresql_where=sa.text(QUEUED),
        )
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mail", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.create_table(
        "notification_mailings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("frequency", sa.String(length=8), server_default="instant", nullable=False),
        sa.Column("last_mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_mailings")),
    )


def downgrade() -> None:
    op.drop_table("notification_mailings")
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.drop_column("mail")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_mail_queued")
        batch_op.drop_column("mail_queued_at")
