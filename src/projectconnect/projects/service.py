"""The projects use cases: projects and tasks, for a verified caller, by their role.

Reads resolve the caller's access with `projects.access`; writes go through a
`projects.writes` unit, which re-checks that access, fences the caches and commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.exc import IntegrityError

from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.pagination import Position
from projectconnect.infra.problems import NotFound
from projectconnect.projects.access import PROJECT_NOT_FOUND, Access, Action, parse_id
from projectconnect.projects.models import Project, Task
from projectconnect.projects.repository import ProjectRepository, TaskRepository, VisibleProjects
from projectconnect.projects.schemas import ProjectCreate, ProjectUpdate, TaskCreate, TaskUpdate
from projectconnect.projects.workspaces import WorkspaceService
from projectconnect.projects.writes import Writes

TASK_NOT_FOUND = "No such task."

Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class Page(Generic[Row]):
    items: Sequence[Row]
    next_cursor: str | None


def page_of(rows: Sequence[Row], limit: int, last: Position | None) -> Page[Row]:
    """A page from up to `limit + 1` rows: the extra one tells whether another page exists;
    `last` is the position of the page's last row, the next page's cursor."""
    more = len(rows) > limit
    return Page(items=rows[:limit], next_cursor=last.encode() if more and last else None)


def _position(item: Project | Task) -> Position:
    return Position(item.created_at, item.id)


@dataclass(frozen=True, slots=True)
class ProjectView:
    """A project and the caller's role in its workspace."""

    project: Project
    role: str


class ProjectService:
    def __init__(self, db: Database, writes: Writes, workspaces: WorkspaceService) -> None:
        self.db = db
        self.writes = writes
        self.workspaces = workspaces

    async def list_projects(
        self, user_id: uuid.UUID, limit: int, cursor: str | None, workspace: str | None = None
    ) -> Page[ProjectView]:
        """Every project the caller may see, newest first; only one workspace's if named."""
        after = Position.decode(cursor) if cursor else None
        async with self.db.session() as session:
            workspace_id = None
            if workspace is not None:
                _, grant = await Access(session, user_id).workspace(workspace, Action.READ)
                workspace_id = grant.workspace_id
            rows = await VisibleProjects(session, user_id).list_page(limit + 1, after, workspace_id)
        views = [ProjectView(project, role) for project, role in rows]
        last = _position(views[limit - 1].project) if len(views) > limit else None
        return page_of(views, limit, last)

    async def create_project(
        self, user_id: uuid.UUID, data: ProjectCreate, workspace: str | None = None
    ) -> ProjectView:
        """In the workspace named, or (`POST /projects`) in the caller's personal one."""
        if workspace is None:
            workspace = str(await self.workspaces.personal(user_id))
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            _, grant = await unit.workspace(workspace, Action.EDIT)
            project = Project(
                id=uuid.uuid4(),
                workspace_id=grant.workspace_id,
                created_by=user_id,
                name=data.name,
                description=data.description,
                task_count=0,
                done_count=0,
                created_at=now,
                updated_at=now,
            )
            ProjectRepository(unit.session, grant).add(project)
            unit.touch_project(project)
        return ProjectView(project, grant.role)

    async def get_project(self, user_id: uuid.UUID, project_id: str) -> ProjectView:
        async with self.db.session() as session:
            project, grant = await Access(session, user_id).project(project_id, Action.READ)
        return ProjectView(project, grant.role)

    async def update_project(
        self, user_id: uuid.UUID, project_id: str, data: ProjectUpdate
    ) -> ProjectView:
        changes = data.model_dump(exclude_unset=True)
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(project_id, Action.EDIT, for_update=True)
            for field, value in changes.items():
                setattr(project, field, value)
            if changes:
                project.updated_at = utcnow()
            unit.touch_project(project)
        return ProjectView(project, grant.role)

    async def delete_project(self, user_id: uuid.UUID, project_id: str) -> None:
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(project_id, Action.EDIT, for_update=True)
            await ProjectRepository(unit.session, grant).delete(project)
            unit.touch_project(project)

    async def list_tasks(
        self, user_id: uuid.UUID, project_id: str, limit: int, cursor: str | None
    ) -> tuple[Page[Task], ProjectView]:
        after = Position.decode(cursor) if cursor else None
        async with self.db.session() as session:
            project, grant = await Access(session, user_id).project(project_id, Action.READ)
            rows = await TaskRepository(session, grant, project).list_page(limit + 1, after)
        last = _position(rows[limit - 1]) if len(rows) > limit else None
        return page_of(rows, limit, last), ProjectView(project, grant.role)

    async def create_task(self, user_id: uuid.UUID, project_id: str, data: TaskCreate) -> Task:
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(project_id, Action.EDIT, for_update=True)
            task = Task(
                id=uuid.uuid4(),
                project_id=project.id,
                created_by=user_id,
                title=data.title,
                done=False,
                created_at=now,
                updated_at=now,
            )
            TaskRepository(unit.session, grant, project).add(task)
            try:
                await unit.session.flush()
            except IntegrityError as exc:  # SQLite: the project was deleted meanwhile
                raise NotFound(PROJECT_NOT_FOUND) from exc
            await ProjectRepository(unit.session, grant).adjust_counts(project.id, tasks=1, done=0)
            unit.touch_project(project)
        return task

    async def update_task(
        self, user_id: uuid.UUID, project_id: str, task_id: str, data: TaskUpdate
    ) -> Task:
        tid = parse_id(task_id, TASK_NOT_FOUND)
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(project_id, Action.EDIT)
            tasks = TaskRepository(unit.session, grant, project)
            # Lock the row, so the conditional update below sees the latest committed value.
            if await tasks.get(tid, for_update=True) is None:
                raise NotFound(TASK_NOT_FOUND)
            if data.title is not None:
                await tasks.update(tid, title=data.title, updated_at=now)
            if data.done is not None and await tasks.set_done(tid, data.done, now):
                await ProjectRepository(unit.session, grant).adjust_counts(
                    project.id, tasks=0, done=1 if data.done else -1
                )
            task = await tasks.get_fresh(tid)
            if task is None:  # deleted between our read and our write
                raise NotFound(TASK_NOT_FOUND)
            unit.touch_project(project)
        return task

    async def delete_task(self, user_id: uuid.UUID, project_id: str, task_id: str) -> None:
        tid = parse_id(task_id, TASK_NOT_FOUND)
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(project_id, Action.EDIT)
            was_done = await TaskRepository(unit.session, grant, project).delete(tid)
            if was_done is None:
                raise NotFound(TASK_NOT_FOUND)
            await ProjectRepository(unit.session, grant).adjust_counts(
                project.id, tasks=-1, done=-1 if was_done else 0
            )
            unit.touch_project(project)
