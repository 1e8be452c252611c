"""The caches against the real Redis: races, outages, slowness and throttles across replicas."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client import REGISTRY
from pydantic import SecretStr

from projectconnect.devserver import DataDir, create_embedded_app
from projectconnect.projects.repository import ProjectRepository
from tests.conftest import BASE_URL, embedded_settings
from tests.support.accounts import PASSWORD, create_project, login, register, sign_up
from tests.support.services import ThrowawayRedisPrefix
from tests.support.tcpproxy import TcpProxy


def statements(response: httpx.Response) -> int:
    return int(response.headers["X-SQL-Statements"])


@pytest.fixture
async def redis() -> AsyncIterator[ThrowawayRedisPrefix]:
    prefix = ThrowawayRedisPrefix()
    await prefix.check()
    try:
        yield prefix
    finally:
        await prefix.clean()


@pytest.fixture
async def data_dir(tmp_path: Path) -> DataDir:
    data = DataDir(tmp_path)
    await asyncio.to_thread(data.prepare)
    return data


@asynccontextmanager
async def app_client(
    data: DataDir, redis: ThrowawayRedisPrefix, redis_url: str | None = None, **auth: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An embedded app on SQLite whose caches and throttles use Redis (maybe via a proxy)."""
    auth_settings, projects_settings = embedded_settings(
        data.auth_url, data.projects_url, data.signing_key, redis
    )
    if redis_url is not None:
        auth_settings = auth_settings.model_copy(update={"redis_url": SecretStr(redis_url)})
        projects_settings = projects_settings.model_copy(update={"redis_url": SecretStr(redis_url)})
    auth_settings = auth_settings.model_copy(update=auth)
    app = create_embedded_app(auth_settings, projects_settings, frontend_dir=None)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client


@asynccontextmanager
async def proxy_to_redis() -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", 6379)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.cut()


def errors(cache: str) -> float:
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "cache_errors"
        for sample in metric.samples
        if sample.name == "cache_errors_total" and sample.labels["cache"] == cache
    )


