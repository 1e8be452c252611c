"""Queries on the projects database, every one scoped by `projects.access`.

Repositories of a workspace's content take a `Grant` (only the access module makes one)
and scope every statement to its workspace; lists across workspaces start from the
caller's memberships (`access.visible`). Workspaces, members and invitations are in
`projects.workspaces`. The directory of people (`PeopleRepository`) holds no one's data
but what the auth service publishes to every service about every user.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    Subquery,
    and_,
    bindparam,
    delete,
    exists,
    func,
    literal,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from projectconnect.infra.events import UserProfile
from projectconnect.projects.access import Grant, visible
from projectconnect.projects.listing import Plan, ProjectQuery, Segment, selected_keys
from projectconnect.projects.models import (
    DeletedUser,
    Label,
    Membership,
    Person,
    Project,
    Task,
    TaskAssignee,
    TaskLabel,
    Workspace,
)

Row = TypeVar("Row")


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


class PersonRepository:
    """What concerns one person as a whole: their account's fate."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.session = session
        self.user_id = user_id

    async def lock(self) -> None:
        """Serialise this person's writes with their account's deletion.

        PostgreSQL takes a transaction-scoped advisory lock; SQLite has one writer anyway.
        """
        if is_postgres(self.session):
            await self.session.execute(select(self._advisory_lock()))

    def _advisory_lock(self) -> ColumnElement[Any]:
        """PostgreSQL's transaction-scoped lock on this person, as a column of a statement."""
        key = int.from_bytes(self.user_id.bytes[:8], "big", signed=True)
        return func.pg_advisory_xact_lock(key)

    async def is_deleted(self) -> bool:
        return await self.session.get(DeletedUser, self.user_id) is not None

    async def lock_and_look(self) -> bool:
        """`lock`, then whether the account is deleted: one statement on PostgreSQL.

        Its look may predate a deletion committed while it waited for the lock (the
        statement's snapshot is taken before); the look again before commit sees it.
        """
        if not is_postgres(self.session):
            return await self.is_deleted()
        statement = select(self._advisory_lock(), self.deleted())
        return bool((await self.session.execute(statement)).one()[1])

    def deleted(self) -> ColumnElement[bool]:
        """Whether the account is deleted, as a column of a statement."""
        return exists().where(DeletedUser.user_id == self.user_id)

    async def memberships(self) -> Sequence[Membership]:
        statement = select(Membership).where(Membership.user_id == self.user_id)
        return (await self.session.scalars(statement)).all()

    async def personal_workspace(self) -> Workspace | None:
        statement = select(Workspace).where(Workspace.personal_of == self.user_id)
        return (await self.session.scalars(statement)).one_or_none()


Sorted = tuple[Row, Segment, tuple[object, ...]]
"""A row of a sorted list, the segment it was read from and its sort key's values."""


