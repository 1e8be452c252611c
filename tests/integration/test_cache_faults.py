"""The caches against the real Redis: races, outages, slowness, throttles across replicas,
and session revocation that holds when the projects service's Redis link fails or a
session key is evicted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import redis.asyncio as aioredis
import uvicorn
from asgi_lifespan import LifespanManager
from prometheus_client import REGISTRY
from pydantic import SecretStr

from projectconnect.auth.app import AuthRuntime
from projectconnect.auth.app import create_app as create_auth_app
from projectconnect.devserver import DataDir, create_embedded_app
from projectconnect.infra.cache import CacheBackend, CacheUnavailable, Derived
from projectconnect.projects.app import ProjectsRuntime
from projectconnect.projects.app import create_app as create_projects_app
from projectconnect.projects.repository import VisibleProjects
from tests.conftest import BASE_URL, embedded_settings
from tests.support.accounts import (
    PASSWORD,
    Account,
    create_project,
    login,
    register,
    sign_up,
    statements,
)
from tests.support.embedded import prepared_data_dir
from tests.support.processes import free_port
from tests.support.services import ThrowawayRedisPrefix, redis_prefix
from tests.support.tcpproxy import TcpProxy
from tests.support.waiting import eventually


@pytest.fixture
async def redis() -> AsyncIterator[ThrowawayRedisPrefix]:
    async with redis_prefix() as prefix:
        yield prefix


@pytest.fixture
async def data_dir(tmp_path: Path) -> DataDir:
    return await prepared_data_dir(tmp_path)


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


def lookups(cache: str) -> float:
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "cache_requests"
        for sample in metric.samples
        if sample.name == "cache_requests_total" and sample.labels["cache"] == cache
    )


def link_errors(reason: str | None = None) -> float:
    """Errors of the caches a read meets the link in: a cached read fetches the session's
    key with its entries (the projects cache), the route checks the session alone."""
    return errors("sessions", reason) + errors("projects", reason)


def errors(cache: str, reason: str | None = None) -> float:
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "cache_errors"
        for sample in metric.samples
        if sample.name == "cache_errors_total"
        and sample.labels["cache"] == cache
        and reason in (None, sample.labels["reason"])
    )


async def test_a_reader_paused_across_a_write_never_leaves_stale_data_behind(
    data_dir: DataDir, redis: ThrowawayRedisPrefix, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app_client(data_dir, redis) as api:
        ann = await sign_up(api, "ann")
        await create_project(api, ann, "Before")
        read_done, write_done = asyncio.Event(), asyncio.Event()
        original = VisibleProjects.list_page

        async def paused_list_page(self: VisibleProjects, *args: Any) -> Sequence[Any]:
            rows = await original(self, *args)
            if not read_done.is_set():
                read_done.set()
                await write_done.wait()  # the writer commits while we hold old rows
            return rows

        monkeypatch.setattr(VisibleProjects, "list_page", paused_list_page)
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

            # A write could not keep the other replicas off the cache: it waits for Redis.
            refused = await api.post("/projects", json={"name": "Lost"}, headers=ann.headers)
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"]
            assert refused.headers["content-type"] == "application/problem+json"
            await proxy.restore()
            # Once Redis is back, writes go through and the cache takes over again.
            await eventually(
                lambda: _created(api, ann, "While down"), within=5, message="writes stay refused"
            )
            pages: list[httpx.Response] = []

            async def served_from_cache() -> bool:
                pages.append(await api.get("/projects", headers=ann.headers))
                return statements(pages[-1]) == 0

            await eventually(served_from_cache, within=5, message="the cache did not come back")
            assert [p["name"] for p in pages[-1].json()["items"]] == ["While down", "Kept"]


async def _created(api: httpx.AsyncClient, owner: Account, name: str) -> bool:
    response = await api.post("/projects", json={"name": name}, headers=owner.headers)
    return response.status_code == 201


async def test_a_slow_redis_is_given_up_on_quickly(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    async with proxy_to_redis() as proxy:
        url = f"redis://127.0.0.1:{proxy.port}/0"
        async with app_client(data_dir, redis, redis_url=url) as api:
            ann = await sign_up(api, "ann")
            await create_project(api, ann, "Slow")
            proxy.delay = 10.0
            started = time.monotonic()
            response = await api.get("/projects", headers=ann.headers)
            elapsed = time.monotonic() - started
            proxy.delay = 0.0
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["items"]] == ["Slow"]
    # Given up after the client's timeouts (TEST_REDIS_TIMEOUT_MS each), not after Redis's
    # 10 s: the bound leaves room for a host that is slow for a while.
    assert elapsed < 5.0, f"waited {elapsed:.2f}s on a slow Redis"


async def test_a_burst_past_the_redis_pool_waits_and_leaves_the_breaker_closed(
    redis: ThrowawayRedisPrefix,
) -> None:
    """A replica's reads and its streams' session checks share one pool of connections.
    A burst past its size waits briefly for one; a call that waits in vain is a miss of
    that call only, not a Redis outage: the breaker stays closed, so the next session
    checks are not all sent to the auth service."""
    backend = CacheBackend(redis.url, prefix=redis.prefix, max_connections=2, pool_wait=0.2)
    assert backend.client is not None
    pool = backend.client.connection_pool
    sessions, pages = backend.named("sessions"), backend.named("projects")
    try:
        assert await sessions.set("session:1", b"active:1", ttl=60)
        assert await pages.set("page:1", b"[]", ttl=60)
        held = [await pool.get_connection() for _ in range(2)]  # type: ignore[no-untyped-call]

        # Busy for a moment: the burst waits, then every call is answered by Redis.
        burst = [sessions.lookup("session:1") for _ in range(10)] + [
            pages.get("page:1") for _ in range(10)
        ]
        waiting = [asyncio.ensure_future(call) for call in burst]
        for _ in range(5):
            await asyncio.sleep(0)  # each call runs up to its wait for a connection
        assert not any(call.done() for call in waiting)
        for connection in held:
            await pool.release(connection)
        answers = await asyncio.gather(*waiting)
        assert answers == [b"active:1"] * 10 + [b"[]"] * 10
        assert not backend.breaker.is_open

        # Busy for longer than the wait: those calls cannot tell, counted as the pool's.
        exhausted = errors("sessions", "pool_exhausted")
        held = [await pool.get_connection() for _ in range(2)]  # type: ignore[no-untyped-call]
        with pytest.raises(CacheUnavailable):
            await sessions.lookup("session:1")
        assert await pages.get("page:1") is None  # a read fails open, as a miss
        for connection in held:
            await pool.release(connection)
        assert errors("sessions", "pool_exhausted") == exhausted + 1
        assert not backend.breaker.is_open
        # Redis was well all along: the very next calls are answered, no cool-down.
        assert await sessions.lookup("session:1") == b"active:1"
        assert await pages.get("page:1") == b"[]"
    finally:
        await backend.close()


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


@dataclass
class SeparateServices:
    """Auth on a real port; projects on its own, reaching Redis and auth through proxies."""

    auth: httpx.AsyncClient
    projects: httpx.AsyncClient
    redis_link: TcpProxy
    auth_link: TcpProxy


@asynccontextmanager
async def separate_services(
    data: DataDir, redis: ThrowawayRedisPrefix
) -> AsyncIterator[SeparateServices]:
    auth_settings, projects_settings = embedded_settings(
        data.auth_url, data.projects_url, data.signing_key, redis
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_auth_app(AuthRuntime(auth_settings)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    serving = asyncio.create_task(server.serve())
    redis_link, auth_link = TcpProxy("127.0.0.1", 6379), TcpProxy("127.0.0.1", port)
    await redis_link.start()
    await auth_link.start()
    try:
        await eventually(lambda: server.started, message="auth did not start")
        projects_settings = projects_settings.model_copy(
            update={
                "redis_url": SecretStr(f"redis://127.0.0.1:{redis_link.port}/0"),
                "jwks_url": f"http://127.0.0.1:{port}/auth/.well-known/jwks.json",
                "session_validate_url": f"http://127.0.0.1:{auth_link.port}/auth/validate",
            }
        )
        app = create_projects_app(ProjectsRuntime(projects_settings))
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as auth,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app, raise_app_exceptions=False),
                base_url=BASE_URL,
            ) as projects,
        ):
            yield SeparateServices(auth, projects, redis_link, auth_link)
    finally:
        await redis_link.cut()
        await auth_link.cut()
        server.should_exit = True
        await serving


def session_key(redis: ThrowawayRedisPrefix, account: Account) -> str:
    claims = jwt.decode(account.access_token, options={"verify_signature": False})
    return f"{redis.prefix}session:{claims['sid']}"


async def read(services: SeparateServices, account: Account) -> httpx.Response:
    return await services.projects.get("/projects", headers=account.headers)


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) >= 1


async def test_a_logged_out_token_stays_refused_while_the_projects_redis_link_is_down(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    async with separate_services(data_dir, redis) as services:
        ann = await sign_up(services.auth, "ann")
        bob = await sign_up(services.auth, "bob")
        assert (await read(services, ann)).status_code == 200
        assert (await services.auth.post("/auth/logout", headers=ann.headers)).status_code == 204
        assert (await read(services, ann)).status_code == 401

        await services.redis_link.cut()
        refused, open_before = link_errors(), link_errors("circuit_open")
        for _ in range(20):
            assert (await read(services, ann)).status_code == 401
            live = await read(services, bob)  # asked of auth, then served from the database
            assert live.status_code == 200
            assert live.json()["items"] == []
        # Both kinds of failure were met: Redis errors, and the breaker open after them.
        assert link_errors() - link_errors("circuit_open") > refused - open_before
        assert link_errors("circuit_open") > open_before

        await services.auth_link.cut()  # nobody can tell now: refused, and told to retry
        assert_unavailable(await read(services, ann))
        assert_unavailable(await read(services, bob))

        await services.auth_link.restore()
        await services.redis_link.restore()
        await eventually(lambda: _status(services, bob, 200), message="no recovery")
        assert (await read(services, ann)).status_code == 401


async def _status(services: SeparateServices, account: Account, status: int) -> bool:
    return (await read(services, account)).status_code == status


async def test_an_evicted_session_key_is_asked_of_the_auth_service(
    data_dir: DataDir, redis: ThrowawayRedisPrefix
) -> None:
    client = aioredis.Redis.from_url(redis.url)
    try:
        async with separate_services(data_dir, redis) as services:
            ann = await sign_up(services.auth, "ann")
            bob = await sign_up(services.auth, "bob")
            for account in (ann, bob):
                assert (await read(services, account)).status_code == 200
            assert (
                await services.auth.post("/auth/logout", headers=ann.headers)
            ).status_code == 204
            assert await client.get(session_key(redis, ann)) == b"revoked"

            # Evicted: the revocation marker is gone, the logged-out token is still refused.
            await client.delete(session_key(redis, ann), session_key(redis, bob))
            for _ in range(3):
                assert (await read(services, ann)).status_code == 401
            assert (await read(services, bob)).status_code == 200
            assert await client.exists(session_key(redis, bob))  # auth remembered it again

            # A key that is held needs no one else (one cache read, the whole check); one that
            # is not, with auth away, is a 503.
            await services.auth_link.cut()
            looked_up = lookups("sessions")
            assert (await read(services, bob)).status_code == 200
            assert lookups("sessions") - looked_up == 1
            await client.delete(session_key(redis, bob))
            assert_unavailable(await read(services, bob))
            assert_unavailable(await read(services, ann))
    finally:
        await client.aclose()


@pytest.mark.parametrize("where", ["redis", "memory"])
async def test_a_fetch_reads_keys_and_entries_under_their_generations_in_one_call(
    redis: ThrowawayRedisPrefix, where: str
) -> None:
    """What a hot read asks for at once: plain keys, and keys named by another key's value,
    not followed when that value is absent or fenced. Redis (one script) and the
    in-process cache answer alike."""
    backend = CacheBackend(redis.url if where == "redis" else None, prefix=redis.prefix)
    cache = backend.named("projects")
    try:
        for key, value in {
            "session:1": b"active:1",
            "a:gen": b"g1",
            "a:g1:page": b"[1]",
            "b:gen": b"~fenced",
            "b:~fenced:page": b"stale",
            "c:gen": b"g3",
        }.items():
            assert await cache.set(key, value, ttl=60)
        values, found = await cache.fetch(
            ["session:1", "session:2"],
            [
                Derived("a:gen", "a:", ":page"),
                Derived("a:gen", "a:", ":other"),
                Derived("b:gen", "b:", ":page"),
                Derived("c:gen", "c:", ":page"),
                Derived("d:gen", "d:", ":page"),
            ],
            b"~",
        )
        assert values == [b"active:1", None]
        assert found == [
            (b"g1", b"[1]"),
            (b"g1", None),
            (b"~fenced", None),
            (b"g3", None),
            (None, None),
        ]
    finally:
        await backend.close()
