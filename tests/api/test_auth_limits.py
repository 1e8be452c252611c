"""The login throttles and the hashing queue at real settings, concurrency included.

Each test builds its own embedded app, as a test of a throttle needs limits the shared `api`
backends open wide, and addresses of its own: once with in-process counters, and once as two
replicas sharing their counters through Redis (requests alternate between them).
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from prometheus_client import REGISTRY

from projectconnect.auth.passwords import PasswordHasher
from projectconnect.devserver import DataDir, create_embedded_app
from tests.conftest import BASE_URL, embedded_settings
from tests.support.accounts import PASSWORD, login, register, unique_email
from tests.support.embedded import prepared_data_dir
from tests.support.services import ThrowawayRedisPrefix, redis_prefix
from tests.support.waiting import eventually

WRONG = "not the password at all"


@pytest.fixture
async def data_dir(tmp_path_factory: pytest.TempPathFactory) -> DataDir:
    return await prepared_data_dir(tmp_path_factory.mktemp("limits"))


@pytest.fixture(params=["in-process", "redis"])
async def redis(request: pytest.FixtureRequest) -> AsyncIterator[ThrowawayRedisPrefix | None]:
    """No Redis (one app, in-process counters), or a Redis prefix two replicas share."""
    if request.param == "in-process":
        yield None
        return
    async with redis_prefix() as prefix:
        yield prefix


@asynccontextmanager
async def embedded_app(
    data: DataDir, redis: ThrowawayRedisPrefix | None, **auth: object
) -> AsyncIterator[FastAPI]:
    auth_settings, projects_settings = embedded_settings(
        data.auth_url, data.projects_url, data.signing_key, redis
    )
    # Bursts of concurrent requests on a shared machine can keep Redis's answers waiting past
    # the suite's timeout, and a timeout falls back to per-process counters by design.
    auth_settings = auth_settings.model_copy(update={"redis_timeout_ms": 3000, **auth})
    app = create_embedded_app(auth_settings, projects_settings, frontend_dir=None)
    async with LifespanManager(app):
        yield app


class Replicas:
    """The apps under test, reached from any client address; calls alternate between apps."""

    def __init__(self, apps: list[FastAPI], stack: AsyncExitStack) -> None:
        self.apps = apps
        self.stack = stack
        self._clients: dict[tuple[str, int], httpx.AsyncClient] = {}
        self._turn = 0

    async def client(self, address: str) -> httpx.AsyncClient:
        """A client whose requests come from `address`, on the next replica in turn."""
        self._turn += 1
        replica = self._turn % len(self.apps)
        key = (address, replica)
        if key not in self._clients:
            transport = httpx.ASGITransport(
                app=self.apps[replica], raise_app_exceptions=False, client=(address, 40000)
            )
            client = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
            self._clients[key] = await self.stack.enter_async_context(client)
        return self._clients[key]


@asynccontextmanager
async def replicas(
    data: DataDir, redis: ThrowawayRedisPrefix | None, **auth: object
) -> AsyncIterator[Replicas]:
    async with AsyncExitStack() as stack:
        count = 1 if redis is None else 2
        apps = [
            await stack.enter_async_context(embedded_app(data, redis, **auth)) for _ in range(count)
        ]
        yield Replicas(apps, stack)


def metric(name: str, **labels: str) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    return value or 0.0


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60


async def attempt(
    apps: Replicas, address: str, email: str, password: str = WRONG
) -> httpx.Response:
    return await login(await apps.client(address), email, password)


# Concurrent guesses are counted before they are hashed


async def test_concurrent_guesses_from_one_address_are_counted_before_hashing(
    data_dir: DataDir, redis: ThrowawayRedisPrefix | None
) -> None:
    async with replicas(data_dir, redis, login_failures_per_ip="20 per 15 minutes") as apps:
        # (The hashing queue is opened wide by embedded_settings, as for every test.)
        clients = [await apps.client("198.51.100.7") for _ in range(2)]
        failures = metric("auth_logins_total", outcome="failure")
        responses = await asyncio.gather(
            *(login(clients[i % 2], unique_email("guess"), WRONG) for i in range(60))
        )
        statuses = collections.Counter(response.status_code for response in responses)
        # Exactly the limit were hashed (each replica alone would allow 20 more).
        assert statuses == {401: 20, 429: 40}, statuses
        assert metric("auth_logins_total", outcome="failure") - failures == 20
        for response in responses:
            if response.status_code == 429:
                assert_throttled(response)


async def test_a_successful_login_gives_its_reservation_back_and_clears_nothing_else(
    data_dir: DataDir, redis: ThrowawayRedisPrefix | None
) -> None:
    async with replicas(
        data_dir,
        redis,
        login_failures_per_ip="6 per 15 minutes",
        login_failures_per_account_and_ip="3 per 15 minutes",
    ) as apps:
        here = "198.51.100.8"
        email = str((await register(await apps.client(here)))["email"])
        # Successes do not use up the address's allowance of failures...
        for _ in range(7):
            assert (await attempt(apps, here, email, PASSWORD)).status_code == 200
        # ...and forgive the failures of their own account from their own address.
        for _ in range(2):
            assert (await attempt(apps, here, email)).status_code == 401
        assert (await attempt(apps, here, email, PASSWORD)).status_code == 200
        for _ in range(3):
            assert (await attempt(apps, here, email)).status_code == 401
        assert_throttled(await attempt(apps, here, email))
        # But not the address's other failures (5 so far): logging into one's own account
        # does not reset the count of guesses at other people's.
        assert (await attempt(apps, here, unique_email("other"))).status_code == 401
        assert_throttled(await attempt(apps, here, unique_email("other")))


# A stranger cannot lock the owner out; a guess spread over addresses still stops


async def test_guesses_from_one_address_do_not_lock_the_owner_out_elsewhere(
    data_dir: DataDir, redis: ThrowawayRedisPrefix | None
) -> None:
    async with replicas(
        data_dir, redis, login_failures_per_account_and_ip="5 per 15 minutes"
    ) as apps:
        email = str((await register(await apps.client("192.0.2.1")))["email"])
        for _ in range(5):
            assert (await attempt(apps, "203.0.113.66", email)).status_code == 401
        assert_throttled(await attempt(apps, "203.0.113.66", email))
        assert_throttled(await attempt(apps, "203.0.113.66", email, PASSWORD))
        # The owner, from their own address, is not affected.
        assert (await attempt(apps, "192.0.2.1", email, PASSWORD)).status_code == 200


async def test_the_per_account_ceiling_stops_a_guess_spread_over_addresses(
    data_dir: DataDir, redis: ThrowawayRedisPrefix | None
) -> None:
    async with replicas(
        data_dir,
        redis,
        login_failures_per_account_and_ip="5 per 15 minutes",
        login_failures_per_account="12 per 15 minutes",
    ) as apps:
        email = str((await register(await apps.client("192.0.2.1")))["email"])
        # 5 + 5 + 2 guesses from three addresses reach the ceiling of 12.
        for address, guesses in (("203.0.113.1", 5), ("203.0.113.2", 5), ("203.0.113.3", 2)):
            for _ in range(guesses):
                assert (await attempt(apps, address, email)).status_code == 401
        assert_throttled(await attempt(apps, "203.0.113.3", email))
        assert_throttled(await attempt(apps, "203.0.113.4", email))
        # Other accounts are not affected.
        other = str((await register(await apps.client("192.0.2.2")))["email"])
        assert (await attempt(apps, "203.0.113.4", other, PASSWORD)).status_code == 200


# The hashing queue is bounded


class BlockedHashing:
    """Stands in for the hasher's argon2 until `gate` opens."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.inner = hasher._hash
        self.gate = threading.Event()

    def hash(self, password: str) -> str:
        self.gate.wait(60)
        return self.inner.hash(password)

    def verify(self, password: str, password_hash: str) -> bool:
        self.gate.wait(60)
        return self.inner.verify(password, password_hash)


