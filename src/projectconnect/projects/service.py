"""The projects use cases: projects and tasks, for a verified caller, by their role.

Reads resolve the caller's access with `projects.access`; writes go through a
`projects.writes` unit, which re-checks that access, fences the caches and commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.pagination import Position
from projectconnect.infra.problems import NotFound, PreconditionFailed, field_error
from projectconnect.projects.access import PROJECT_NOT_FOUND, Access, Action, Grant, parse_id
from projectconnect.projects.activity import ActivityLog, Change, project_state, task_state
from projectconnect.projects.listing import Plan, ProjectQuery, TaskQuery
from projectconnect.projects.models import Project, Task
from projectconnect.projects.notifications import Notifier
from projectconnect.projects.repository import (
    LabelRepository,
    ProjectRepository,
    Sorted,
    TaskRepository,
    VisibleProjects,
)
from projectconnect.projects.schemas import ProjectCreate, ProjectUpdate, TaskCreate, TaskUpdate
from projectconnect.projects.tasks import DONE, counted, key_between, next_status
from projectconnect.projects.workspaces import Members, WorkspaceService
from projectconnect.projects.writes import Writes

TASK_NOT_FOUND = "No such task."
UNKNOWN_LABEL = "Not a label of this workspace."
STALE_TASK = "The task changed since that version: reload it, or send the change again."

Row = TypeVar("Row")


class _NoPersonalWorkspace(Exception):
    """The caller has no personal workspace yet (it is made on first use)."""


@dataclass(frozen=True, slots=True)
class Page(Generic[Row]):
    items: Sequence[Row]
    next_cursor: str | None


def page_of(rows: Sequence[Row], limit: int, position: Callable[[Row], Position]) -> Page[Row]:
    """A page from up to `limit + 1` rows in keyset order: the extra one tells whether
    another page exists; the `position` of the page's last row is the next cursor."""
    more = len(rows) > limit
    return Page(
        items=rows[:limit], next_cursor=position(rows[limit - 1]).encode() if more else None
    )


def next_cursor(rows: Sequence[Sorted[object]], limit: int, plan: Plan) -> str | None:
    """From up to `limit + 1` rows: the extra one tells whether another page exists, and
    the position of the page's last row is the next page's cursor."""
    if len(rows) <= limit:
        return None
    _, segment, values = rows[limit - 1]
    return plan.cursor(segment, values)


