"""Every write of the projects service goes through one unit of work.

`Writes.open` hands out a `Unit`: a session, the caller's `Access`, and a record of what the
write touches. When the body is done the unit commits in a fixed order, the one place
where the rules around a commit live:

1. flush, so on SQLite this transaction holds the one write lock and what it reads next
   is current ("write first, then look"); a row changed here that another write removed
   since it was read is a 404, not an error;
2. refuse what a deleted account's still-valid token wrote (looked at when the unit opens,
   and again here);
3. look again at every grant the write relied on: a membership removed or weakened while
   the write ran refuses it (404/403), so no one writes after losing access;
4. fence the read caches of every scope touched (every member's view of a workspace, each
   project), or refuse with 503 before committing;
5. commit, then give the touched scopes new generations;
6. publish the write's change notices (`projects/live.py`) to the live streams.

On PostgreSQL a write holds its workspace's advisory lock (shared for content, exclusive
for memberships), so membership changes and content writes of a workspace never
interleave, and every member's view it fans out to is the current set of members.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from projectconnect.infra.cache import CacheUnavailable
from projectconnect.infra.db import Database
from projectconnect.infra.problems import NotFound, ServiceUnavailable, Unauthorized
from projectconnect.projects.access import PROJECT_NOT_FOUND, Access, Action, Grant, decide
from projectconnect.projects.cache import ReadCache, person_scope, project_scope
from projectconnect.projects.live import Notice, Publisher, announced
from projectconnect.projects.models import Membership, Project, Task, Workspace
from projectconnect.projects.repository import PersonRepository, is_postgres

# The first key of the two-key advisory locks on workspaces (PostgreSQL keeps them apart
# from the one-key locks on people).
WORKSPACE_LOCKS = 0x5057


GONE_MEANWHILE = "It was deleted while this change was being made."


class CacheFenceUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__("Changes are paused while the cache is unreachable; try again shortly.")


class Unit:
    """One write: its session, the caller's access, and the scopes it touches."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID | None) -> None:
        self.session = session
        self.user_id = user_id
        self._relied_on: dict[tuple[uuid.UUID, Action], Grant] = {}
        self._workspaces: set[uuid.UUID] = set()
        self._people: set[uuid.UUID] = set()
        self._projects: dict[uuid.UUID, uuid.UUID] = {}  # each touched project's workspace
        self._tasks: dict[uuid.UUID, tuple[uuid.UUID, int]] = {}  # workspace, version after
        self._locked: dict[uuid.UUID, bool] = {}

    @property
    def access(self) -> Access:
        if self.user_id is None:
            raise RuntimeError("a write on no one's behalf has no access to resolve")
        return Access(self.session, self.user_id)

    async def workspace(
        self, workspace_id: str | uuid.UUID, action: Action
    ) -> tuple[Workspace, Grant]:
        workspace, grant = await self.access.workspace(workspace_id, action)
        await self.rely_on(grant, action)
        return workspace, grant

    async def personal(self, action: Action) -> tuple[Workspace, Grant] | None:
        """The caller's personal workspace, if made (`Access.personal`)."""
        found = await self.access.personal(action)
        if found is not None:
            await self.rely_on(found[1], action)
        return found

    async def project(
        self, project_id: str, action: Action, *, for_update: bool = False, trashed: bool = False
    ) -> tuple[Project, Grant]:
        """The project and the caller's grant; `for_update` locks its row (after the
        workspace's lock, the order every write takes them in); `trashed` finds it in the
        trash too (`Access.project`)."""
        project, grant = await self.access.project(project_id, action, trashed=trashed)
        await self.rely_on(grant, action)
        if for_update:
            statement = (
                select(Project)
                .where(Project.id == project.id, Project.workspace_id == grant.workspace_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            if not trashed:
                statement = statement.where(Project.deleted_at.is_(None))
            found = (await self.session.scalars(statement)).one_or_none()
            if found is None:  # deleted meanwhile
                raise NotFound(PROJECT_NOT_FOUND)
            project = found
        return project, grant

    async def rely_on(self, grant: Grant, action: Action) -> None:
        """This write needs `grant` to still allow `action` when it commits."""
        await self.lock_workspace(grant.workspace_id, exclusive=False)
        self._relied_on[(grant.workspace_id, action)] = grant

    async def lock_workspace(self, workspace_id: uuid.UUID, *, exclusive: bool) -> None:
        """PostgreSQL's advisory lock on the workspace, to commit (SQLite has one writer)."""
        held = self._locked.get(workspace_id)
        if held is not None and (held or not exclusive):
            return
        if held is not None:
            raise RuntimeError("a shared workspace lock cannot be made exclusive")
        if is_postgres(self.session):
            lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
            key = zlib.crc32(workspace_id.bytes) - 2**31
            await self.session.execute(select(lock(WORKSPACE_LOCKS, key)))
        self._locked[workspace_id] = exclusive

    def forget_grants(self) -> None:
        """The write itself ends or weakens the caller's role (leaving, handing over
        ownership): what it was allowed to do was decided under the workspace's lock."""
        self._relied_on.clear()

    def touch_workspace(self, workspace_id: uuid.UUID) -> None:
        """What every member sees of the workspace changed (their lists, their access)."""
        self._workspaces.add(workspace_id)

    def touch_person(self, user_id: uuid.UUID) -> None:
        """One person's memberships changed."""
        self._people.add(user_id)

    def touch_project(self, project: Project) -> None:
        """The project changed, and with it what its workspace's members see in their lists."""
        self._projects[project.id] = project.workspace_id
        self._workspaces.add(project.workspace_id)

    def touch_task(self, task: Task) -> None:
        """The write leaves `task` at `task.version` (no later statement of it changes the
        version): its live notice needs no look-up."""
        self._tasks[task.id] = (task.workspace_id, task.version)

    def touch_projects(self, workspace_id: uuid.UUID, project_ids: Iterable[uuid.UUID]) -> None:
        """Projects of a workspace whose tasks changed, known by id only."""
        for project_id in project_ids:
            self._projects[project_id] = workspace_id
            self._workspaces.add(workspace_id)

    async def _look_again(self, person: PersonRepository | None) -> set[str]:
        """Before commit: refuse the write if `person`'s account is deleted, or a grant it
        relied on no longer allows what it did; then the read-cache scopes it touched,
        every member of a touched workspace among them. One statement on PostgreSQL."""
        relied = list(self._relied_on.items())
        columns: list[ColumnElement[Any]] = [] if person is None else [person.deleted()]
        if relied:
            access = self.access
            columns += [access.role_query(w).scalar_subquery() for (w, _), _ in relied]
        in_workspaces = Membership.workspace_id.in_(self._workspaces)
        along = bool(self._workspaces) and is_postgres(self.session)
        if along:  # the members in the same statement, as one array
            members = select(func.array_agg(Membership.user_id)).where(in_workspaces)
            columns.append(members.scalar_subquery())
        found = list((await self.session.execute(select(*columns))).one()) if columns else []
        people = set(self._people)
        if along:
            people.update(found.pop() or ())
        elif self._workspaces:  # SQLite, in process: no round trip to save
            people.update(
                await self.session.scalars(select(Membership.user_id).where(in_workspaces))
            )
        if person is not None and found.pop(0):
            raise _deleted_account()
        for ((workspace_id, action), grant), role in zip(relied, found, strict=True):
            decide(grant.user_id, workspace_id, role, action)
        return {person_scope(p) for p in people} | {project_scope(p) for p in self._projects}


class Writes:
    def __init__(self, db: Database, read_cache: ReadCache, publisher: Publisher) -> None:
        self.db = db
        self.read_cache = read_cache
        self.publisher = publisher

    @asynccontextmanager
    async def open(self, user_id: uuid.UUID | None) -> AsyncIterator[Unit]:
        """A write on behalf of `user_id` (None: an event's effect), committed at the end."""
        async with self.db.writer_turn(), self.db.session() as session:
            unit = Unit(session, user_id)
            person = PersonRepository(session, user_id) if user_id is not None else None
            # Serialised with the account's deletion, which takes the same lock.
            if person is not None and await person.lock_and_look():
                raise _deleted_account()
            try:
                yield unit
                await session.flush()
            except StaleDataError as exc:
                # A row this write changes was removed by another write since it was read:
                # what the caller meant to change is gone, as a retry would find.
                raise NotFound(GONE_MEANWHILE) from exc
            # The account looked at again (under SQLite's write lock), with the grants.
            scopes = await unit._look_again(person)
            notices = await _completed(session, announced(session), unit._projects, unit._tasks)
            try:
                await self.read_cache.fence(scopes)
            except CacheUnavailable as exc:
                raise CacheFenceUnavailable() from exc
            await session.commit()
        await self.read_cache.renew(scopes)
        await self.publisher.publish(notices)


async def _completed(
    session: AsyncSession,
    notices: list[Notice],
    workspace_of: Mapping[uuid.UUID, uuid.UUID],
    known_tasks: Mapping[uuid.UUID, tuple[uuid.UUID, int]],
) -> list[Notice]:
    """The notices with what the log's entries do not carry: each task's version after this
    write, and the workspace of each task, comment and project (one statement per kind; a
    project the write touched has its workspace in `workspace_of` already, and a task
    `known_tasks` its workspace and version)."""
    named = {n.task_id for n in notices if n.task_id is not None}
    of_task = {t: known_tasks[t] for t in named if t in known_tasks}
    tasks = named - of_task.keys()
    unplaced = {n.id for n in notices if n.event == "project" and n.workspace_id is None}
    of_project = {p: workspace_of[p] for p in unplaced if p in workspace_of}
    projects = unplaced - of_project.keys()
    if tasks:
        rows = await session.execute(
            select(Task.id, Task.workspace_id, Task.version).where(Task.id.in_(tasks))
        )
        of_task.update((task_id, (workspace, version)) for task_id, workspace, version in rows)
    if projects:
        found = await session.execute(
            select(Project.id, Project.workspace_id).where(Project.id.in_(projects))
        )
        of_project.update(found.tuples())
    completed = []
    for n in notices:
        if n.task_id is not None and n.task_id in of_task:
            workspace, version = of_task[n.task_id]
            n = replace(n, workspace_id=workspace, version=version if n.event == "task" else None)
        elif n.event == "project" and n.id in of_project:
            n = replace(n, workspace_id=of_project[n.id])
        if n.workspace_id is not None or n.user_id is not None:
            completed.append(n)  # else gone with its workspace, which says so itself
    return completed


def _deleted_account() -> Unauthorized:
    # A still-valid token of a deleted account: nothing it writes may survive.
    return Unauthorized("The account no longer exists.")
