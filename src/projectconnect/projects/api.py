"""The projects service's HTTP routes."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel

from projectconnect.infra.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from projectconnect.infra.problems import Unauthorized, problem_responses
from projectconnect.infra.security import BearerToken
from projectconnect.infra.sessions import TokenSessions
from projectconnect.infra.tokens import InvalidToken, TokenVerifier
from projectconnect.projects.cache import OwnerReadCache, PageView, canonical_id
from projectconnect.projects.models import Project, Task
from projectconnect.projects.schemas import (
    ProjectCreate,
    ProjectPage,
    ProjectPublic,
    ProjectUpdate,
    TaskCreate,
    TaskPage,
    TaskPublic,
    TaskUpdate,
)
from projectconnect.projects.service import ProjectService

router = APIRouter(
    prefix="/projects", tags=["projects"], responses=problem_responses(401, 404, 422, 500, 503)
)
Listing = ProjectPage | TaskPage


async def get_service(request: Request) -> ProjectService:
    service: ProjectService = request.app.state.projects_service
    return service


async def current_owner(token: BearerToken, request: Request) -> uuid.UUID:
    """The subject of a valid access token whose session is still active."""
    verifier: TokenVerifier = request.app.state.projects_verifier
    sessions: TokenSessions = request.app.state.projects_sessions
    try:
        claims = await verifier.verify(token)
    except InvalidToken as exc:
        raise Unauthorized("The access token is not valid.") from exc
    if not await sessions.is_active(token, claims):
        raise Unauthorized("The session has ended; log in again.")
    return claims.subject


ServiceDep = Annotated[ProjectService, Depends(get_service)]
Owner = Annotated[uuid.UUID, Depends(current_owner)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(max_length=512)]


def project_public(project: Project) -> ProjectPublic:
    progress = project.done_count * 100 // project.task_count if project.task_count else 0
    return ProjectPublic(
        id=project.id,
        name=project.name,
        description=project.description,
        created_at=project.created_at,
        updated_at=project.updated_at,
        task_count=project.task_count,
        done_count=project.done_count,
        progress=progress,
    )


def task_public(task: Task) -> TaskPublic:
    return TaskPublic.model_validate(task, from_attributes=True)


async def read_through(
    request: Request, scope: uuid.UUID, view: str | None, build: Callable[[], Awaitable[BaseModel]]
) -> Response:
    """Serve the scope's cached response bytes, or build, store and serve them.

    `view` None: not a canonical view, served from the database and stored nowhere.
    """
    if view is None:
        return Response((await build()).model_dump_json(), media_type="application/json")
    cache: OwnerReadCache = request.app.state.projects_read_cache
    generation = await cache.generation(scope)
    if generation is not None:
        cached = await cache.get(scope, generation, view)
        if cached is not None:
            return Response(cached, media_type="application/json")
    body = (await build()).model_dump_json().encode()
    if generation is not None:
        await cache.put(scope, generation, view, body)
    return Response(body, media_type="application/json")


async def read_page_through(
    request: Request, scope: uuid.UUID, page: PageView, build: Callable[[], Awaitable[Listing]]
) -> Response:
    """A page of a list through the cache: stored only at positions the server issued."""
    cache: OwnerReadCache = request.app.state.projects_read_cache
    generation = await cache.generation(scope) if cache.may_hold(page) else None
    if generation is not None:
        # Only issued positions are ever stored, so a hit needs no further check.
        cached = await cache.get(scope, generation, page.key)
        if cached is not None:
            return Response(cached, media_type="application/json")
    listing = await build()
    body = listing.model_dump_json().encode()
    if generation is not None and await cache.is_issued(scope, generation, page):
        if listing.next_cursor is not None:
            await cache.issue(scope, generation, page.after(listing.next_cursor))
        await cache.put(scope, generation, page.key, body)
    return Response(body, media_type="application/json")


@router.get("", response_model=ProjectPage)
async def list_projects(
    request: Request,
    owner: Owner,
    service: ServiceDep,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> Response:
    async def build() -> ProjectPage:
        page = await service.list_projects(owner, limit, cursor)
        return ProjectPage(
            items=[project_public(p) for p in page.items], next_cursor=page.next_cursor
        )

    return await read_page_through(request, owner, PageView("list", limit, cursor), build)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_project(body: ProjectCreate, owner: Owner, service: ServiceDep) -> ProjectPublic:
    return project_public(await service.create_project(owner, body))


@router.get("/{project_id}", response_model=ProjectPublic)
async def get_project(
    request: Request, project_id: str, owner: Owner, service: ServiceDep
) -> Response:
    async def build() -> ProjectPublic:
        return project_public(await service.get_project(owner, project_id))

    pid = canonical_id(project_id)
    return await read_through(request, owner, f"project:{pid}" if pid else None, build)


@router.patch("/{project_id}")
async def update_project(
    project_id: str, body: ProjectUpdate, owner: Owner, service: ServiceDep
) -> ProjectPublic:
    return project_public(await service.update_project(owner, project_id, body))


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_project(project_id: str, owner: Owner, service: ServiceDep) -> None:
    await service.delete_project(owner, project_id)


@router.get("/{project_id}/tasks", response_model=TaskPage)
async def list_tasks(
    request: Request,
    project_id: str,
    owner: Owner,
    service: ServiceDep,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> Response:
    async def build() -> TaskPage:
        page = await service.list_tasks(owner, project_id, limit, cursor)
        return TaskPage(items=[task_public(t) for t in page.items], next_cursor=page.next_cursor)

    pid = canonical_id(project_id)
    if pid is None:  # names no project: the service answers 404
        return await read_through(request, owner, None, build)
    return await read_page_through(request, owner, PageView(f"tasks:{pid}", limit, cursor), build)


@router.post("/{project_id}/tasks", status_code=status.HTTP_201_CREATED)
async def create_task(
    project_id: str, body: TaskCreate, owner: Owner, service: ServiceDep
) -> TaskPublic:
    return task_public(await service.create_task(owner, project_id, body))


@router.patch("/{project_id}/tasks/{task_id}")
async def update_task(
    project_id: str, task_id: str, body: TaskUpdate, owner: Owner, service: ServiceDep
) -> TaskPublic:
    return task_public(await service.update_task(owner, project_id, task_id, body))


@router.delete("/{project_id}/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(project_id: str, task_id: str, owner: Owner, service: ServiceDep) -> None:
    await service.delete_task(owner, project_id, task_id)