@dataclass(frozen=True, slots=True)
class TaskView:
    """A task with its assignees and labels (user and label ids, sorted)."""

    task: Task
    assignees: list[uuid.UUID]
    labels: list[uuid.UUID]


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
        self,
        user_id: uuid.UUID,
        limit: int,
        cursor: str | None,
        workspace: str | None = None,
        query: ProjectQuery | None = None,
    ) -> Page[ProjectView]:
        """Every project the caller may see (newest first unless `query` sorts otherwise),
        only one workspace's if named."""
        query = query or ProjectQuery()
        plan = query.plan(cursor)
        async with self.db.reading() as session:
            workspace_id = None
            if workspace is not None:
                _, grant = await Access(session, user_id).workspace(workspace, Action.READ)
                workspace_id = grant.workspace_id
            rows = await VisibleProjects(session, user_id).list_page(
                limit + 1, query, plan, workspace_id
            )
        views = [ProjectView(project, role) for (project, role), _, _ in rows[:limit]]
        return Page(items=views, next_cursor=next_cursor(rows, limit, plan))

    async def create_project(
        self, user_id: uuid.UUID, data: ProjectCreate, workspace: str | None = None
    ) -> ProjectView:
        """In the workspace named, or (`POST /projects`) in the caller's personal one."""
        if workspace is None:
            try:
                return await self._create_project(user_id, data, None)
            except _NoPersonalWorkspace:  # the caller's first use: made, then used
                workspace = str(await self.workspaces.personal(user_id))
        return await self._create_project(user_id, data, workspace)

    async def _create_project(
        self, user_id: uuid.UUID, data: ProjectCreate, workspace: str | uuid.UUID | None
    ) -> ProjectView:
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            if workspace is None:  # looked up in the write's own transaction
                home = await unit.personal(Action.EDIT)
                if home is None:
                    raise _NoPersonalWorkspace()
                _, grant = home
            else:
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
            await unit.session.flush()  # the log's entries refer to it
            ActivityLog(unit.session, user_id, now).project_created(project)
            unit.touch_project(project)
        return ProjectView(project, grant.role)

    async def get_project(self, user_id: uuid.UUID, project_id: str) -> ProjectView:
        async with self.db.reading() as session:
            project, grant = await Access(session, user_id).project(project_id, Action.READ)
        return ProjectView(project, grant.role)

    async def update_project(
        self, user_id: uuid.UUID, project_id: str, data: ProjectUpdate
    ) -> ProjectView:
        changes = data.model_dump(exclude_unset=True)
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(project_id, Action.EDIT, for_update=True)
            before = project_state(project)
            for field, value in changes.items():
                setattr(project, field, value)
            if changes:
                project.updated_at = utcnow()
                ActivityLog(unit.session, user_id, project.updated_at).project_changed(
                    project, before
                )
            unit.touch_project(project)
        return ProjectView(project, grant.role)

    async def archive_project(
        self, user_id: uuid.UUID, project_id: str, *, archived: bool
    ) -> ProjectView:
        """Archive a project (out of the default lists, kept whole) or bring it back; doing
        it twice changes nothing (an archived project keeps when it was archived)."""
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(project_id, Action.EDIT, for_update=True)
            was = project.archived_at is not None
            if archived and not was:
                project.archived_at = utcnow()
            elif not archived:
                project.archived_at = None
            if archived != was:
                kind = "archived" if archived else "unarchived"
                ActivityLog(unit.session, user_id, utcnow()).record(
                    project.id, None, [Change(kind)]
                )
            unit.touch_project(project)
        return ProjectView(project, grant.role)

    async def delete_project(self, user_id: uuid.UUID, project_id: str) -> None:
        """To the workspace's trash, with its tasks (`projects.trash`). Deleting what is
        already in the trash changes nothing and succeeds: a resent DELETE (a client's
        retry, the gateway's after a dropped connection) finds what it asked for done."""
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(
                project_id, Action.EDIT, for_update=True, trashed=True
            )
            if project.deleted_at is not None:
                return
            await ProjectRepository(unit.session, grant).trash(project, user_id, now)
            ActivityLog(unit.session, user_id, now).record(project.id, None, [Change("deleted")])
            unit.touch_project(project)

    async def list_tasks(
        self,
        user_id: uuid.UUID,
        project_id: str,
        limit: int,
        cursor: str | None,
        query: TaskQuery | None = None,
    ) -> tuple[Page[TaskView], ProjectView, bool]:
        """A page of the project's tasks (`query`: filtered and sorted; else the oldest
        first), the project, and whether every id the query names is the workspace's own
        (a label, a member): only such a list's pages may be shared through the cache."""
        query = query or TaskQuery()
        plan = query.plan(cursor)
        async with self.db.reading() as session:
            project, grant = await Access(session, user_id).project(project_id, Action.READ)
            tasks = TaskRepository(session, grant, project)
            rows = await tasks.list_page(limit + 1, plan, query.conditions())
            views = await _views(tasks, [task for task, _, _ in rows[:limit]])
            known = await _known(session, grant, query)
        page = Page(items=views, next_cursor=next_cursor(rows, limit, plan))
        return page, ProjectView(project, grant.role), known

    async def get_task(
        self, user_id: uuid.UUID, project_id: str, task_id: str
    ) -> tuple[TaskView, ProjectView]:
        tid = parse_id(task_id, TASK_NOT_FOUND)
        async with self.db.reading() as session:
            project, grant = await Access(session, user_id).project(project_id, Action.READ)
            tasks = TaskRepository(session, grant, project)
            task = await tasks.get(tid)
            if task is None:
                raise NotFound(TASK_NOT_FOUND)
            (view,) = await _views(tasks, [task])
        return view, ProjectView(project, grant.role)

    async def create_task(self, user_id: uuid.UUID, project_id: str, data: TaskCreate) -> TaskView:
        now = utcnow()
        status = data.status or "todo"
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(project_id, Action.EDIT, for_update=True)
            tasks = TaskRepository(unit.session, grant, project)
            await _check_links(unit.session, grant, data.assignees, data.labels)
            # The first write: from here on, SQLite's writers wait for this one as well.
            await ProjectRepository(unit.session, grant).adjust_counts(
                project.id, tasks=counted(status), done=int(status == DONE)
            )
            task = Task(
                id=uuid.uuid4(),
                project_id=project.id,
                workspace_id=project.workspace_id,
                created_by=user_id,
                title=data.title,
                description=data.description,
                status=status,
                done=status == DONE,
                priority=data.priority or "none",
                due_date=data.due_date,
                completed_at=now if status == DONE else None,
                position=key_between(await tasks.last_position(status), None),
                version=1,
                created_at=now,
                updated_at=now,
            )
            tasks.add(task)
            try:
                await unit.session.flush()
            except IntegrityError as exc:  # SQLite: the project was deleted meanwhile
                raise NotFound(PROJECT_NOT_FOUND) from exc
            await tasks.set_assignees(task.id, data.assignees or [])
            await tasks.set_labels(task.id, data.labels or [])
            await _flush_links(unit.session)
            log = ActivityLog(unit.session, user_id, now)
            log.task_created(task)
            log.task_changed(task, task_state(task, [], []), task_state(task, *_links(data)))
            await Notifier(unit.session, user_id, now).task_written(
                task,
                assignees_before=(),
                assignees_after=data.assignees or (),
                description_before=None,
            )
            unit.touch_project(project)
            unit.touch_task(task)
        return TaskView(task, sorted(set(data.assignees or [])), sorted(set(data.labels or [])))

    async def update_task(
        self,
        user_id: uuid.UUID,
        project_id: str,
        task_id: str,
        data: TaskUpdate,
        if_match: int | None = None,
    ) -> TaskView:
        """Change a task; with `if_match`, only if it is still at that version (else 412)."""
        tid = parse_id(task_id, TASK_NOT_FOUND)
        changes = data.model_dump(exclude_unset=True)
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(project_id, Action.EDIT)
            tasks = TaskRepository(unit.session, grant, project)
            if not changes:
                return await _unchanged(tasks, tid, if_match)
            # The first write, which locks the task and returns it as it now is.
            task = await tasks.bump(tid, now, if_match)
            if task is None:
                if await tasks.get(tid) is None:
                    raise NotFound(TASK_NOT_FOUND)
                raise PreconditionFailed(STALE_TASK)
            await _check_links(unit.session, grant, data.assignees, data.labels)
            (was,) = await _views(tasks, [task])
            before = task_state(task, was.assignees, was.labels)  # re-reads refresh `task`
            was_described = task.description
            old = task.status
            new = next_status(old, changes)
            values: dict[str, object] = {
                k: changes[k]
                for k in ("title", "description", "priority", "due_date")
                if k in changes
            }
            if new != old or "after" in changes or "before" in changes:
                if not await ProjectRepository(unit.session, grant).lock(project.id):
                    raise NotFound(PROJECT_NOT_FOUND)
                values["position"] = await _placement(tasks, task, new, data)
            if new != old:
                values.update(status=new, done=new == DONE)
                values["completed_at"] = now if new == DONE else None
                await ProjectRepository(unit.session, grant).adjust_counts(
                    project.id,
                    tasks=counted(new) - counted(old),
                    done=int(new == DONE) - int(old == DONE),
                )
            if values:
                await tasks.update(tid, **values)
            assignees, labels = was.assignees, was.labels
            if data.assignees is not None:
                await tasks.set_assignees(tid, data.assignees)
                assignees = sorted(set(data.assignees))
            if data.labels is not None:
                await tasks.set_labels(tid, data.labels)
                labels = sorted(set(data.labels))
            await _flush_links(unit.session)
            # What the update wrote, as the task's loaded state (no re-read: the row is
            # locked by this write, and nothing else in it changed).
            for field, value in values.items():
                set_committed_value(task, field, value)
            view = TaskView(task, assignees, labels)
            ActivityLog(unit.session, user_id, now).task_changed(
                task, before, task_state(task, view.assignees, view.labels)
            )
            await Notifier(unit.session, user_id, now).task_written(
                task,
                assignees_before=was.assignees,
                assignees_after=assignees,
                description_before=was_described,
            )
            unit.touch_project(project)
            unit.touch_task(task)
        return view

    async def delete_task(self, user_id: uuid.UUID, project_id: str, task_id: str) -> None:
        """To the workspace's trash: it leaves its project's counts (`projects.trash`).
        A task already in the trash succeeds unchanged, as `delete_project` does."""
        tid = parse_id(task_id, TASK_NOT_FOUND)
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(project_id, Action.EDIT)
            tasks = TaskRepository(unit.session, grant, project)
            status = await tasks.trash(tid, user_id, now)
            if status is None:
                if await tasks.in_trash(tid):
                    return
                raise NotFound(TASK_NOT_FOUND)
            await ProjectRepository(unit.session, grant).adjust_counts(
                project.id, tasks=-counted(status), done=-int(status == DONE)
            )
            ActivityLog(unit.session, user_id, now).record(project.id, tid, [Change("deleted")])
            unit.touch_project(project)


