"""Queries on the projects database, every one scoped to an owner.

Reads start from `_owned()`: there is no way to build a query that forgets the owner.
The directory of people (`PeopleRepository`) is the exception: it holds no one's data
but what the auth service publishes to every service about every user.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, Select, and_, delete, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.infra.events import UserProfile
from projectconnect.infra.pagination import Position
from projectconnect.projects.models import DeletedUser, Person, Project, Task


class OwnerRepository:
    """What concerns an owner as a whole: their account's fate and all their projects."""

    def __init__(self, session: AsyncSession, owner_id: uuid.UUID) -> None:
        self.session = session
        self.owner_id = owner_id

    async def lock(self) -> None:
        """Serialise this owner's project creation with their account's deletion.

        PostgreSQL takes a transaction-scoped advisory lock; SQLite has one writer anyway.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            key = int.from_bytes(self.owner_id.bytes[:8], "big", signed=True)
            await self.session.execute(select(func.pg_advisory_xact_lock(key)))

    async def is_deleted(self) -> bool:
        return await self.session.get(DeletedUser, self.owner_id) is not None

    async def delete_all_projects(self) -> int:
        """Delete the owner's projects and their tasks. Returns the number of projects."""
        await self.session.execute(delete(Task).where(Task.owner_id == self.owner_id))
        result = await self.session.execute(
            delete(Project).where(Project.owner_id == self.owner_id)
        )
        return int(getattr(result, "rowcount", 0))


class ProjectRepository:
    def __init__(self, session: AsyncSession, owner_id: uuid.UUID) -> None:
        self.session = session
        self.owner_id = owner_id

    def _owned(self) -> Select[Project]:
        return select(Project).where(Project.owner_id == self.owner_id)

    async def list_page(self, limit: int, after: Position | None) -> Sequence[Project]:
        statement = self._owned()
        if after is not None:
            statement = statement.where(
                tuple_(Project.created_at, Project.id) < tuple_(after.created_at, after.id)
            )
        statement = statement.order_by(Project.created_at.desc(), Project.id.desc()).limit(limit)
        return (await self.session.scalars(statement)).all()

    async def get(self, project_id: uuid.UUID, *, for_update: bool = False) -> Project | None:
        statement = self._owned().where(Project.id == project_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).one_or_none()

    def add(self, project: Project) -> None:
        self.session.add(project)

    async def delete(self, project: Project) -> None:
        await self.session.execute(
            delete(Task).where(Task.project_id == project.id, Task.owner_id == self.owner_id)
        )
        await self.session.delete(project)

    async def adjust_counts(self, project_id: uuid.UUID, *, tasks: int, done: int) -> None:
        """Change the stored counts in SQL, so concurrent task writes never lose an update."""
        await self.session.execute(
            update(Project)
            .where(Project.id == project_id, Project.owner_id == self.owner_id)
            .values(
                task_count=Project.task_count + tasks,
                done_count=Project.done_count + done,
            )
            .execution_options(synchronize_session=False)
        )


class TaskRepository:
    def __init__(self, session: AsyncSession, owner_id: uuid.UUID) -> None:
        self.session = session
        self.owner_id = owner_id

    def _owned(self, project_id: uuid.UUID) -> Select[Task]:
        return select(Task).where(Task.owner_id == self.owner_id, Task.project_id == project_id)

    def _is_task(self, project_id: uuid.UUID, task_id: uuid.UUID) -> ColumnElement[bool]:
        return and_(
            Task.owner_id == self.owner_id, Task.project_id == project_id, Task.id == task_id
        )

    async def list_page(
        self, project_id: uuid.UUID, limit: int, after: Position | None
    ) -> Sequence[Task]:
        statement = self._owned(project_id)
        if after is not None:
            statement = statement.where(
                tuple_(Task.created_at, Task.id) > tuple_(after.created_at, after.id)
            )
        statement = statement.order_by(Task.created_at, Task.id).limit(limit)
        return (await self.session.scalars(statement)).all()

    async def get(
        self, project_id: uuid.UUID, task_id: uuid.UUID, *, for_update: bool = False
    ) -> Task | None:
        statement = self._owned(project_id).where(Task.id == task_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).one_or_none()

    async def get_fresh(self, project_id: uuid.UUID, task_id: uuid.UUID) -> Task | None:
        """Re-read a task, overwriting what the session holds, after SQL-level updates."""
        statement = (
            self._owned(project_id)
            .where(Task.id == task_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()

    def add(self, task: Task) -> None:
        self.session.add(task)

    async def update(self, project_id: uuid.UUID, task_id: uuid.UUID, **values: object) -> None:
        await self.session.execute(
            update(Task)
            .where(
                Task.owner_id == self.owner_id, Task.project_id == project_id, Task.id == task_id
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def set_done(
        self, project_id: uuid.UUID, task_id: uuid.UUID, done: bool, now: dt.datetime
    ) -> bool:
        """Flip `done` if it differs; True when this call changed it (counts must follow)."""
        result = await self.session.execute(
            update(Task)
            .where(self._is_task(project_id, task_id), Task.done.is_not(done))
            .values(done=done, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def delete(self, project_id: uuid.UUID, task_id: uuid.UUID) -> bool | None:
        """Delete a task; its `done` flag, or None when no such task was there to delete."""
        result = await self.session.execute(
            delete(Task)
            .where(
                Task.owner_id == self.owner_id, Task.project_id == project_id, Task.id == task_id
            )
            .returning(Task.done)
            .execution_options(synchronize_session=False)
        )
        row = result.first()
        return None if row is None else bool(row[0])


class PeopleRepository:
    """The directory of people: display names and emails without asking the auth service."""

    LOOKUP_SLICE = 1000

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_many(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Person]:
        """The people known among `user_ids`, by id; unknown or deleted ones are absent."""
        wanted = list(set(user_ids))
        found: dict[uuid.UUID, Person] = {}
        # In slices: a statement may bind only so many values (32 767 on PostgreSQL).
        for start in range(0, len(wanted), self.LOOKUP_SLICE):
            ids = wanted[start : start + self.LOOKUP_SLICE]
            people = await self.session.scalars(select(Person).where(Person.user_id.in_(ids)))
            found.update((person.user_id, person) for person in people)
        return found

    async def apply(self, profile: UserProfile, now: dt.datetime) -> bool:
        """Keep `profile` if it is newer than what the directory holds; True if it was kept.

        One conditional upsert, so the rule holds under concurrent consumers too: a row is
        written only where none is, or over a strictly lower `profile_version`.
        """
        values = {
            "user_id": profile.user_id,
            "display_name": profile.display_name,
            "email": profile.email,
            "profile_version": profile.profile_version,
            "updated_at": now,
        }
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        statement = dialect.insert(Person).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[Person.user_id],
            set_={name: statement.excluded[name] for name in values if name != "user_id"},
            where=Person.profile_version < statement.excluded.profile_version,
        ).returning(Person.user_id)
        return (await self.session.execute(statement)).first() is not None

    async def remove(self, user_id: uuid.UUID) -> None:
        await self.session.execute(delete(Person).where(Person.user_id == user_id))
