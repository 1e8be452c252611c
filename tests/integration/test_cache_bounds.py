"""What a client can name cannot grow the read cache: forged cursors, odd page sizes and
id spellings store nothing, oversized pages are served but not stored, and pages reached
through the cursors the server issued are still cached. On the real Redis (keys counted
under the test's prefix) and on the in-process cache (entries and bytes counted)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager

from projectconnect.devserver import DataDir, create_embedded_app
from projectconnect.infra.cache import MemoryCache
from projectconnect.infra.pagination import Position
from projectconnect.projects.cache import ReadCache
from tests.conftest import BASE_URL, embedded_settings
from tests.support.accounts import Account, create_project, sign_up, statements
from tests.support.embedded import prepared_data_dir
from tests.support.services import ThrowawayRedisPrefix, redis_prefix


@pytest.fixture
async def redis() -> AsyncIterator[ThrowawayRedisPrefix]:
    async with redis_prefix() as prefix:
        yield prefix


@pytest.fixture
async def data_dir(tmp_path: Path) -> DataDir:
    return await prepared_data_dir(tmp_path)


@asynccontextmanager
async def app_client(
    data: DataDir, redis: ThrowawayRedisPrefix | None, **projects: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, ReadCache]]:
    """The embedded app on SQLite, its caches on Redis (or in-process without `redis`)."""
    auth_settings, projects_settings = embedded_settings(
        data.auth_url, data.projects_url, data.signing_key, redis
    )
    projects_settings = projects_settings.model_copy(update=projects)
    app = create_embedded_app(auth_settings, projects_settings, frontend_dir=None)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client, app.state.projects_read_cache


async def redis_keys(redis: ThrowawayRedisPrefix) -> set[bytes]:
    client = aioredis.Redis.from_url(redis.url)
    try:
        return {key async for key in client.scan_iter(match=f"{redis.prefix}*", count=1000)}
    finally:
        await client.aclose()


def memory_of(read_cache: ReadCache) -> MemoryCache:
    memory = getattr(read_cache.cache, "inner", None)
    assert isinstance(memory, MemoryCache)
    return memory


def forged_cursor(seconds_ago: int = 0) -> str:
    """A well-formed position the server never handed out."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds_ago)
    return Position(when, uuid.uuid4()).encode()


async def ask_what_a_client_can_name(
    api: httpx.AsyncClient, ann: Account, project_id: str, count: int = 30
) -> None:
    """Distinct forged cursors, every page size outside the cached ones, id spellings."""
    paths = [f"/projects?cursor={forged_cursor(i)}" for i in range(count)]
    paths += [f"/projects/{project_id}/tasks?cursor={forged_cursor(i)}" for i in range(count)]
    paths += [f"/projects?limit={n}" for n in range(1, 100) if n != 20]
    paths += [f"/projects/{project_id}/tasks?limit={n}" for n in range(1, 100) if n != 20]
    paths += [f"/projects/{project_id.upper()}", f"/projects/{project_id.replace('-', '')}"]
    paths += [f"/projects/urn:uuid:{project_id}/tasks"]
    for path in paths:
        response = await api.get(path, headers=ann.headers)
        assert response.status_code == 200, (path, response.text)


async def test_forged_cursors_and_odd_limits_create_no_redis_keys(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    async with app_client(data_dir, redis, read_cache_page_sizes=frozenset({20})) as (api, _):
        ann = await sign_up(api, "ann")
        project = await create_project(api, ann, "Held", description="d" * 2000)
        pid = str(project["id"])
        for path in ("/projects", f"/projects/{pid}", f"/projects/{pid}/tasks"):
            await api.get(path, headers=ann.headers)  # the canonical views, cached
        before = await redis_keys(redis)

        await ask_what_a_client_can_name(api, ann, pid)

        assert await redis_keys(redis) == before
        # The canonical views are still served from the cache.
        assert statements(await api.get(f"/projects/{pid}", headers=ann.headers)) == 0


async def test_forged_cursors_and_odd_limits_take_no_room_in_the_memory_cache(
    data_dir: DataDir,
) -> None:
    async with app_client(data_dir, None) as (api, read_cache):
        memory = memory_of(read_cache)
        ann = await sign_up(api, "ann")
        project = await create_project(api, ann, "Held", description="d" * 2000)
        pid = str(project["id"])
        for path in ("/projects", f"/projects/{pid}", f"/projects/{pid}/tasks"):
            await api.get(path, headers=ann.headers)
        entries, size = memory.entries, memory.size

        await ask_what_a_client_can_name(api, ann, pid)

        assert (memory.entries, memory.size) == (entries, size)


async def test_a_page_over_the_entry_cap_is_served_but_not_stored(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    async with app_client(data_dir, redis, read_cache_max_entry_bytes=4096) as (api, _):
        ann = await sign_up(api, "ann")
        for i in range(3):
            await create_project(api, ann, f"Big {i}", description="x" * 2000)
        small = await create_project(api, ann, "Small")
        await api.get(f"/projects/{small['id']}", headers=ann.headers)
        before = await redis_keys(redis)

        for _ in range(3):
            page = await api.get("/projects", headers=ann.headers)
            assert page.status_code == 200
            assert len(page.content) > 4096
            assert page.json()["items"][0]["name"] == "Small"
            assert statements(page) > 0  # from the database, every time

        assert await redis_keys(redis) == before
        # What fits is still cached.
        assert statements(await api.get(f"/projects/{small['id']}", headers=ann.headers)) == 0


async def test_the_memory_cache_stays_within_its_byte_bound_under_big_pages(
    data_dir: DataDir,
) -> None:
    bound = 2 * 1024 * 1024
    # Pages of about 400 kB, under the entry cap: only the memory cache's bound holds them.
    settings = {"cache_memory_max_bytes": bound, "read_cache_max_entry_bytes": 1024 * 1024}
    async with app_client(data_dir, None, **settings) as (api, read_cache):
        memory = memory_of(read_cache)
        ann = await sign_up(api, "ann")
        for i in range(20):
            await create_project(api, ann, f"P{i}", description="é" * 10_000)
        for _ in range(12):  # each write makes a new generation; each read caches a page
            page = await api.get("/projects", headers=ann.headers)
            assert page.status_code == 200
            assert len(page.content) > 300_000
            assert memory.size <= bound
            await create_project(api, ann, "One more", description="é" * 10_000)
        assert memory.size <= bound


async def test_pagination_through_issued_cursors_is_cached_on_redis(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    async with app_client(data_dir, redis, read_cache_page_sizes=frozenset({2})) as (api, _):
        ann = await sign_up(api, "ann")
        for i in range(5):
            await create_project(api, ann, f"P{i}")

        async def walk() -> list[httpx.Response]:
            pages, path = [], "/projects?limit=2"
            while path:
                pages.append(await api.get(path, headers=ann.headers))
                cursor = pages[-1].json()["next_cursor"]
                path = f"/projects?limit=2&cursor={cursor}" if cursor else ""
            return pages

        first = await walk()
        again = await walk()
        assert [p.content for p in again] == [p.content for p in first]
        assert [statements(p) for p in again] == [0, 0, 0]
        names = [item["name"] for page in again for item in page.json()["items"]]
        assert names == ["P4", "P3", "P2", "P1", "P0"]
