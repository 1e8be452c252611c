"""announce existing users: one user.registered event per account, through the outbox

Accounts made before auth published `user.registered` would otherwise never reach the
projects service's directory of people. Each gets the event it would have had, carrying
its profile as it is now; the relay publishes them like any other. The envelope is written
here as version 1 looked when this revision was made (migrations are frozen history).

Downgrading removes those events only while still unpublished: sent ones cannot be
recalled, and upgrading again sends another snapshot, which consumers treat as a repeat
(same `profile_version`), so it changes nothing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 08:55:00.000000
"""

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
SOURCE = "auth-migration-0005"

users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("email", sa.String()),
    sa.column("display_name", sa.String()),
    sa.column("profile_version", sa.Integer()),
)
outbox = sa.table(
    "outbox",
    sa.column("id", sa.Uuid()),
    sa.column("type", sa.String()),
    sa.column("payload", sa.Text()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("attempts", sa.Integer()),
    sa.column("published_at", sa.DateTime(timezone=True)),
)


def _event(row: Any, now: dt.datetime) -> dict[str, object]:
    event_id = uuid.uuid4()
    envelope = {
        "id": str(event_id),
        "type": "user.registered",
        "version": 1,
        "occurred_at": now.isoformat(),
        "source": SOURCE,
        "data": {
            "user_id": str(row.id),
            "email": row.email,
            "display_name": row.display_name,
            "profile_version": row.profile_version,
        },
    }
    return {
        "id": event_id,
        "type": "user.registered",
        "payload": json.dumps(envelope),
        "created_at": now,  # UTC; SQLite keeps it without the zone, as the outbox model does
        "attempts": 0,
    }


def upgrade() -> None:
    connection = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    after: uuid.UUID | None = None
    while True:  # keyset pages, so a large users table is never held in memory at once
        page = sa.select(users.c.id, users.c.email, users.c.display_name, users.c.profile_version)
        if after is not None:
            page = page.where(users.c.id > after)
        rows = connection.execute(page.order_by(users.c.id).limit(BATCH)).all()
        if not rows:
            break
        connection.execute(sa.insert(outbox), [_event(row, now) for row in rows])
        after = rows[-1].id


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(
        sa.delete(outbox).where(
            outbox.c.type == "user.registered",
            outbox.c.payload.contains(f'"source": "{SOURCE}"'),
            outbox.c.published_at.is_(None),
        )
    )
