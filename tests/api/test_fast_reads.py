"""The hottest cached reads are answered ahead of the routes, with the routes' bytes, and
whatever those answers cannot vouch for goes to the routes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI

from projectconnect.auth.api import FastValidate
from projectconnect.infra.frontdoor import FastPath
from projectconnect.projects.fast_reads import FastRead
from tests.conftest import Backend
from tests.support.accounts import create_project, create_task, sign_up
from tests.support.teams import create_project_in, create_workspace, join


@contextmanager
def answered_ahead(
    app: FastAPI | None, kind: type[FastPath] = FastRead, *, decline: bool = False
) -> Iterator[list[str]]:
    """The requests (path?query) the fast paths of `kind` answered while in the block (or,
    with `decline`, would have answered but left to the routes); nothing is seen of an app
    in other processes."""
    served: list[str] = []
    paths = [p for p in getattr(app, "fast_paths", ()) if isinstance(p, kind)]
    for path in paths:

        async def answer(scope, params, original=path.answer):  # type: ignore[no-untyped-def]
            found = await original(scope, params)
            if found is not None:
                served.append(f"{scope['path']}?{scope['query_string'].decode()}")
            return None if decline else found

        path.answer = answer  # type: ignore[method-assign]
    try:
        yield served
    finally:
        for path in paths:
            del path.answer


async def test_hits_are_answered_ahead_with_the_routes_bytes(backend: Backend) -> None:
    api = backend.client
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "Hot")
    await create_task(api, ann, project["id"])
    pid = project["id"]
    paths = [
        "/projects",
        "/projects?limit=100",
        "/projects?sort=name&archived=false",
        "/projects?archived=true",
        f"/projects?workspace={project['workspace_id']}",
        f"/projects/{pid}",
        f"/projects/{pid}/tasks",
        f"/projects/{pid}/tasks?sort=position",
        f"/projects/{pid}/tasks?sort=priority&order=asc&limit=100",
    ]
    with answered_ahead(backend.app) as served:
        for path in paths:
            first = await api.get(path, headers=ann.headers)
            second = await api.get(path, headers=ann.headers)
            assert first.status_code == second.status_code == 200, (path, first.text)
            assert second.content == first.content, path
            assert second.headers["content-type"] == first.headers["content-type"]
            assert second.headers["content-length"] == str(len(second.content))
    if backend.app is not None:
        assert sorted(served) == sorted(p if "?" in p else p + "?" for p in paths)


async def test_a_member_is_served_the_shared_entry_with_their_own_role(backend: Backend) -> None:
    api = backend.client
    owner = await sign_up(api, "owner")
    team = await create_workspace(api, owner)
    viewer = await join(api, owner, team, role="viewer", tag="viewer")
    project = await create_project_in(api, owner, team, "Shared")
    with answered_ahead(backend.app) as served:
        reads = ((owner, "owner"), (viewer, "viewer"), (viewer, "viewer"), (owner, "owner"))
        for who, role in reads:
            read = await api.get(f"/projects/{project['id']}", headers=who.headers)
            assert read.status_code == 200, read.text
            assert read.json()["my_role"] == role
    if backend.app is not None:
        # The owner's first read stored the entry, the viewer's their memberships; then
        # both read it ahead.
        assert len(served) == 2


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("limit=abc", 422),
        ("limit=0", 422),
        ("limit=101", 422),
        ("sort=size", 422),
        ("archived=yes", 200),
        ("archived=", 422),
        ("limit=20&limit=100", 200),
        ("other=1", 200),
        ("q=Ho", 200),
        ("workspace=not-an-id", 404),
    ],
)
async def test_queries_not_read_exactly_as_the_route_reads_them_go_to_it(
    backend: Backend, query: str, status: int
) -> None:
    api = backend.client
    ann = await sign_up(api, "ann")
    await create_project(api, ann, "Hot")
    await api.get("/projects", headers=ann.headers)  # the default page is cached
    with answered_ahead(backend.app) as served:
        response = await api.get(f"/projects?{query}", headers=ann.headers)
        assert response.status_code == status, response.text
    assert served == []


async def test_an_ended_session_or_a_stranger_is_refused_though_the_entry_is_cached(
    backend: Backend,
) -> None:
    api = backend.client
    ann = await sign_up(api, "ann")
    eve = await sign_up(api, "eve")
    project = await create_project(api, ann, "Private")
    for path in ("/projects", f"/projects/{project['id']}", f"/projects/{project['id']}/tasks"):
        assert (await api.get(path, headers=ann.headers)).status_code == 200
    with answered_ahead(backend.app) as served:
        for path in (f"/projects/{project['id']}", f"/projects/{project['id']}/tasks"):
            stranger = await api.get(path, headers=eve.headers)
            assert stranger.status_code == 404, stranger.text
        assert (await api.post("/auth/logout", headers=ann.headers)).status_code == 204
        for path in ("/projects", f"/projects/{project['id']}"):
            ended = await api.get(path, headers=ann.headers)
            assert ended.status_code == 401, ended.text
        anonymous = await api.get("/projects")
        assert anonymous.status_code == 401
    assert served == []


async def test_validate_passes_are_answered_ahead_as_the_route_answers_them(
    backend: Backend,
) -> None:
    api = backend.client
    ann = await sign_up(api, "validated")
    with answered_ahead(backend.app, FastValidate) as served:
        fast = await api.get("/auth/validate", headers=ann.headers)
    with answered_ahead(backend.app, FastValidate, decline=True) as declined:
        routed = await api.get("/auth/validate", headers=ann.headers)
    assert fast.status_code == routed.status_code == 200
    assert fast.content == routed.content
    for header in ("content-type", "content-length", "x-user-id"):
        assert fast.headers[header] == routed.headers[header], header
    assert fast.headers["x-user-id"] == ann.id
    if backend.app is not None:
        assert served == declined == ["/auth/validate?"]
    await api.post("/auth/logout", headers=ann.headers)
    with answered_ahead(backend.app, FastValidate) as served:
        ended = await api.get("/auth/validate", headers=ann.headers)
    assert ended.status_code == 401
    assert ended.headers["content-type"] == "application/problem+json"
    assert served == []
