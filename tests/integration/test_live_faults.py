"""Live streams through a Redis outage: a stream cannot open while the feed is unreachable
(503 with Retry-After, never a 500), and the streams already open carry on once it is back,
from where their replica's hub had read, without a reload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from projectconnect.devserver import create_embedded_app
from projectconnect.infra.tokens import ensure_private_key_file
from tests.conftest import embedded_settings
from tests.support.accounts import create_project, create_task, sign_up
from tests.support.live import open_stream, served
from tests.support.services import ThrowawayPostgres, ThrowawayRedisPrefix
from tests.support.tcpproxy import TcpProxy


@pytest.fixture
async def through_a_redis_link(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, TcpProxy]]:
    pg, redis = ThrowawayPostgres(), ThrowawayRedisPrefix()
    await pg.check()
    await redis.check()
    link = TcpProxy("127.0.0.1", 6379)
    await link.start()
    try:
        auth_url, projects_url = await pg.create_migrated("faults")
        key = ensure_private_key_file(tmp_path / "signing-key.pem")
        auth, projects = embedded_settings(auth_url, projects_url, key, redis)
        via_link = SecretStr(f"redis://127.0.0.1:{link.port}/0")
        projects = projects.model_copy(update={"redis_url": via_link, "live_check_seconds": 0.5})
        app = create_embedded_app(auth, projects)
        async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield client, link
    finally:
        await link.cut()
        await pg.drop_all()
        await redis.clean()


async def test_streams_ride_out_a_redis_outage(
    through_a_redis_link: tuple[httpx.AsyncClient, TcpProxy],
) -> None:
    api, link = through_a_redis_link
    owner = await sign_up(api, "owner")
    project = await create_project(api, owner)
    async with open_stream(api, owner.access_token) as stream:
        await stream.wait_for("ready")
        await link.cut()
        refused = await api.get("/events/stream", headers=owner.headers)
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["Retry-After"]) > 0
        await link.restore()
        task = await create_task(api, owner, project["id"], "After the outage")
        await stream.wait_for("task", id=task["id"], op="created", within=30)
        assert not stream.ended
