"""Two projects replicas sharing one database and one Redis: what a member does on one is
what every member reads on the other, at once, also when a replica's Redis link fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from pydantic import SecretStr

from projectconnect.devserver import DataDir, create_embedded_app
from projectconnect.infra.mailer import MailSettings
from projectconnect.projects.cache import ReadCache
from tests.conftest import BASE_URL, embedded_settings
from tests.support.accounts import Account, create_task, mail_arrives, sign_up, statements
from tests.support.embedded import prepared_data_dir
from tests.support.mail import DirectoryMailbox
from tests.support.services import ThrowawayRedisPrefix, redis_prefix
from tests.support.tcpproxy import TcpProxy
from tests.support.teams import create_project_in, create_workspace, join


@dataclass
class Replica:
    api: httpx.AsyncClient
    app: FastAPI

    @property
    def read_cache(self) -> ReadCache:
        cache: ReadCache = self.app.state.projects_read_cache
        return cache


@pytest.fixture
async def redis() -> AsyncIterator[ThrowawayRedisPrefix]:
    async with redis_prefix() as prefix:
        yield prefix


@pytest.fixture
async def data_dir(tmp_path: Path) -> DataDir:
    return await prepared_data_dir(tmp_path)


@asynccontextmanager
async def replica(
    data: DataDir, redis: ThrowawayRedisPrefix, redis_url: str | None = None
) -> AsyncIterator[Replica]:
    auth, projects = embedded_settings(data.auth_url, data.projects_url, data.signing_key, redis)
    if redis_url is not None:
        projects = projects.model_copy(update={"redis_url": SecretStr(redis_url)})
    app = create_embedded_app(
        auth, projects, frontend_dir=None, mail=MailSettings(dir=data.mail_dir)
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            mail_arrives(client, DirectoryMailbox(data.mail_dir))
            yield Replica(client, app)


async def names(api: httpx.AsyncClient, who: Account) -> list[str]:
    response = await api.get("/projects", headers=who.headers)
    assert response.status_code == 200, response.text
    return [p["name"] for p in response.json()["items"]]


async def cached_twice(api: httpx.AsyncClient, who: Account, path: str) -> None:
    await api.get(path, headers=who.headers)
    again = await api.get(path, headers=who.headers)
    assert again.status_code == 200, again.text
    assert statements(again) == 0, f"{path} is not served from the cache"


async def test_a_removed_member_is_refused_on_the_other_replica_at_once(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    async with replica(data_dir, redis) as one, replica(data_dir, redis) as two:
        ann = await sign_up(one.api, "ann")
        team = await create_workspace(one.api, ann)
        bob = await join(one.api, ann, team)
        project = await create_project_in(one.api, ann, team, "Shared")
        await create_task(one.api, ann, project["id"])
        paths = ["/projects", f"/projects/{project['id']}", f"/projects/{project['id']}/tasks"]
        for path in paths:
            await cached_twice(two.api, bob, path)

        removed = await one.api.delete(f"/workspaces/{team}/members/{bob.id}", headers=ann.headers)
        assert removed.status_code == 204

        # The very next request, on the other replica, with its caches warm.
        assert await names(two.api, bob) == []
        for path in paths[1:]:
            response = await two.api.get(path, headers=bob.headers)
            assert response.status_code == 404, (path, response.text)


async def test_every_member_reads_every_members_write_on_any_replica(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    async with replica(data_dir, redis) as one, replica(data_dir, redis) as two:
        ann = await sign_up(one.api, "ann")
        team = await create_workspace(one.api, ann)
        bob = await join(one.api, ann, team)
        project = await create_project_in(one.api, ann, team, "Shared")
        await cached_twice(two.api, bob, "/projects")
        await cached_twice(two.api, bob, f"/projects/{project['id']}")

        await create_task(one.api, ann, project["id"], "New")
        listed = (await two.api.get("/projects", headers=bob.headers)).json()["items"]
        assert listed[0]["task_count"] == 1
        single = (await two.api.get(f"/projects/{project['id']}", headers=bob.headers)).json()
        assert (single["task_count"], single["my_role"]) == (1, "member")


async def test_a_write_whose_new_generations_never_land_keeps_every_replica_off_the_cache(
    data_dir: DataDir, redis: ThrowawayRedisPrefix, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with replica(data_dir, redis) as one, replica(data_dir, redis) as two:
        ann = await sign_up(one.api, "ann")
        team = await create_workspace(one.api, ann)
        bob = await join(one.api, ann, team)
        project = await create_project_in(one.api, ann, team, "Before")
        await cached_twice(two.api, bob, "/projects")
        await cached_twice(two.api, bob, f"/projects/{project['id']}")

        async def lost(_scopes: object) -> None:
            """Redis failed right after the commit, as the new generations were written."""

        monkeypatch.setattr(one.read_cache, "renew", lost)
        renamed = await one.api.patch(
            f"/projects/{project['id']}", json={"name": "After"}, headers=ann.headers
        )
        assert renamed.status_code == 200
        await create_project_in(one.api, ann, team, "New")

        assert await names(two.api, bob) == ["New", "After"]
        single = await two.api.get(f"/projects/{project['id']}", headers=bob.headers)
        assert single.json()["name"] == "After"
        assert statements(single) > 0  # fenced: from the database until the fence expires


async def test_a_replica_that_cannot_reach_redis_refuses_writes_rather_than_leave_others_stale(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    proxy = TcpProxy("127.0.0.1", 6379)
    await proxy.start()
    try:
        cut_off_url = f"redis://127.0.0.1:{proxy.port}/0"
        async with (
            replica(data_dir, redis, redis_url=cut_off_url) as one,
            replica(data_dir, redis) as two,
        ):
            ann = await sign_up(two.api, "ann")
            team = await create_workspace(two.api, ann)
            bob = await join(two.api, ann, team)
            await create_project_in(two.api, ann, team, "Before")
            await cached_twice(two.api, bob, "/projects")

            await proxy.cut()
            refused = await one.api.post(
                f"/workspaces/{team}/projects", json={"name": "Lost"}, headers=ann.headers
            )
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"]
            assert await names(two.api, bob) == ["Before"]  # and nothing was committed
            assert await names(one.api, ann) == ["Before"]  # reads go on, from the database
    finally:
        await proxy.cut()