class VisibleProjects:
    """The projects a person may see, across their workspaces, with their role in each."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.session = session
        self.user_id = user_id

    async def list_page(
        self,
        limit: int,
        query: ProjectQuery,
        plan: Plan,
        workspace_id: uuid.UUID | None = None,
    ) -> list[Sorted[tuple[Project, str]]]:
        ((segment, after),) = plan.steps
        if is_postgres(self.session) and query.text is None:
            statement = _project_page(
                query.sort, query.archived, workspace_id is not None, after is not None
            )
            values: dict[str, object] = {"user_id": self.user_id, "limit": limit}
            if workspace_id is not None:
                values["workspace_id"] = workspace_id
            for i, value in enumerate(after or ()):
                values[f"after_{i}"] = value
            rows = await self.session.execute(statement, values)
            return [((row[0], row[1]), segment, tuple(row[2:])) for row in rows]
        mine = visible(self.user_id)
        if workspace_id is not None:
            mine = mine.where(Membership.workspace_id == workspace_id)
        memberships = mine.subquery("mine")
        # What is in the trash is out of every list.
        conditions = [Project.deleted_at.is_(None), *query.conditions()]
        if after is not None:
            conditions.append(segment.after(after))
        keys = selected_keys(segment)
        if is_postgres(self.session):
            ordered = _lateral_page(memberships, segment, conditions, limit)
        else:
            statement = select(Project, memberships.c.role, *keys).join(
                memberships, memberships.c.workspace_id == Project.workspace_id
            )
            ordered = statement.where(*conditions).order_by(*segment.order_by())
        rows = await self.session.execute(ordered.limit(limit))
        return [((row[0], row[1]), segment, tuple(row[2:])) for row in rows]


def _lateral_page(
    memberships: Subquery,
    segment: Segment,
    conditions: Sequence[ColumnElement[bool]],
    limit: int | BindParameter[int],
) -> Select[Any]:
    """Each workspace's first `limit` through its index, then the first of those: a page
    costs `limit` rows per workspace, however many projects there are."""
    keys = selected_keys(segment)
    first = (
        select(Project, *keys)
        .where(Project.workspace_id == memberships.c.workspace_id, *conditions)
        .order_by(*segment.order_by())
        .limit(limit)
        .lateral("first")
    )
    projects = aliased(Project, first)
    columns = [first.c[key.name] for key in keys]
    statement = (
        select(projects, memberships.c.role, *columns).select_from(memberships).join(first, true())
    )
    return statement.order_by(*(c.desc() if segment.descending else c.asc() for c in columns))


@functools.cache
def _project_page(sort: str, archived: bool, one_workspace: bool, after: bool) -> Select[Any]:
    """A list page's statement on PostgreSQL, built once per shape: every value (the caller,
    the workspace, the cursor's keys, the limit) is a bound parameter. Building the lateral
    join and its aliased entity costs more than running it."""
    query = ProjectQuery(sort=sort, archived=archived)
    segment = query.segment()
    mine = select(Membership.workspace_id, Membership.role).where(
        Membership.user_id == bindparam("user_id")
    )
    if one_workspace:
        mine = mine.where(Membership.workspace_id == bindparam("workspace_id"))
    conditions = [Project.deleted_at.is_(None), *query.conditions()]
    if after:
        keys = [
            bindparam(f"after_{i}", type_=k.expression.type) for i, k in enumerate(segment.keys)
        ]
        conditions.append(segment.after(keys))
    limit = bindparam("limit", type_=Integer)
    return _lateral_page(mine.subquery("mine"), segment, conditions, limit).limit(limit)


class ProjectRepository:
    """Projects of the workspace a grant is for; every statement is scoped to it."""

    def __init__(self, session: AsyncSession, grant: Grant) -> None:
        self.session = session
        self.workspace_id = grant.workspace_id

    def add(self, project: Project) -> None:
        if project.workspace_id != self.workspace_id:
            raise ValueError("a project goes into the workspace of the grant")
        self.session.add(project)

    async def trash(self, project: Project, by: uuid.UUID, at: dt.datetime) -> None:
        """Move the project to the trash: it and its tasks leave every read."""
        await self.session.execute(
            update(Project)
            .where(Project.id == project.id, Project.workspace_id == self.workspace_id)
            .values(deleted_at=at, deleted_by=by)
            .execution_options(synchronize_session=False)
        )

    async def lock(self, project_id: uuid.UUID) -> bool:
        """Hold the project's row until commit: the task writes that place tasks in its
        columns take their turns. False when it is gone."""
        statement = (
            select(Project.id)
            .where(Project.id == project_id, Project.workspace_id == self.workspace_id)
            .with_for_update()
        )
        return (await self.session.execute(statement)).first() is not None

    async def adjust_counts(self, project_id: uuid.UUID, *, tasks: int, done: int) -> None:
        """Change the stored counts in SQL, so concurrent task writes never lose an update."""
        await self.session.execute(
            update(Project)
            .where(Project.id == project_id, Project.workspace_id == self.workspace_id)
            .values(
                task_count=Project.task_count + tasks,
                done_count=Project.done_count + done,
            )
            .execution_options(synchronize_session=False)
        )


class TaskRepository:
    """Tasks of one project, reached through `Access.project`: its workspace is the grant's."""

    def __init__(self, session: AsyncSession, grant: Grant, project: Project) -> None:
        if project.workspace_id != grant.workspace_id:
            raise ValueError("the project is not in the workspace of the grant")
        self.session = session
        self.project_id = project.id

    def _scoped(self) -> Select[Task]:
        """The project's tasks that are not in the trash: where every read starts."""
        return select(Task).where(Task.project_id == self.project_id, Task.deleted_at.is_(None))

    def _is_task(self, task_id: uuid.UUID) -> ColumnElement[bool]:
        return and_(
            Task.project_id == self.project_id, Task.id == task_id, Task.deleted_at.is_(None)
        )

    async def list_page(
        self, limit: int, plan: Plan, conditions: Sequence[ColumnElement[bool]]
    ) -> list[Sorted[Task]]:
        """Up to `limit` tasks of the list: each segment of the plan in turn, one index
        range scan each, until the page is full."""
        found: list[Sorted[Task]] = []
        for segment, after in plan.steps:
            statement = self._scoped().add_columns(*selected_keys(segment))
            statement = statement.where(segment.where, *conditions)
            if after is not None:
                statement = statement.where(segment.after(after))
            statement = statement.order_by(*segment.order_by()).limit(limit - len(found))
            rows = await self.session.execute(statement)
            found.extend((row[0], segment, tuple(row[1:])) for row in rows)
            if len(found) >= limit:
                break
        return found

    async def get(self, task_id: uuid.UUID, *, for_update: bool = False) -> Task | None:
        statement = self._scoped().where(Task.id == task_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).one_or_none()

    async def get_fresh(self, task_id: uuid.UUID) -> Task | None:
        """Re-read a task, overwriting what the session holds, after SQL-level updates."""
        statement = (
            self._scoped().where(Task.id == task_id).execution_options(populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()

    def add(self, task: Task) -> None:
        if task.project_id != self.project_id:
            raise ValueError("a task goes into the project it was reached through")
        self.session.add(task)

    async def update(self, task_id: uuid.UUID, **values: object) -> None:
        await self.session.execute(
            update(Task)
            .where(self._is_task(task_id))
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def bump(self, task_id: uuid.UUID, now: dt.datetime, version: int | None) -> Task | None:
        """The task at its next version, if it is there (and at `version`, when given): the
        change's first write, which locks the row (PostgreSQL) or the database (SQLite),
        returning the row as it now is (None: no such task, or not at `version`)."""
        condition = self._is_task(task_id)
        if version is not None:
            condition = and_(condition, Task.version == version)
        statement = (
            update(Task)
            .where(condition)
            .values(version=Task.version + 1, updated_at=now)
            .returning(Task)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def last_position(self, status: str) -> str | None:
        statement = (
            select(Task.position)
            .where(
                Task.project_id == self.project_id,
                Task.status == status,
                Task.deleted_at.is_(None),
            )
            .order_by(Task.position.desc())
            .limit(1)
        )
        return (await self.session.scalars(statement)).first()

    async def neighbour(
        self, status: str, position: str, *, later: bool, moving: uuid.UUID
    ) -> str | None:
        """The position next to `position` in a status column (later or earlier), if any,
        not counting the task being moved."""
        column = and_(
            Task.project_id == self.project_id,
            Task.status == status,
            Task.id != moving,
            Task.deleted_at.is_(None),
        )
        if later:
            statement = select(Task.position).where(column, Task.position > position)
            statement = statement.order_by(Task.position).limit(1)
        else:
            statement = select(Task.position).where(column, Task.position < position)
            statement = statement.order_by(Task.position.desc()).limit(1)
        return (await self.session.scalars(statement)).first()

    async def assignees_and_labels(
        self, task_ids: Sequence[uuid.UUID]
    ) -> tuple[dict[uuid.UUID, list[uuid.UUID]], dict[uuid.UUID, list[uuid.UUID]]]:
        return await links_of(self.session, task_ids)

    async def set_assignees(self, task_id: uuid.UUID, user_ids: Iterable[uuid.UUID]) -> None:
        """Replace the task's assignees (the task is the grant's: reached through it)."""
        await self.session.execute(delete(TaskAssignee).where(TaskAssignee.task_id == task_id))
        self.session.add_all(TaskAssignee(task_id=task_id, user_id=u) for u in set(user_ids))

    async def set_labels(self, task_id: uuid.UUID, label_ids: Iterable[uuid.UUID]) -> None:
        await self.session.execute(delete(TaskLabel).where(TaskLabel.task_id == task_id))
        self.session.add_all(TaskLabel(task_id=task_id, label_id=i) for i in set(label_ids))

    async def trash(self, task_id: uuid.UUID, by: uuid.UUID, at: dt.datetime) -> str | None:
        """Move a task to the trash; its status, or None when no such task was there."""
        result = await self.session.execute(
            update(Task)
            .where(self._is_task(task_id))
            .values(deleted_at=at, deleted_by=by)
            .returning(Task.status)
            .execution_options(synchronize_session=False)
        )
        row = result.first()
        return None if row is None else str(row[0])

    async def in_trash(self, task_id: uuid.UUID) -> bool:
        statement = select(Task.id).where(
            Task.project_id == self.project_id, Task.id == task_id, Task.deleted_at.is_not(None)
        )
        return (await self.session.execute(statement)).first() is not None


async def links_of(
    session: AsyncSession, task_ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, list[uuid.UUID]], dict[uuid.UUID, list[uuid.UUID]]]:
    """Each task's assignees and labels (sorted ids), in one statement for a page: of tasks
    the caller was already found to see."""
    assignees: dict[uuid.UUID, list[uuid.UUID]] = {t: [] for t in task_ids}
    labels: dict[uuid.UUID, list[uuid.UUID]] = {t: [] for t in task_ids}
    if not task_ids:
        return assignees, labels
    # One statement for both: the assignees (kind 0), then the labels (kind 1).
    people = select(
        TaskAssignee.task_id, TaskAssignee.user_id.label("ref"), literal(0, Integer).label("kind")
    ).where(TaskAssignee.task_id.in_(task_ids))
    tags = select(TaskLabel.task_id, TaskLabel.label_id, literal(1, Integer)).where(
        TaskLabel.task_id.in_(task_ids)
    )
    both = union_all(people, tags)
    columns = both.selected_columns
    rows = await session.execute(both.order_by(columns.kind, columns.task_id, columns.ref))
    for task_id, ref, kind in rows:
        (labels if kind else assignees)[task_id].append(ref)
    return assignees, labels


class LabelRepository:
    """Labels of the workspace a grant is for."""

    def __init__(self, session: AsyncSession, grant: Grant) -> None:
        self.session = session
        self.workspace_id = grant.workspace_id

    async def in_workspace(self) -> Sequence[Label]:
        statement = (
            select(Label)
            .where(Label.workspace_id == self.workspace_id)
            .order_by(Label.name, Label.id)
        )
        return (await self.session.scalars(statement)).all()

    async def get(self, label_id: uuid.UUID) -> Label | None:
        statement = select(Label).where(
            Label.workspace_id == self.workspace_id, Label.id == label_id
        )
        return (await self.session.scalars(statement)).one_or_none()

    def add(self, label: Label) -> None:
        if label.workspace_id != self.workspace_id:
            raise ValueError("a label goes into the workspace of the grant")
        self.session.add(label)

    async def known(self, label_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Those of `label_ids` that are labels of this workspace."""
        wanted = set(label_ids)
        if not wanted:
            return set()
        statement = select(Label.id).where(
            Label.workspace_id == self.workspace_id, Label.id.in_(wanted)
        )
        return set((await self.session.scalars(statement)).all())

    async def projects_using(self, label_id: uuid.UUID) -> list[uuid.UUID]:
        """The projects with a task that carries the label: their task lists show it."""
        statement = (
            select(Task.project_id)
            .join(TaskLabel, TaskLabel.task_id == Task.id)
            .where(TaskLabel.label_id == label_id)
            .distinct()
        )
        return list((await self.session.scalars(statement)).all())

    async def delete(self, label_id: uuid.UUID) -> None:
        # Off the tasks first, then the label: a task write that is putting it on meanwhile
        # is waited for rather than deadlocked with (it holds a key-share lock on the label).
        await self.session.execute(delete(TaskLabel).where(TaskLabel.label_id == label_id))
        await self.session.execute(
            delete(Label).where(Label.workspace_id == self.workspace_id, Label.id == label_id)
        )


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
        dialect = postgresql if is_postgres(self.session) else sqlite
        statement = dialect.insert(Person).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[Person.user_id],
            set_={name: statement.excluded[name] for name in values if name != "user_id"},
            where=Person.profile_version < statement.excluded.profile_version,
        ).returning(Person.user_id)
        return (await self.session.execute(statement)).first() is not None

    async def remove(self, user_id: uuid.UUID) -> None:
        await self.session.execute(delete(Person).where(Person.user_id == user_id))
