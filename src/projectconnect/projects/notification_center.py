"""The caller's notifications: the list with its unread count, marking read, and the
preferences: per kind, in the app and by mail, and how often mail comes. Who is told what
is decided in `projects.notifications`, what is mailed when in `projects.notification_mail`.

A person sees only their own notifications, and of those the ones of the workspaces they
belong to now (`findable.workspaces_of`, from their memberships), plus an invitation's
while the invitation is open: leaving a workspace hides its notifications. What a
notification points at is read with it, so names are current, and a project or task in
the trash or purged since reads as null. Marking read goes through a write unit and
announces a `notification` notice (op `changed`) to the person, so their other tabs update
their count; marking all read announces one, whose id is the person's own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.pagination import Position
from projectconnect.infra.problems import NotFound
from projectconnect.projects.access import parse_id
from projectconnect.projects.findable import in_sight, workspaces_of
from projectconnect.projects.live import Notice, announce
from projectconnect.projects.models import (
    Comment,
    Invitation,
    Notification,
    NotificationMailing,
    NotificationPreference,
    Person,
    Project,
    Task,
    Workspace,
)
from projectconnect.projects.notifications import (
    DEFAULT_FREQUENCY,
    MAIL_KINDS,
    Frequency,
    Kind,
    by_kind,
)
from projectconnect.projects.repository import is_postgres
from projectconnect.projects.service import Page, page_of
from projectconnect.projects.workspaces import display
from projectconnect.projects.writes import Writes

NOTIFICATION_NOT_FOUND = "No such notification."

# Its outer joins' columns may be null (SQLAlchemy's types do not say so).
ViewStatement = Select[Notification, str, str, str, uuid.UUID, Person]


@dataclass(frozen=True, slots=True)
class Preferences:
    """A person's choices: each kind in the app, each of `MAIL_KINDS` by mail, how often."""

    kinds: dict[Kind, bool]
    mail: dict[Kind, bool]
    mail_frequency: Frequency


@dataclass(frozen=True, slots=True)
class NotificationView:
    """A notification with what it points at as it is now (None: none, or gone)."""

    notification: Notification
    actor_name: str | None
    workspace_name: str
    project_name: str | None
    task_title: str | None
    comment_id: uuid.UUID | None


def shown(user_id: uuid.UUID, now: dt.datetime) -> ColumnElement[bool]:
    """The caller's notifications that they see: of their workspaces, or an open invitation."""
    mine = workspaces_of(user_id)
    open_invitation = exists().where(
        Invitation.id == Notification.invitation_id,
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > now,
    )
    return and_(
        Notification.user_id == user_id,
        or_(
            Notification.workspace_id.in_(mine),
            and_(Notification.kind == "invited", open_invitation),
        ),
    )


