"""The projects service's routes for projects and tasks, with their read caches."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from pydantic import BaseModel, StringConstraints

from projectconnect.infra.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from projectconnect.infra.problems import NotFound, field_error, problem_responses
from projectconnect.projects.access import PROJECT_NOT_FOUND
from projectconnect.projects.cache import (
    PageView,
    ReadCache,
    canonical_id,
    encode_acl,
    person_scope,
    project_scope,
    role_for,
    tag,
)
from projectconnect.projects.caller import Caller, CallerDep
from projectconnect.projects.listing import (
    MAX_VALUES,
    Order,
    ProjectQuery,
    ProjectSort,
    TaskQuery,
    TaskSort,
)
from projectconnect.projects.schemas import (
    NO_NUL,
    ProjectCreate,
    ProjectPage,
    ProjectPublic,
    ProjectUpdate,
    TaskCreate,
    TaskPage,
    TaskPriority,
    TaskPublic,
    TaskStatus,
    TaskUpdate,
)
from projectconnect.projects.service import ProjectService, ProjectView, TaskView

router = APIRouter(tags=["projects"], responses=problem_responses(401, 403, 404, 422, 500, 503))
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(max_length=512)]
JSON = "application/json"


def service_of(request: Request) -> ProjectService:
    service: ProjectService = request.app.state.projects_service
    return service


def cache_of(request: Request) -> ReadCache:
    cache: ReadCache = request.app.state.projects_read_cache
    return cache


def project_public(view: ProjectView) -> ProjectPublic:
    # Validating (in pydantic's compiled core) costs less than `model_construct`, which
    # runs in Python: 3 µs against 8 for a project.
    project = view.project
    progress = project.done_count * 100 // project.task_count if project.task_count else 0
    return ProjectPublic(
        id=project.id,
        workspace_id=project.workspace_id,
        name=project.name,
        description=project.description,
        created_at=project.created_at,
        updated_at=project.updated_at,
        task_count=project.task_count,
        done_count=project.done_count,
        progress=progress,
        created_by=project.created_by,
        archived_at=project.archived_at,
        my_role=view.role,
    )


def task_public(view: TaskView) -> TaskPublic:
    task = view.task
    return TaskPublic(
        id=task.id,
        project_id=task.project_id,
        created_by=task.created_by,
        title=task.title,
        done=task.done,
        description=task.description,
        status=task.status,
        priority=task.priority,
        due_date=task.due_date,
        completed_at=task.completed_at,
        assignees=view.assignees,
        labels=view.labels,
        position=task.position,
        version=task.version,
        comment_count=task.comment_count,
        created_at=task.created_at,
        updated_at=task.updated_at,
    )


def etag(version: int) -> str:
    return f'"{version}"'


def task_response(view: TaskView, status_code: int = 200) -> Response:
    """A task's JSON with its version as the ETag, for a later `If-Match`."""
    body = task_public(view).model_dump_json()
    headers = {"ETag": etag(view.task.version)}
    return Response(body, status_code=status_code, media_type=JSON, headers=headers)


def expected_version(if_match: str | None) -> int | None:
    """The version an `If-Match` asks for (None: any); 422 when it names none."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip()
    if value.startswith("W/"):
        value = value[2:]
    if len(value) >= 2 and value[0] == value[-1] == '"' and value[1:-1].isdigit():
        return int(value[1:-1])
    raise field_error("If-Match", "invalid_etag", 'Send the ETag of the task, like "3".')


def with_role(shared: bytes, role: str) -> bytes:
    """A shared project body (a JSON object without `my_role`) made the caller's own."""
    return shared[:-1] + b',"my_role":"' + role.encode() + b'"}'


