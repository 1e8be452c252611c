"""More requests than the database pool serves: the excess is shed at once with 503 and
Retry-After, within the pool's timeout, never left to hang past the client's."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from projectconnect.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from projectconnect.devserver import create_embedded_app
from projectconnect.infra import migrations
from projectconnect.infra.mailer import MailSettings
from projectconnect.infra.tokens import ensure_private_key_file
from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS
from projectconnect.projects.service import ProjectService
from tests.conftest import BASE_URL, embedded_settings
from tests.support.accounts import create_project, sign_up
from tests.support.services import ThrowawayPostgres

POOL_TIMEOUT = 0.5


@pytest.fixture
async def app(postgres: ThrowawayPostgres, tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The embedded app on PostgreSQL, its projects pool one connection (and one overflow)
    waited for at most POOL_TIMEOUT, every read from the database."""
    auth_url = await postgres.create("shed_auth")
    projects_url = await postgres.create("shed_projects")
    await migrations.upgrade(AUTH_MIGRATIONS, auth_url)
    await migrations.upgrade(PROJECTS_MIGRATIONS, projects_url)
    auth, projects = embedded_settings(
        auth_url, projects_url, ensure_private_key_file(tmp_path / "key.pem")
    )
    projects = projects.model_copy(
        update={"db_pool_size": 1, "db_pool_timeout_seconds": POOL_TIMEOUT, "read_cache": False}
    )
    app = create_embedded_app(auth, projects, mail=MailSettings(dir=tmp_path / "mail"))
    async with LifespanManager(app):
        yield app


async def test_a_request_finding_the_pool_taken_is_answered_503_within_its_timeout(
    app: FastAPI,
) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as api:
        ann = await sign_up(api, "ann")
        project = await create_project(api, ann, "Held")
        path = f"/projects/{project['id']}"
        service: ProjectService = app.state.projects_service
        engine = service.db.engine
        async with AsyncExitStack() as held:
            # Other requests hold every connection the pool may open (its size and as many
            # again in overflow).
            for _ in range(2):
                await held.enter_async_context(engine.connect())
            started = time.monotonic()
            shed = await api.get(path, headers=ann.headers)
            waited = time.monotonic() - started
        assert shed.status_code == 503, shed.text
        assert shed.headers["Retry-After"] == "2"
        assert shed.headers["content-type"] == "application/problem+json"
        assert POOL_TIMEOUT <= waited < POOL_TIMEOUT + 2.0
        # Once they are back, the same read is served.
        again = await api.get(path, headers=ann.headers)
        assert again.status_code == 200, again.text
