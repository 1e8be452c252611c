"""`GET /me/tasks`: what the caller is assigned, across their workspaces, by due date."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from projectconnect.infra.problems import problem_responses
from projectconnect.projects.api import task_public
from projectconnect.projects.caller import CallerDep
from projectconnect.projects.my_tasks import GROUP_CAP, MyTask, MyTasksService, TaskGroup
from projectconnect.projects.schemas import TaskPublic

router = APIRouter(tags=["me"], responses=problem_responses(401, 422, 500, 503))


class MyTaskPublic(TaskPublic):
    project_name: str
    workspace_id: uuid.UUID


class MyTaskGroup(BaseModel):
    count: int = Field(description=f"All the group's tasks; `items` holds the first {GROUP_CAP}.")
    items: list[MyTaskPublic]


class MyTaskGroups(BaseModel):
    overdue: MyTaskGroup
    today: MyTaskGroup
    this_week: MyTaskGroup = Field(description="After today, up to and including Sunday.")
    later: MyTaskGroup
    no_date: MyTaskGroup
    done: MyTaskGroup | None = Field(
        default=None, description="With include_done: done tasks, last completed first."
    )


class MyTasks(BaseModel):
    today: dt.date = Field(description="The date the groups are relative to.")
    week_ends: dt.date = Field(description="The Sunday that ends this week.")
    groups: MyTaskGroups


def my_tasks_of(request: Request) -> MyTasksService:
    service: MyTasksService = request.app.state.projects_my_tasks
    return service


def _public(task: MyTask) -> MyTaskPublic:
    return MyTaskPublic(
        **task_public(task.view).model_dump(),
        project_name=task.project_name,
        workspace_id=task.workspace_id,
    )


def _group(group: TaskGroup) -> MyTaskGroup:
    return MyTaskGroup(count=group.count, items=[_public(t) for t in group.items])


@router.get("/me/tasks")
async def my_tasks(
    request: Request,
    caller: CallerDep,
    today: Annotated[
        dt.date | None,
        Query(description="The caller's local date (YYYY-MM-DD); UTC's date by default."),
    ] = None,
    include_done: bool = False,
) -> MyTasks:
    """Open tasks assigned to the caller in every workspace of theirs, grouped by due date:
    overdue, today, this week (to Sunday), later, no date; with `include_done`, done too.
    Tasks in each group: by due date, then priority (urgent first), then creation."""
    date = today or dt.datetime.now(dt.UTC).date()
    agenda = await my_tasks_of(request).agenda(caller.user_id, date, include_done=include_done)
    groups = {name: _group(group) for name, group in agenda.groups.items()}
    return MyTasks(
        today=agenda.today,
        week_ends=agenda.week_ends,
        groups=MyTaskGroups(**groups),
    )