@pytest.fixture
def blocked() -> Iterator[list[BlockedHashing]]:
    """Blocked hashers, always let go: the hashing threads are the process's."""
    gates: list[BlockedHashing] = []
    try:
        yield gates
    finally:
        for gate in gates:
            gate.gate.set()


async def test_hashing_past_the_queue_limit_is_refused_at_once_with_503(
    data_dir: DataDir, blocked: list[BlockedHashing], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with replicas(
        data_dir,
        None,
        hashing_queue_limit=2,
        login_failures_per_account_and_ip="3 per 15 minutes",
        registrations_per_ip="2 per hour",
    ) as apps:
        client = await apps.client("198.51.100.9")
        email = str((await register(client))["email"])
        hasher: PasswordHasher = apps.apps[0].state.auth_service.hasher
        stand_in = BlockedHashing(hasher)
        blocked.append(stand_in)
        monkeypatch.setattr(hasher, "_hash", stand_in)
        waiting = [asyncio.create_task(login(client, email, WRONG)) for _ in range(2)]
        await eventually(lambda: hasher.queued == 2, message="two hashes never queued")

        shed_before = metric("auth_password_hashes_shed_total")
        started = time.monotonic()
        refused = [
            await login(client, email, PASSWORD),
            await client.post(
                "/auth/register", json={"email": unique_email(), "password": PASSWORD}
            ),
        ]
        assert time.monotonic() - started < 10
        for response in refused:
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["Retry-After"] == "1"
            assert response.json()["type"].endswith("/hashing_busy")
        assert metric("auth_password_hashes_shed_total") - shed_before == 2
        assert not any(task.done() for task in waiting)

        stand_in.gate.set()
        assert [(await task).status_code for task in waiting] == [401, 401]
        # What was refused unchecked did not count: the third of three checks and the second
        # of two registrations are still allowed.
        assert (await login(client, email, PASSWORD)).status_code == 200
        await register(client)
