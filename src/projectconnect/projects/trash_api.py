"""The projects service's routes for a workspace's trash and restoring from it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from projectconnect.infra.pagination import DEFAULT_PAGE_SIZE
from projectconnect.infra.problems import problem_responses
from projectconnect.projects.api import Cursor, Limit, project_public, task_response
from projectconnect.projects.caller import CallerDep
from projectconnect.projects.schemas import (
    ProjectPublic,
    TaskPublic,
    TrashItemPublic,
    TrashPage,
)
from projectconnect.projects.trash import TrashService

router = APIRouter(tags=["trash"], responses=problem_responses(401, 403, 404, 422, 500, 503))


def trash_of(request: Request) -> TrashService:
    service: TrashService = request.app.state.projects_trash
    return service


@router.get("/workspaces/{workspace_id}/trash")
async def list_trash(
    request: Request,
    workspace_id: str,
    caller: CallerDep,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> TrashPage:
    """Deleted projects and tasks, newest deleted first, until they are purged. A task of a
    project in the trash is listed only as part of its project."""
    service = trash_of(request)
    page = await service.list(caller.user_id, workspace_id, limit, cursor)
    items = [
        TrashItemPublic(
            kind="project" if item.kind == "project" else "task",
            id=item.id,
            project_id=item.project_id,
            title=item.title,
            deleted_at=item.deleted_at,
            deleted_by=item.deleted_by,
            purge_at=item.deleted_at + service.retention,
        )
        for item in page.items
    ]
    return TrashPage(items=items, next_cursor=page.next_cursor)


@router.post("/projects/{project_id}/restore")
async def restore_project(request: Request, project_id: str, caller: CallerDep) -> ProjectPublic:
    """The project comes back from the trash with its tasks (what is not there: as it is)."""
    return project_public(await trash_of(request).restore_project(caller.user_id, project_id))


@router.post(
    "/projects/{project_id}/tasks/{task_id}/restore",
    response_model=TaskPublic,
    responses=problem_responses(409),
)
async def restore_task(
    request: Request, project_id: str, task_id: str, caller: CallerDep
) -> Response:
    """The task comes back at the end of its status column; 409 `project_in_trash` while its
    project is in the trash (restore the project: the task comes back with it)."""
    view = await trash_of(request).restore_task(caller.user_id, project_id, task_id)
    return task_response(view)