async def person_page(
    request: Request, caller: Caller, page: PageView, build: Callable[[], Awaitable[BaseModel]]
) -> Response:
    """A page of the caller's own lists, through their view's cache: stored only at
    positions the server issued."""
    cache = cache_of(request)
    scope = person_scope(caller.user_id)
    generation = (await cache.generations([scope]))[0] if cache.may_hold(page) else None
    if generation is not None:
        # Only issued positions are ever stored, so a hit needs no further check.
        cached = await cache.get(scope, generation, page.key)
        if cached is not None:
            return Response(cached, media_type=JSON)
    listing = await build()
    body = listing.model_dump_json().encode()
    if generation is not None and await cache.is_issued(scope, generation, page):
        next_cursor = getattr(listing, "next_cursor", None)
        if next_cursor is not None:
            await cache.issue(scope, generation, page.after(next_cursor))
        await cache.put(scope, generation, page.key, body)
    return Response(body, media_type=JSON)


SharedBuild = Callable[[], Awaitable[tuple[bytes, ProjectView, str | None]]]


async def project_read(
    request: Request,
    caller: Caller,
    project_id: str,
    page: PageView | None,
    build: SharedBuild,
    *,
    personal: Callable[[bytes, str], bytes] = lambda body, _role: body,
    key: str = "project",
    storable: Callable[[], bool] = lambda: True,
) -> Response:
    """A read of one project's (the project itself when `page` is None, else a page of its
    tasks), shared by its workspace's members through the project's cache. An entry is
    served to a caller whose cached memberships (their `acl`, fetched in the same round
    trip) give them a role in the entry's workspace.

    `key` names a read of one thing (the project, a task) when `page` is None. `build`
    reads the database (and decides access): the shared body, the project with the
    caller's role, and the next page's cursor; `personal` makes a shared body the caller's;
    `storable`, asked after `build`, whether what it read may be shared.
    """
    cache = cache_of(request)
    pid = canonical_id(project_id)
    key = page.key if page is not None else key
    person = person_scope(caller.user_id)
    project = project_scope(uuid.UUID(pid)) if pid is not None else ""
    usable = pid is not None and (page is None or cache.may_hold(page))
    person_gen, project_gen = await cache.generations([person, project]) if usable else (None, None)
    acl: bytes | None = None
    if person_gen is not None and project_gen is not None:
        acl, entry = await cache.get_many(
            [(person, person_gen, "acl"), (project, project_gen, key)]
        )
        if acl is not None and entry is not None:
            role, body = role_for(acl, entry)
            if role is None:
                raise NotFound(PROJECT_NOT_FOUND)
            return Response(personal(body, role), media_type=JSON)
    body, found, next_cursor = await build()
    if person_gen is not None and project_gen is not None:
        if acl is None:
            roles = await service_of(request).workspaces.roles_of(caller.user_id)
            await cache.put(person, person_gen, "acl", encode_acl(roles))
        if storable() and (page is None or await cache.is_issued(project, project_gen, page)):
            if page is not None and next_cursor is not None:
                await cache.issue(project, project_gen, page.after(next_cursor))
            await cache.put(project, project_gen, key, tag(found.project.workspace_id, body))
    return Response(personal(body, found.role), media_type=JSON)


# Free text in list filters: no NUL (PostgreSQL cannot hold it), short enough for an index.
SearchText = Annotated[
    str | None,
    Query(max_length=200, pattern=NO_NUL, description="Case-insensitive substring; blank: none."),
]


@router.get("/projects", response_model=ProjectPage)
async def list_projects(
    request: Request,
    caller: CallerDep,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
    workspace: Annotated[str | None, Query(max_length=64)] = None,
    q: SearchText = None,
    sort: Annotated[
        ProjectSort,
        Query(description="created: newest first; updated: latest change first; name: A to Z."),
    ] = "created",
    archived: Annotated[
        bool, Query(description="true: only the archived projects; false: only the others.")
    ] = False,
) -> Response:
    """Every project the caller can see, across their workspaces; `workspace` narrows it,
    `q` keeps those whose name contains it."""
    query = ProjectQuery.parse(q=q, sort=sort, archived=archived)

    async def build() -> ProjectPage:
        service = service_of(request)
        page = await service.list_projects(caller.user_id, limit, cursor, workspace, query)
        return ProjectPage(
            items=[project_public(p) for p in page.items], next_cursor=page.next_cursor
        )

    if workspace is None:
        listing = query.cache_key("list:*")
    elif (workspace_key := canonical_id(workspace)) is not None:
        listing = query.cache_key(f"list:{workspace_key}")
    else:  # not an id: the service answers 404, and nothing is cached under it
        listing = None
    if listing is None:  # free text, or no such workspace: never cached
        return Response((await build()).model_dump_json(), media_type=JSON)
    return await person_page(request, caller, PageView(listing, limit, cursor), build)