async def test_a_reader_paused_across_a_write_never_leaves_stale_data_behind(
    data_dir: DataDir, redis: ThrowawayRedisPrefix, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app_client(data_dir, redis) as api:
        ann = await sign_up(api, "ann")
        await create_project(api, ann, "Before")
        read_done, write_done = asyncio.Event(), asyncio.Event()
        original = ProjectRepository.list_page

        async def paused_list_page(self: ProjectRepository, *args: object) -> Sequence[object]:
            rows = await original(self, *args)  # type: ignore[arg-type]
            if not read_done.is_set():
                read_done.set()
                await write_done.wait()  # the writer commits while we hold old rows
            return rows

        monkeypatch.setattr(ProjectRepository, "list_page", paused_list_page)
        slow_reader = asyncio.create_task(api.get("/projects", headers=ann.headers))
        await read_done.wait()
        await create_project(api, ann, "After")
        write_done.set()
        stale = (await slow_reader).json()
        assert [p["name"] for p in stale["items"]] == ["Before"]  # it read before the write

        for _ in range(2):  # the next reads, cached or not, show the write
            fresh = await api.get("/projects", headers=ann.headers)
            assert [p["name"] for p in fresh.json()["items"]] == ["After", "Before"]
        assert statements(fresh) == 0


async def test_with_redis_unreachable_requests_are_answered_from_the_database(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    async with proxy_to_redis() as proxy:
        url = f"redis://127.0.0.1:{proxy.port}/0"
        async with app_client(data_dir, redis, redis_url=url) as api:
            ann = await sign_up(api, "ann")
            await create_project(api, ann, "Kept")
            warm = await api.get("/projects", headers=ann.headers)
            assert statements(await api.get("/projects", headers=ann.headers)) == 0

            await proxy.cut()
            before = errors("projects")
            started = time.monotonic()
            for _ in range(5):
                down = await api.get("/projects", headers=ann.headers)
                assert down.status_code == 200
                assert down.json() == warm.json()
                assert statements(down) > 0  # served by the database
            assert time.monotonic() - started < 2
            assert (await api.get("/auth/validate", headers=ann.headers)).status_code == 200
            assert errors("projects") > before

            # Writes still work, and once Redis is back the cache takes over again.
            await create_project(api, ann, "While down")
            await proxy.restore()
            deadline = time.monotonic() + 5
            while True:
                await asyncio.sleep(0.3)
                back = await api.get("/projects", headers=ann.headers)
                if statements(back) == 0:
                    break
                assert time.monotonic() < deadline, "the cache did not come back"
            assert [p["name"] for p in back.json()["items"]] == ["While down", "Kept"]


async def test_a_slow_redis_is_given_up_on_quickly(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    async with proxy_to_redis() as proxy:
        url = f"redis://127.0.0.1:{proxy.port}/0"
        async with app_client(data_dir, redis, redis_url=url) as api:
            ann = await sign_up(api, "ann")
            await create_project(api, ann, "Slow")
            proxy.delay = 1.5
            started = time.monotonic()
            response = await api.get("/projects", headers=ann.headers)
            elapsed = time.monotonic() - started
            proxy.delay = 0.0
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["items"]] == ["Slow"]
    # Given up after the client timeout, not after Redis's 1.5 s.
    assert elapsed < 1.0, f"waited {elapsed:.2f}s on a slow Redis"


async def _fail_login(api: httpx.AsyncClient, email: str) -> httpx.Response:
    return await login(api, email, "not-the-password-at-all")


async def test_failed_logins_per_account_are_throttled_with_retry_after(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    async with app_client(data_dir, redis, login_failures_per_account="10 per 15 minutes") as api:
        user = await register(api)
        email = str(user["email"])
        for _ in range(10):
            assert (await _fail_login(api, email)).status_code == 401
        throttled = await _fail_login(api, email)
        assert throttled.status_code == 429
        assert throttled.headers["content-type"] == "application/problem+json"
        assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60
        # Even the right password waits: the account is under attack.
        assert (await login(api, email, PASSWORD)).status_code == 429
        other = await register(api)
        assert (await login(api, str(other["email"]), PASSWORD)).status_code == 200


async def test_failed_logins_per_address_and_registrations_are_throttled(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    async with app_client(
        data_dir,
        redis,
        login_failures_per_ip="5 per 15 minutes",
        registrations_per_ip="3 per hour",
    ) as api:
        for i in range(5):
            assert (await _fail_login(api, f"nobody{i}@example.com")).status_code == 401
        assert (await _fail_login(api, "someone-else@example.com")).status_code == 429
        for _ in range(3):
            await register(api)
        refused = await api.post(
            "/auth/register", json={"email": "late@example.com", "password": PASSWORD}
        )
        assert refused.status_code == 429
        assert "Retry-After" in refused.headers


async def test_throttle_counters_are_shared_by_replicas_through_redis(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    async with (
        app_client(data_dir, redis, login_failures_per_account="4 per 15 minutes") as one,
        app_client(data_dir, redis, login_failures_per_account="4 per 15 minutes") as two,
    ):
        email = str((await register(one))["email"])
        for replica in (one, two, one, two):
            assert (await _fail_login(replica, email)).status_code == 401
        assert (await _fail_login(one, email)).status_code == 429
        assert (await _fail_login(two, email)).status_code == 429


async def test_throttles_fall_back_to_per_process_counters_without_redis(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    async with proxy_to_redis() as proxy:
        url = f"redis://127.0.0.1:{proxy.port}/0"
        async with app_client(
            data_dir, redis, redis_url=url, login_failures_per_account="3 per 15 minutes"
        ) as api:
            email = str((await register(api))["email"])
            await proxy.cut()
            for _ in range(3):
                assert (await _fail_login(api, email)).status_code == 401
            assert (await _fail_login(api, email)).status_code == 429
