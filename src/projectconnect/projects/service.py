"""The projects use cases. Every one acts for one owner, the subject of a verified token."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.exc import IntegrityError

from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.pagination import Position
from projectconnect.infra.problems import NotFound, Unauthorized
from projectconnect.projects.cache import OwnerReadCache
from projectconnect.projects.models import Project, Task
from projectconnect.projects.repository import (
    OwnerRepository,
    ProjectRepository,
    TaskRepository,
)
from projectconnect.projects.schemas import ProjectCreate, ProjectUpdate, TaskCreate, TaskUpdate

PROJECT_NOT_FOUND = "No such project."
TASK_NOT_FOUND = "No such task."


Row = TypeVar("Row", Project, Task)


@dataclass(frozen=True, slots=True)
class Page(Generic[Row]):
    items: Sequence[Row]
    next_cursor: str | None


def _page(rows: Sequence[Row], limit: int) -> Page[Row]:
    # One row more than asked for tells whether another page exists.
    items = rows[:limit]
    more = len(rows) > limit
    cursor = Position(items[-1].created_at, items[-1].id).encode() if more and items else None
    return Page(items=items, next_cursor=cursor)


def parse_id(value: str, detail: str) -> uuid.UUID:
    """Ids are opaque strings: one that is not ours is simply not found."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(detail) from exc


class ProjectService:
    def __init__(self, db: Database, read_cache: OwnerReadCache) -> None:
        self.db = db
        self.read_cache = read_cache

    async def list_projects(
        self, owner_id: uuid.UUID, limit: int, cursor: str | None
    ) -> Page[Project]:
        after = Position.decode(cursor) if cursor else None
        async with self.db.session() as session:
            rows = await ProjectRepository(session, owner_id).list_page(limit + 1, after)
        return _page(rows, limit)

    async def create_project(self, owner_id: uuid.UUID, data: ProjectCreate) -> Project:
        now = utcnow()
        project = Project(
            id=uuid.uuid4(),
            owner_id=owner_id,
            name=data.name,
            description=data.description,
            task_count=0,
            done_count=0,
            created_at=now,
            updated_at=now,
        )
        async with self.db.session() as session:
            owner = OwnerRepository(session, owner_id)
            await owner.lock()
            # Write first, then look: on SQLite the write lock makes the look current.
            ProjectRepository(session, owner_id).add(project)
            await session.flush()
            if await owner.is_deleted():
                # A still-valid token of a deleted account: nothing it writes may survive.
                raise Unauthorized("The account no longer exists.")
            await session.commit()
        await self.read_cache.invalidate(owner_id)
        return project

    async def get_project(self, owner_id: uuid.UUID, project_id: str) -> Project:
        pid = parse_id(project_id, PROJECT_NOT_FOUND)
        async with self.db.session() as session:
            project = await ProjectRepository(session, owner_id).get(pid)
        if project is None:
            raise NotFound(PROJECT_NOT_FOUND)
        return project

    async def update_project(
        self, owner_id: uuid.UUID, project_id: str, data: ProjectUpdate
    ) -> Project:
        pid = parse_id(project_id, PROJECT_NOT_FOUND)
        changes = data.model_dump(exclude_unset=True)
        async with self.db.session() as session:
            project = await ProjectRepository(session, owner_id).get(pid, for_update=True)
            if project is None:
                raise NotFound(PROJECT_NOT_FOUND)
            for field, value in changes.items():
                setattr(project, field, value)
            if changes:
                project.updated_at = utcnow()
            await session.commit()
        await self.read_cache.invalidate(owner_id)
        return project

    async def delete_project(self, owner_id: uuid.UUID, project_id: str) -> None:
        pid = parse_id(project_id, PROJECT_NOT_FOUND)
        async with self.db.session() as session:
            projects = ProjectRepository(session, owner_id)
            project = await projects.get(pid, for_update=True)
            if project is None:
                raise NotFound(PROJECT_NOT_FOUND)
            await projects.delete(project)
            await session.commit()
        await self.read_cache.invalidate(owner_id)

    async def list_tasks(
        self, owner_id: uuid.UUID, project_id: str, limit: int, cursor: str | None
    ) -> Page[Task]:
        pid = parse_id(project_id, PROJECT_NOT_FOUND)
        after = Position.decode(cursor) if cursor else None
        async with self.db.session() as session:
            if await ProjectRepository(session, owner_id).get(pid) is None:
                raise NotFound(PROJECT_NOT_FOUND)
            rows = await TaskRepository(session, owner_id).list_page(pid, limit + 1, after)
        return _page(rows, limit)

    async def create_task(self, owner_id: uuid.UUID, project_id: str, data: TaskCreate) -> Task:
        pid = parse_id(project_id, PROJECT_NOT_FOUND)
        now = utcnow()
        task = Task(
            id=uuid.uuid4(),
            project_id=pid,
            owner_id=owner_id,
            title=data.title,
            done=False,
            created_at=now,
            updated_at=now,
        )
        async with self.db.session() as session:
            projects = ProjectRepository(session, owner_id)
            if await projects.get(pid, for_update=True) is None:
                raise NotFound(PROJECT_NOT_FOUND)
            TaskRepository(session, owner_id).add(task)
            await projects.adjust_counts(pid, tasks=1, done=0)
            try:
                await session.commit()
            except IntegrityError as exc:  # the project was deleted meanwhile
                raise NotFound(PROJECT_NOT_FOUND) from exc
        await self.read_cache.invalidate(owner_id)
        return task

    async def update_task(
        self, owner_id: uuid.UUID, project_id: str, task_id: str, data: TaskUpdate
    ) -> Task:
        pid = parse_id(project_id, PROJECT_NOT_FOUND)
        tid = parse_id(task_id, TASK_NOT_FOUND)
        now = utcnow()
        async with self.db.session() as session:
            tasks = TaskRepository(session, owner_id)
            # Lock the row, so the conditional update below sees the latest committed value.
            if await tasks.get(pid, tid, for_update=True) is None:
                raise NotFound(TASK_NOT_FOUND)
            if data.title is not None:
                await tasks.update(pid, tid, title=data.title, updated_at=now)
            if data.done is not None and await tasks.set_done(pid, tid, data.done, now):
                await ProjectRepository(session, owner_id).adjust_counts(
                    pid, tasks=0, done=1 if data.done else -1
                )
            task = await tasks.get_fresh(pid, tid)
            if task is None:  # deleted between our read and our write
                raise NotFound(TASK_NOT_FOUND)
            await session.commit()
        await self.read_cache.invalidate(owner_id)
        return task

    async def delete_task(self, owner_id: uuid.UUID, project_id: str, task_id: str) -> None:
        pid = parse_id(project_id, PROJECT_NOT_FOUND)
        tid = parse_id(task_id, TASK_NOT_FOUND)
        async with self.db.session() as session:
            was_done = await TaskRepository(session, owner_id).delete(pid, tid)
            if was_done is None:
                raise NotFound(TASK_NOT_FOUND)
            await ProjectRepository(session, owner_id).adjust_counts(
                pid, tasks=-1, done=-1 if was_done else 0
            )
            await session.commit()
        await self.read_cache.invalidate(owner_id)