def project_response(view: ProjectView, status_code: int = 200) -> Response:
    """A project's JSON, serialised once: a returned model FastAPI would validate again."""
    return Response(project_public(view).model_dump_json(), status_code, media_type=JSON)


@router.post("/projects", status_code=status.HTTP_201_CREATED, response_model=ProjectPublic)
async def create_project(request: Request, body: ProjectCreate, caller: CallerDep) -> Response:
    """A project in the caller's personal workspace."""
    view = await service_of(request).create_project(caller.user_id, body)
    return project_response(view, status.HTTP_201_CREATED)


@router.post(
    "/workspaces/{workspace_id}/projects",
    status_code=status.HTTP_201_CREATED,
    response_model=ProjectPublic,
)
async def create_workspace_project(
    request: Request, workspace_id: str, body: ProjectCreate, caller: CallerDep
) -> Response:
    service = service_of(request)
    view = await service.create_project(caller.user_id, body, workspace_id)
    return project_response(view, status.HTTP_201_CREATED)


@router.get("/projects/{project_id}", response_model=ProjectPublic)
async def get_project(request: Request, project_id: str, caller: CallerDep) -> Response:
    async def build() -> tuple[bytes, ProjectView, None]:
        found = await service_of(request).get_project(caller.user_id, project_id)
        shared = project_public(found).model_dump_json(exclude={"my_role"}).encode()
        return shared, found, None

    return await project_read(request, caller, project_id, None, build, personal=with_role)


@router.patch("/projects/{project_id}", response_model=ProjectPublic)
async def update_project(
    request: Request, project_id: str, body: ProjectUpdate, caller: CallerDep
) -> Response:
    service = service_of(request)
    return project_response(await service.update_project(caller.user_id, project_id, body))


@router.post("/projects/{project_id}/archive", response_model=ProjectPublic)
async def archive_project(request: Request, project_id: str, caller: CallerDep) -> ProjectPublic:
    """Out of the default lists (`GET /projects?archived=true` lists it), kept whole."""
    service = service_of(request)
    return project_public(await service.archive_project(caller.user_id, project_id, archived=True))


@router.post("/projects/{project_id}/unarchive", response_model=ProjectPublic)
async def unarchive_project(request: Request, project_id: str, caller: CallerDep) -> ProjectPublic:
    service = service_of(request)
    view = await service.archive_project(caller.user_id, project_id, archived=False)
    return project_public(view)


