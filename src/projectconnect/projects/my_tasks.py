"""My tasks: the caller's assignments across their workspaces, grouped by due date.

A task is listed while the caller is assigned to it and a member of its workspace (an
assignment ends with the membership anyway). Groups are relative to the caller's date
(`today`, which the client sends, UTC's by default); a week ends on Sunday, so on a Sunday
`this_week` is empty. Open tasks (neither done nor cancelled) fall into `overdue`, `today`,
`this_week`, `later` and `no_date`; on request, the done ones into `done`, most recently
completed first. Each group gives its count and its first `GROUP_CAP` tasks.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from sqlalchemy import ColumnElement, Select, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.infra.db import Database
from projectconnect.projects.findable import in_sight, workspaces_of
from projectconnect.projects.models import Project, Task, TaskAssignee
from projectconnect.projects.repository import links_of
from projectconnect.projects.service import TaskView
from projectconnect.projects.tasks import DONE

GROUP_CAP: Final = 100
Group = Literal["overdue", "today", "this_week", "later", "no_date", "done"]
OPEN_GROUPS: Final[tuple[Group, ...]] = ("overdue", "today", "this_week", "later", "no_date")
CLOSED = ("done", "cancelled")
_PRIORITY_ORDER = {"urgent": 0, "high": 1, "medium": 2, "low": 3, "none": 4}


def week_end(today: dt.date) -> dt.date:
    """The Sunday that ends `today`'s week (today itself on a Sunday)."""
    return today + dt.timedelta(days=6 - today.weekday())


@dataclass(frozen=True, slots=True)
class MyTask:
    view: TaskView
    project_name: str
    workspace_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class TaskGroup:
    count: int
    items: list[MyTask]


@dataclass(frozen=True, slots=True)
class Agenda:
    today: dt.date
    week_ends: dt.date
    groups: dict[Group, TaskGroup]


class MyTasksService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def agenda(
        self, user_id: uuid.UUID, today: dt.date, *, include_done: bool = False
    ) -> Agenda:
        ends = week_end(today)
        names: list[Group] = [*OPEN_GROUPS, "done"] if include_done else list(OPEN_GROUPS)
        async with self.db.reading() as session:
            groups = await _first_of_each(session, user_id, _groups(today, ends), names)
            await _add_links(session, [t for g in groups.values() for t in g.items])
        return Agenda(today, ends, groups)


def _assigned(user_id: uuid.UUID, *columns: Any) -> Select[Any]:
    """The caller's assignments in their workspaces: from their index on `task_assignees`."""
    mine = workspaces_of(user_id).subquery("mine")
    return (
        select(*columns)
        .select_from(TaskAssignee)
        .join(Task, Task.id == TaskAssignee.task_id)
        .join(Project, Project.id == Task.project_id)
        .join(mine, mine.c.workspace_id == Project.workspace_id)
        .where(TaskAssignee.user_id == user_id, in_sight("task"))
    )


def _groups(today: dt.date, ends: dt.date) -> dict[Group, ColumnElement[bool]]:
    is_open = Task.status.not_in(CLOSED)
    return {
        "overdue": is_open & (Task.due_date < today),
        "today": is_open & (Task.due_date == today),
        "this_week": is_open & (Task.due_date > today) & (Task.due_date <= ends),
        "later": is_open & (Task.due_date > ends),
        "no_date": is_open & Task.due_date.is_(None),
        "done": Task.status == DONE,
    }


async def _first_of_each(
    session: AsyncSession,
    user_id: uuid.UUID,
    conditions: dict[Group, ColumnElement[bool]],
    names: list[Group],
) -> dict[Group, TaskGroup]:
    """Each group's count and first `GROUP_CAP` tasks, in one read of the assignments: each
    row is tagged with its group, ranked within it and told the group's size."""
    bucket = case(*((conditions[name], literal(name)) for name in names), else_=None)
    priority = case(_PRIORITY_ORDER, value=Task.priority, else_=len(_PRIORITY_ORDER))
    tagged = _assigned(
        user_id,
        Task.id.label("task_id"),
        bucket.label("bucket"),
        Task.completed_at,
        Task.due_date,
        priority.label("priority"),
        Task.created_at,
        Project.name.label("project_name"),
        Project.workspace_id,
    ).subquery("tagged")
    done = tagged.c.bucket == literal("done")
    # Done: last completed first; open: by due date, then priority, then creation.
    order = [
        case((done, tagged.c.completed_at)).desc(),
        *(
            case((~done, key))
            for key in (tagged.c.due_date, tagged.c.priority, tagged.c.created_at)
        ),
        tagged.c.task_id,
    ]
    ranked = (
        select(
            tagged,
            func.row_number().over(partition_by=tagged.c.bucket, order_by=order).label("rank"),
            func.count().over(partition_by=tagged.c.bucket).label("total"),
        )
        .where(tagged.c.bucket.is_not(None))
        .subquery("ranked")
    )
    statement = (
        select(Task, ranked.c.bucket, ranked.c.total, ranked.c.project_name, ranked.c.workspace_id)
        .join(ranked, ranked.c.task_id == Task.id)
        .where(ranked.c.rank <= GROUP_CAP)
        .order_by(ranked.c.rank)
    )
    items: dict[Group, list[MyTask]] = {name: [] for name in names}
    counts: dict[Group, int] = {}
    for task, name, total, project_name, workspace_id in await session.execute(statement):
        items[name].append(MyTask(TaskView(task, [], []), project_name, workspace_id))
        counts[name] = int(total)
    return {name: TaskGroup(counts.get(name, 0), items[name]) for name in names}


async def _add_links(session: AsyncSession, tasks: Sequence[MyTask]) -> None:
    assignees, labels = await links_of(session, [t.view.task.id for t in tasks])
    for item in tasks:
        item.view.assignees.extend(assignees[item.view.task.id])
        item.view.labels.extend(labels[item.view.task.id])