async def _views(tasks: TaskRepository, rows: Sequence[Task]) -> list[TaskView]:
    assignees, labels = await tasks.assignees_and_labels([t.id for t in rows])
    return [TaskView(t, assignees[t.id], labels[t.id]) for t in rows]


def _links(data: TaskCreate) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    return list(data.assignees or []), list(data.labels or [])


async def _known(session: AsyncSession, grant: Grant, query: TaskQuery) -> bool:
    """Whether the labels and people a query names are the workspace's labels and members."""
    if query.labels and await LabelRepository(session, grant).known(query.labels) != query.labels:
        return False
    members = Members(session, grant.workspace_id)
    return not query.assignees or await members.among(query.assignees) == query.assignees


async def _unchanged(tasks: TaskRepository, task_id: uuid.UUID, if_match: int | None) -> TaskView:
    task = await tasks.get(task_id)
    if task is None:
        raise NotFound(TASK_NOT_FOUND)
    if if_match is not None and task.version != if_match:
        raise PreconditionFailed(STALE_TASK)
    (view,) = await _views(tasks, [task])
    return view


async def _check_links(
    session: AsyncSession,
    grant: Grant,
    assignees: Sequence[uuid.UUID] | None,
    labels: Sequence[uuid.UUID] | None,
) -> None:
    """Assignees must be members of the workspace, labels its own: else 422 naming them."""
    if assignees:
        strangers = set(assignees) - await Members(session, grant.workspace_id).among(assignees)
        if strangers:
            raise field_error(
                "assignees", "not_a_member", "Only members of the workspace can be assigned."
            )
    if labels and set(labels) - await LabelRepository(session, grant).known(labels):
        raise field_error("labels", "unknown_label", UNKNOWN_LABEL)


