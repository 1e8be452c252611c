"""Fixtures shared by every test folder.

`api` is an HTTP client for the whole public contract (/auth and /projects), run once per
backend: the embedded composition on SQLite, the same on PostgreSQL, and the two services as
separate `projectconnect serve` processes on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from projectconnect.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from projectconnect.auth.settings import AuthSettings
from projectconnect.devserver import DataDir, create_embedded_app
from projectconnect.infra import migrations
from projectconnect.infra.tokens import ensure_private_key_file
from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS
from projectconnect.projects.settings import ProjectsSettings
from tests.support.processes import PrefixRouter, ServiceProcess, run_command
from tests.support.services import ThrowawayBroker, ThrowawayPostgres

BASE_URL = "https://pc.test"
# Cheap argon2 parameters keep the suite fast; production uses the settings' defaults.
FAST_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_kib": 1024}


@dataclass
class Backend:
    name: str
    client: httpx.AsyncClient
    # Whether the projects service learns of a revoked session at once (embedded mode);
    # across processes that arrives with the shared cache.
    revocation_reaches_projects: bool
    app: FastAPI | None = None
    signing_key: Path | None = None
    # Where the projects database lives, to look behind the API in event tests.
    projects_url: str | None = None


def embedded_settings(
    auth_url: str, projects_url: str, key: Path
) -> tuple[AuthSettings, ProjectsSettings]:
    auth = AuthSettings(
        database_url=auth_url,
        private_key_file=key,
        **FAST_ARGON2,  # type: ignore[arg-type]
    )
    return auth, ProjectsSettings(database_url=projects_url)


@pytest.fixture(scope="session")
async def postgres() -> AsyncIterator[ThrowawayPostgres]:
    pg = ThrowawayPostgres()
    await pg.check()
    try:
        yield pg
    finally:
        await pg.drop_all()


async def _in_process(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client


@pytest.fixture(scope="session", params=["sqlite", "postgres", "processes"])
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    root = tmp_path_factory.mktemp(request.param)
    key = ensure_private_key_file(root / "signing-key.pem")
    if request.param == "sqlite":
        data = DataDir(root)
        await asyncio.to_thread(data.prepare)  # Alembic runs its own event loop
        app = create_embedded_app(*embedded_settings(data.auth_url, data.projects_url, key))
        async for client in _in_process(app):
            yield Backend(
                "sqlite", client, True, app=app, signing_key=key, projects_url=data.projects_url
            )
        return

    pg = ThrowawayPostgres()
    await pg.check()
    broker = ThrowawayBroker()
    if request.param == "processes":
        await broker.check()
    try:
        async for backend in _on_postgres(request.param, pg, broker, root, key):
            yield backend
    finally:
        await pg.drop_all()
        if request.param == "processes":
            await broker.delete()


async def _on_postgres(
    kind: str, pg: ThrowawayPostgres, broker: ThrowawayBroker, root: Path, key: Path
) -> AsyncIterator[Backend]:
    auth_url = await pg.create(f"{kind}_auth")
    projects_url = await pg.create(f"{kind}_projects")
    if kind == "postgres":
        await migrations.upgrade(AUTH_MIGRATIONS, auth_url)
        await migrations.upgrade(PROJECTS_MIGRATIONS, projects_url)
        app = create_embedded_app(*embedded_settings(auth_url, projects_url, key))
        async for client in _in_process(app):
            yield Backend(
                "postgres", client, True, app=app, signing_key=key, projects_url=projects_url
            )
        return

    events = {"AMQP_URL": broker.url, "EVENTS_NAMESPACE": broker.topology.namespace}
    for target, env in (
        ("auth", {"DATABASE_URL": auth_url}),
        ("projects", {"DATABASE_URL": projects_url}),
        ("broker", events),
    ):
        result = run_command(["migrate", target], env)
        assert result.returncode == 0, result.stderr
    auth = ServiceProcess(
        "auth",
        {
            "DATABASE_URL": auth_url,
            "AUTH_PRIVATE_KEY_FILE": str(key),
            "AUTH_ARGON2_TIME_COST": "1",
            "AUTH_ARGON2_MEMORY_KIB": "1024",
            **events,
        },
        root / "auth.log",
    )
    try:
        auth.wait_ready()
        projects = ServiceProcess(
            "projects",
            {
                "DATABASE_URL": projects_url,
                "JWKS_URL": f"{auth.url}/auth/.well-known/jwks.json",
                **events,
            },
            root / "projects.log",
        )
        try:
            projects.wait_ready()
            router = PrefixRouter({"auth": auth.url, "projects": projects.url})
            async with httpx.AsyncClient(transport=router, base_url=BASE_URL) as client:
                yield Backend(
                    "processes", client, False, signing_key=key, projects_url=projects_url
                )
        finally:
            projects.stop()
    finally:
        auth.stop()


@pytest.fixture
def api(backend: Backend) -> httpx.AsyncClient:
    backend.client.cookies.clear()
    return backend.client
