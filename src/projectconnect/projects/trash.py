"""The workspace's trash: deleted projects and tasks, restorable until they are purged.

Deleting a project or a task sets its `deleted_at`/`deleted_by` (`ProjectService`); from
then on every read leaves it out (`Access.project`, `VisibleProjects`, `TaskRepository`),
and a task no longer counts in its project's `task_count`/`done_count`. A project's tasks
go into the trash with it, without a mark of their own, and come back with it.

Restoring is for members who may edit. A task comes back at the end of its status column
(its old place may have been taken since) and counts again. A task of a project that is
itself in the trash cannot come back alone: the answer is 409 `project_in_trash`, and
restoring the project brings it back (the trash lists such a task only through its
project). Restoring what is not in the trash answers it as it is; deleting what is already
in it succeeds unchanged, so a resent DELETE is not a 404.

`TrashPurge` deletes for good what has been in the trash longer than
`PROJECTS_TRASH_RETENTION_DAYS` (30); one process runs it periodically (the event
consumer, or the embedded server).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.pagination import Position
from projectconnect.infra.problems import Conflict, NotFound
from projectconnect.projects.access import Access, Action, Grant, parse_id
from projectconnect.projects.activity import ActivityLog, Change
from projectconnect.projects.models import Project, Task
from projectconnect.projects.repository import ProjectRepository, TaskRepository
from projectconnect.projects.service import (
    TASK_NOT_FOUND,
    Page,
    ProjectView,
    TaskView,
    page_of,
)
from projectconnect.projects.tasks import DONE, counted, key_between
from projectconnect.projects.writes import Writes

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrashItem:
    kind: str  # "project" or "task"
    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    deleted_at: dt.datetime
    deleted_by: uuid.UUID | None


class TrashRepository:
    """What is in the trash of the workspace a grant is for."""

    def __init__(self, session: AsyncSession, grant: Grant) -> None:
        self.session = session
        self.workspace_id = grant.workspace_id

    async def list_page(self, limit: int, after: Position | None) -> list[TrashItem]:
        """Trashed projects, and trashed tasks of projects that are not, newest first."""
        projects = select(Project).where(
            Project.workspace_id == self.workspace_id, Project.deleted_at.is_not(None)
        )
        tasks = (
            select(Task)
            .join(Project, Project.id == Task.project_id)
            .where(
                Project.workspace_id == self.workspace_id,
                Project.deleted_at.is_(None),
                Task.deleted_at.is_not(None),
            )
        )
        if after is not None:
            projects = projects.where(
                tuple_(Project.deleted_at, Project.id) < tuple_(after.created_at, after.id)
            )
            tasks = tasks.where(
                tuple_(Task.deleted_at, Task.id) < tuple_(after.created_at, after.id)
            )
        projects = projects.order_by(Project.deleted_at.desc(), Project.id.desc()).limit(limit)
        tasks = tasks.order_by(Task.deleted_at.desc(), Task.id.desc()).limit(limit)
        items = [
            TrashItem("project", p.id, p.id, p.name, p.deleted_at, p.deleted_by)
            for p in await self.session.scalars(projects)
            if p.deleted_at is not None
        ] + [
            TrashItem("task", t.id, t.project_id, t.title, t.deleted_at, t.deleted_by)
            for t in await self.session.scalars(tasks)
            if t.deleted_at is not None
        ]
        items.sort(key=lambda i: (i.deleted_at, i.id), reverse=True)
        return items[:limit]

    async def restore_task(
        self, project_id: uuid.UUID, task_id: uuid.UUID, at: dt.datetime
    ) -> bool:
        """Take the task out of the trash (locking it); False when it is not in it."""
        result = await self.session.execute(
            update(Task)
            .where(Task.project_id == project_id, Task.id == task_id, Task.deleted_at.is_not(None))
            .values(deleted_at=None, deleted_by=None, version=Task.version + 1, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


class TrashService:
    def __init__(self, db: Database, writes: Writes, retention: dt.timedelta) -> None:
        self.db = db
        self.writes = writes
        self.retention = retention

    async def list(
        self, user_id: uuid.UUID, workspace_id: str, limit: int, cursor: str | None
    ) -> Page[TrashItem]:
        after = Position.decode(cursor) if cursor else None
        async with self.db.reading() as session:
            _, grant = await Access(session, user_id).workspace(workspace_id, Action.READ)
            rows = await TrashRepository(session, grant).list_page(limit + 1, after)
        return page_of(rows, limit, lambda i: Position(i.deleted_at, i.id))

    async def restore_project(self, user_id: uuid.UUID, project_id: str) -> ProjectView:
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(
                project_id, Action.EDIT, for_update=True, trashed=True
            )
            if project.deleted_at is not None:
                project.deleted_at = None
                project.deleted_by = None
                ActivityLog(unit.session, user_id, now).record(
                    project.id, None, [Change("restored")]
                )
                unit.touch_project(project)
        return ProjectView(project, grant.role)

    async def restore_task(self, user_id: uuid.UUID, project_id: str, task_id: str) -> TaskView:
        tid = parse_id(task_id, TASK_NOT_FOUND)
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(project_id, Action.EDIT, trashed=True)
            if project.deleted_at is not None:
                raise Conflict(
                    "The task's project is in the trash: restore the project, and its tasks "
                    "come back with it.",
                    extensions={"reason": "project_in_trash", "project_id": str(project.id)},
                )
            trash = TrashRepository(unit.session, grant)
            tasks = TaskRepository(unit.session, grant, project)
            # The first write, which locks the task; then the project's row, as moves do.
            if await trash.restore_task(project.id, tid, now):
                if not await ProjectRepository(unit.session, grant).lock(project.id):
                    raise NotFound(TASK_NOT_FOUND)
                task = await tasks.get_fresh(tid)
                assert task is not None  # restored and locked by this write
                position = key_between(await tasks.last_position(task.status), None)
                await tasks.update(tid, position=position)
                await ProjectRepository(unit.session, grant).adjust_counts(
                    project.id, tasks=counted(task.status), done=int(task.status == DONE)
                )
                ActivityLog(unit.session, user_id, now).record(
                    project.id, tid, [Change("restored")]
                )
                unit.touch_project(project)
            task = await tasks.get_fresh(tid)
            if task is None:  # neither in the trash nor out of it
                raise NotFound(TASK_NOT_FOUND)
            assignees, labels = await tasks.assignees_and_labels([tid])
        return TaskView(task, assignees[tid], labels[tid])


class TrashPurge:
    """Deletes for good what has been in the trash longer than `retention`."""

    def __init__(
        self,
        db: Database,
        retention: dt.timedelta,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.retention = retention
        self.clock = clock

    async def purge_once(self) -> tuple[int, int]:
        """(projects, tasks) purged; a project's tasks, comments and activity go with it."""
        cutoff = self.clock() - self.retention
        async with self.db.session() as session:
            projects = await session.execute(
                delete(Project)
                .where(Project.deleted_at.is_not(None), Project.deleted_at < cutoff)
                .execution_options(synchronize_session=False)
            )
            tasks = await session.execute(
                delete(Task)
                .where(Task.deleted_at.is_not(None), Task.deleted_at < cutoff)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        purged = int(getattr(projects, "rowcount", 0)), int(getattr(tasks, "rowcount", 0))
        if any(purged):
            logger.info("trash purged: %d projects, %d tasks", *purged)
        return purged