async def _flush_links(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # a label deleted since it was checked
        raise field_error("labels", "unknown_label", UNKNOWN_LABEL) from exc


async def _placement(tasks: TaskRepository, task: Task, status: str, data: TaskUpdate) -> str:
    """The position where the task lands in the `status` column: between the tasks named by
    `after`/`before`, else at the column's end (a move to another column) or where it is."""
    if data.after is None and data.before is None:
        if status == task.status:
            return task.position
        return key_between(await tasks.last_position(status), None)
    earlier = later = None
    if data.after is not None:
        earlier = (await _anchor(tasks, task, status, data.after, "after")).position
    if data.before is not None:
        later = (await _anchor(tasks, task, status, data.before, "before")).position
    if earlier is not None and later is None:
        later = await tasks.neighbour(status, earlier, later=True, moving=task.id)
    elif later is not None and earlier is None:
        earlier = await tasks.neighbour(status, later, later=False, moving=task.id)
    elif earlier is not None and later is not None and earlier >= later:
        raise field_error("before", "wrong_order", "`before` must come after `after`.")
    return key_between(earlier, later)


async def _anchor(
    tasks: TaskRepository, task: Task, status: str, anchor_id: uuid.UUID, field: str
) -> Task:
    anchor = await tasks.get(anchor_id)
    if anchor is None or anchor.id == task.id or anchor.status != status:
        raise field_error(field, "not_in_column", "Name another task of the same column.")
    return anchor
