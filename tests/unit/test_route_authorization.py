"""Every route of the projects service resolves the verified caller before it runs.

Access is decided from the caller (`projects.caller.current_caller`, or `current_session`
for a stream, which checks the session again later): a route that does neither could
reach the use cases with no one to decide for. Only the invitation's
preview, which the link's holder reads logged out, and the service's own health, metrics and
documentation go without one. A new route that skips the caller fails here. The fast reads
(`projects.fast_reads`, ahead of the routes) verify the token and the session themselves
and decline to the route of the same path, which must be guarded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, routing
from fastapi.dependencies.models import Dependant

from projectconnect.devserver import create_embedded_app
from projectconnect.infra.http import ServiceApp
from projectconnect.infra.tokens import StaticKeySource, ensure_private_key_file
from projectconnect.projects.app import ProjectsRuntime, create_app
from projectconnect.projects.caller import Caller, CallerDep, current_caller, current_session
from projectconnect.projects.settings import ProjectsSettings
from tests.conftest import embedded_settings

# (method, path) of the routes that answer without a verified caller, on purpose.
WITHOUT_CALLER = {
    ("GET", "/invitations/{token}"),
    ("GET", "/health/live"),
    ("GET", "/health/ready"),
    ("GET", "/metrics"),
}
# The dependencies that verify the caller: either is enough.
VERIFIED = {current_caller, current_session}
# FastAPI's own documentation routes, plain Starlette routes with no dependencies at all.
DOCUMENTATION = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def projects_app() -> ServiceApp:
    runtime = ProjectsRuntime(
        ProjectsSettings(database_url="sqlite://"), keys=StaticKeySource({"keys": []})
    )
    return create_app(runtime)


def calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """Every dependency a route resolves, however deeply nested."""
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from calls(sub)


def operations(app: FastAPI) -> Iterator[tuple[str, str, Dependant | None]]:
    """(method, path, dependant) for every route the app serves, included routers too."""
    for context in routing.iter_route_contexts(app.routes):
        dependant = getattr(context, "dependant", None)
        for method in sorted(context.methods or {"*"}):
            if method != "HEAD":
                yield method, str(context.path), dependant


def unguarded(app: FastAPI) -> list[tuple[str, str]]:
    """Routes that answer without resolving the verified caller, beyond those allowed."""
    found = []
    for method, path, dependant in operations(app):
        if dependant is None:
            if path not in DOCUMENTATION:
                found.append((method, path))
        elif not VERIFIED & set(calls(dependant)) and (method, path) not in WITHOUT_CALLER:
            found.append((method, path))
    return sorted(found)


def test_every_projects_route_resolves_the_verified_caller() -> None:
    app = projects_app()
    served = {(method, path) for method, path, _ in operations(app)}
    # The walk sees the included routers' routes, the ones allowed without a caller among them.
    assert served >= WITHOUT_CALLER
    assert {("GET", "/workspaces/{workspace_id}"), ("DELETE", "/projects/{project_id}")} <= served
    assert unguarded(app) == []
    # What the fast reads decline goes on to a guarded route of the same path.
    ahead = {("GET", fast.template) for fast in app.fast_paths}
    assert ahead
    assert ahead <= served


def test_a_route_added_without_the_caller_is_caught() -> None:
    app = projects_app()
    extra = APIRouter()

    @extra.get("/workspaces/{workspace_id}/export")
    async def export(workspace_id: str) -> dict[str, str]:
        return {"id": workspace_id}

    async def via_caller(caller: CallerDep) -> Caller:
        return caller

    @extra.get("/workspaces/{workspace_id}/report")
    async def report(workspace_id: str, caller: Caller = Depends(via_caller)) -> dict[str, str]:
        return {"id": workspace_id}

    @extra.get("/invitations/{token}/details")
    async def details(token: str) -> dict[str, str]:
        return {"token": token}

    app.include_router(extra)
    assert unguarded(app) == [
        ("GET", "/invitations/{token}/details"),
        ("GET", "/workspaces/{workspace_id}/export"),
    ]


def test_the_embedded_mode_serves_every_route_of_the_projects_service(tmp_path: Path) -> None:
    key = ensure_private_key_file(tmp_path / "signing-key.pem")
    embedded = create_embedded_app(
        *embedded_settings("sqlite://", "sqlite://", key), frontend_dir=None
    )
    served = {(method, path) for method, path, _ in operations(embedded)}
    assert {(method, path) for method, path, _ in operations(projects_app())} <= served