@router.delete("/projects/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_project(request: Request, project_id: str, caller: CallerDep) -> None:
    await service_of(request).delete_project(caller.user_id, project_id)


Repeated = Query(max_length=MAX_VALUES)


@router.get("/projects/{project_id}/tasks", response_model=TaskPage)
async def list_tasks(
    request: Request,
    project_id: str,
    caller: CallerDep,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
    status: Annotated[list[TaskStatus], Repeated] = [],  # noqa: B006 (FastAPI copies it)
    assignee: Annotated[
        list[Annotated[str, StringConstraints(max_length=64)]],
        Query(max_length=MAX_VALUES, description="`me`, `none` (nobody) or a user id."),
    ] = [],  # noqa: B006
    label: Annotated[
        list[uuid.UUID], Query(max_length=MAX_VALUES, description="Tasks with any of them.")
    ] = [],  # noqa: B006
    priority: Annotated[list[TaskPriority], Repeated] = [],  # noqa: B006
    due_before: Annotated[dt.date | None, Query(description="Due on or before.")] = None,
    due_after: Annotated[dt.date | None, Query(description="Due on or after.")] = None,
    overdue: Annotated[
        bool, Query(description="true: due before today (UTC) and neither done nor cancelled.")
    ] = False,
    q: SearchText = None,
    sort: Annotated[
        TaskSort,
        Query(
            description="position: by status column (backlog to cancelled), then position; "
            "priority: urgent to none, then oldest first; due_date: undated last."
        ),
    ] = "created",
    order: Annotated[
        Order | None,
        Query(
            description="Default: asc for created, position and due_date, desc (latest, most "
            "urgent first) for updated and priority."
        ),
    ] = None,
) -> Response:
    """The project's tasks, oldest first unless sorted otherwise; each filter narrows the
    list, a repeated one to tasks with any of its values."""
    query = TaskQuery.parse(
        caller.user_id,
        status=status,
        assignee=assignee,
        label=label,
        priority=priority,
        due_before=due_before,
        due_after=due_after,
        overdue=overdue,
        q=q,
        sort=sort,
        order=order,
    )
    shared = True

    async def build() -> tuple[bytes, ProjectView, str | None]:
        nonlocal shared
        page, found, shared = await service_of(request).list_tasks(
            caller.user_id, project_id, limit, cursor, query
        )
        listing = TaskPage(items=[task_public(t) for t in page.items], next_cursor=page.next_cursor)
        return listing.model_dump_json().encode(), found, page.next_cursor

    key = query.cache_key()
    if key is None:  # free text or dates: read from the database every time
        body, _, _ = await build()
        return Response(body, media_type=JSON)
    return await project_read(
        request, caller, project_id, PageView(key, limit, cursor), build, storable=lambda: shared
    )


TASK_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {"ETag": {"description": "The task's version.", "schema": {"type": "string"}}}
    },
}
IfMatch = Annotated[
    str | None,
    Header(
        max_length=64,
        description='Change the task only if it is still at this version (its ETag, "3").',
    ),
]


@router.get(
    "/projects/{project_id}/tasks/{task_id}", response_model=TaskPublic, responses=TASK_RESPONSES
)
async def get_task(request: Request, project_id: str, task_id: str, caller: CallerDep) -> Response:
    async def build() -> tuple[bytes, ProjectView, None]:
        view, found = await service_of(request).get_task(caller.user_id, project_id, task_id)
        return task_public(view).model_dump_json().encode(), found, None

    tid = canonical_id(task_id)
    if tid is None:
        await build()  # answers as for any task that is not there
    response = await project_read(request, caller, project_id, None, build, key=f"task:{tid}")
    response.headers["ETag"] = etag(int(json.loads(bytes(response.body))["version"]))
    return response


@router.post(
    "/projects/{project_id}/tasks",
    status_code=status.HTTP_201_CREATED,
    response_model=TaskPublic,
    responses={201: TASK_RESPONSES[200]},
)
async def create_task(
    request: Request, project_id: str, body: TaskCreate, caller: CallerDep
) -> Response:
    view = await service_of(request).create_task(caller.user_id, project_id, body)
    return task_response(view, status.HTTP_201_CREATED)


@router.patch(
    "/projects/{project_id}/tasks/{task_id}",
    response_model=TaskPublic,
    responses={**TASK_RESPONSES, **problem_responses(412)},
)
async def update_task(
    request: Request,
    project_id: str,
    task_id: str,
    body: TaskUpdate,
    caller: CallerDep,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields sent; `status` with `after`/`before` (task ids of that column)
    moves the task between them, and a new status alone to the end of its column."""
    version = expected_version(if_match)
    service = service_of(request)
    view = await service.update_task(caller.user_id, project_id, task_id, body, version)
    return task_response(view)


@router.delete("/projects/{project_id}/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(request: Request, project_id: str, task_id: str, caller: CallerDep) -> None:
    await service_of(request).delete_task(caller.user_id, project_id, task_id)