class NotificationCenter:
    def __init__(self, db: Database, writes: Writes) -> None:
        self.db = db
        self.writes = writes

    async def list(
        self, user_id: uuid.UUID, limit: int, cursor: str | None, *, unread: bool = False
    ) -> tuple[Page[NotificationView], int]:
        """A page of the caller's notifications, newest first (only the unread with
        `unread`), and how many of them are unread in all."""
        after = Position.decode(cursor) if cursor else None
        now = utcnow()
        async with self.db.reading() as session:
            rows = await _page(session, user_id, now, limit + 1, after, unread=unread)
            count = await session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(shown(user_id, now), Notification.read_at.is_(None))
            )
        page = page_of(
            rows, limit, lambda v: Position(v.notification.created_at, v.notification.id)
        )
        return page, int(count or 0)

    async def mark_read(self, user_id: uuid.UUID, notification_id: str) -> None:
        """Another's, unknown or hidden: 404. Read already: as it is."""
        nid = parse_id(notification_id, NOTIFICATION_NOT_FOUND)
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            notification = (
                await unit.session.scalars(
                    select(Notification).where(Notification.id == nid, shown(user_id, now))
                )
            ).one_or_none()
            if notification is None:
                raise NotFound(NOTIFICATION_NOT_FOUND)
            if notification.read_at is None:
                notification.read_at = now
                announce(unit.session, Notice("notification", nid, None, user_id=user_id))

    async def mark_all_read(self, user_id: uuid.UUID) -> None:
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            marked = await unit.session.execute(
                update(Notification)
                .where(Notification.user_id == user_id, Notification.read_at.is_(None))
                .values(read_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(marked, "rowcount", 0):
                announce(unit.session, Notice("notification", user_id, None, user_id=user_id))

    async def preferences(self, user_id: uuid.UUID) -> Preferences:
        async with self.db.reading() as session:
            return await _preferences(session, user_id)

    async def choose(
        self,
        user_id: uuid.UUID,
        *,
        in_app: Mapping[Kind, bool],
        mail: Mapping[Kind, bool],
        mail_frequency: Frequency | None,
    ) -> Preferences:
        """Set the kinds named on or off, in the app and by mail, and how often mail
        comes when named; the others keep their setting."""
        async with self.writes.open(user_id) as unit:
            await _set_kinds(unit.session, user_id, "in_app", in_app)
            await _set_kinds(unit.session, user_id, "mail", mail)
            if mail_frequency is not None:
                dialect = postgresql if is_postgres(unit.session) else sqlite
                statement = dialect.insert(NotificationMailing).values(
                    user_id=user_id, frequency=mail_frequency
                )
                await unit.session.execute(
                    statement.on_conflict_do_update(
                        index_elements=[NotificationMailing.user_id],
                        set_={"frequency": statement.excluded.frequency},
                    )
                )
            return await _preferences(unit.session, user_id)


async def _set_kinds(
    session: AsyncSession, user_id: uuid.UUID, column: str, choices: Mapping[Kind, bool]
) -> None:
    """Set `column` (`in_app` or `mail`) of the kinds named; a new row's other one is on."""
    if not choices:
        return
    rows = [
        {"user_id": user_id, "kind": kind, "in_app": True, "mail": True, column: on}
        for kind, on in choices.items()
    ]
    dialect = postgresql if is_postgres(session) else sqlite
    statement = dialect.insert(NotificationPreference).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[NotificationPreference.user_id, NotificationPreference.kind],
            set_={column: statement.excluded[column]},
        )
    )


async def _preferences(session: AsyncSession, user_id: uuid.UUID) -> Preferences:
    rows = (
        await session.execute(
            select(
                NotificationPreference.kind,
                NotificationPreference.in_app,
                NotificationPreference.mail,
            ).where(NotificationPreference.user_id == user_id)
        )
    ).all()
    frequency = await session.scalar(
        select(NotificationMailing.frequency).where(NotificationMailing.user_id == user_id)
    )
    return Preferences(
        kinds=by_kind((kind, in_app) for kind, in_app, _ in rows),
        mail=by_kind(((kind, mail) for kind, _, mail in rows), MAIL_KINDS),
        mail_frequency=cast(Frequency, frequency or DEFAULT_FREQUENCY),
    )


async def _page(
    session: AsyncSession,
    user_id: uuid.UUID,
    now: dt.datetime,
    limit: int,
    after: Position | None,
    *,
    unread: bool,
) -> list[NotificationView]:
    """Up to `limit` of the caller's notifications after `after`, newest first."""
    statement = viewed(user_id, now)
    if unread:
        statement = statement.where(Notification.read_at.is_(None))
    if after is not None:
        statement = statement.where(
            tuple_(Notification.created_at, Notification.id) < tuple_(after.created_at, after.id)
        )
    statement = statement.order_by(Notification.created_at.desc(), Notification.id.desc())
    return await views(session, statement.limit(limit))


def viewed(user_id: uuid.UUID, now: dt.datetime) -> ViewStatement:
    """The person's notifications that they see (`shown`), each with the names of what it
    points at (outer joins: what is gone or not in sight reads as null; a task shows only
    with its project, a comment only with its task); read with `views`."""
    return (
        select(Notification, Workspace.name, Project.name, Task.title, Comment.id, Person)
        .join(Workspace, Workspace.id == Notification.workspace_id)
        .outerjoin(Project, and_(Project.id == Notification.project_id, in_sight("project")))
        .outerjoin(
            Task,
            and_(Task.id == Notification.task_id, Task.project_id == Project.id, in_sight("task")),
        )
        .outerjoin(Comment, and_(Comment.id == Notification.comment_id, Comment.task_id == Task.id))
        .outerjoin(Person, Person.user_id == Notification.actor_id)
        .where(shown(user_id, now))
    )


async def views(session: AsyncSession, statement: ViewStatement) -> list[NotificationView]:
    return [
        NotificationView(n, display(actor), workspace, project, task, comment)
        for n, workspace, project, task, comment, actor in await session.execute(statement)
    ]
