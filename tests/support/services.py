"""Reaching the real services the integration tests need, and failing loudly without them.

With CI=true a missing service fails the run; elsewhere its tests skip, saying why.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(service: str, error: BaseException) -> None:
    message = f"{service} is not reachable ({type(error).__name__}: {error})"
    if in_ci():
        pytest.fail(f"{message}; CI=true needs every service up", pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY: {message}; start it to run these tests")


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


class ThrowawayPostgres:
    """Databases made for one test run and dropped after it."""

    def __init__(self, admin_url: str = POSTGRES_ADMIN_URL) -> None:
        self.admin_url = admin_url
        self.prefix = f"pc_test_{secrets.token_hex(4)}"
        self.created: list[str] = []

    async def check(self) -> None:
        try:
            connection = await asyncpg.connect(self.admin_url, timeout=5)
        except (OSError, asyncpg.PostgresError) as exc:
            require("PostgreSQL", exc)
        else:
            await connection.close()

    async def create(self, suffix: str) -> str:
        """Create a database and return its SQLAlchemy (asyncpg) URL."""
        name = f"{self.prefix}_{suffix}"
        connection = await asyncpg.connect(self.admin_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        self.created.append(name)
        return _with_database(self.admin_url, name).replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )

    async def create_migrated(self, name: str) -> tuple[str, str]:
        """The auth and projects databases of `name`, each at its latest migration."""
        from projectconnect.auth.app import MIGRATIONS as AUTH_MIGRATIONS
        from projectconnect.infra import migrations
        from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS

        auth_url, projects_url = (
            await self.create(f"{name}_auth"),
            await self.create(f"{name}_projects"),
        )
        await migrations.upgrade(AUTH_MIGRATIONS, auth_url)
        await migrations.upgrade(PROJECTS_MIGRATIONS, projects_url)
        return auth_url, projects_url

    async def drop_all(self) -> None:
        connection = await asyncpg.connect(self.admin_url)
        try:
            for name in self.created:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
        self.created.clear()


AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


class ThrowawayBroker:
    """A RabbitMQ namespace (exchanges and queues) made for one test run, deleted after it."""

    def __init__(self, url: str = AMQP_URL) -> None:
        from projectconnect.infra.rabbitmq import Topology

        self.url = url
        self.topology = Topology(namespace=f"pc_test_{secrets.token_hex(4)}")

    async def check(self) -> None:
        import aio_pika

        try:
            connection = await aio_pika.connect(self.url, timeout=5)
        except Exception as exc:  # any failure to connect means the broker is not usable
            require("RabbitMQ", exc)
        else:
            await connection.close()

    async def delete(self) -> None:
        import aio_pika

        connection = await aio_pika.connect(self.url, timeout=5)
        async with connection:
            await self.topology.delete(await connection.channel())


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class ThrowawayRedisPrefix:
    """A key prefix of one test run's own; its keys are deleted after it."""

    def __init__(self, url: str = REDIS_URL) -> None:
        self.url = url
        self.prefix = f"pc_test_{secrets.token_hex(4)}:"

    async def check(self) -> None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2)
        try:
            await client.ping()
        except Exception as exc:  # any failure means Redis is not usable
            require("Redis", exc)
        finally:
            await client.aclose()

    async def clean(self) -> None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.url)
        try:
            keys = [key async for key in client.scan_iter(match=f"{self.prefix}*", count=1000)]
            # limits keeps its counters under its own prefix inside ours.
            keys += [key async for key in client.scan_iter(match=f"*{self.prefix}*", count=1000)]
            if keys:
                await client.delete(*set(keys))
        finally:
            await client.aclose()


@contextlib.asynccontextmanager
async def redis_prefix() -> AsyncIterator[ThrowawayRedisPrefix]:
    """A checked prefix of the real Redis, its keys deleted afterwards."""
    prefix = ThrowawayRedisPrefix()
    await prefix.check()
    try:
        yield prefix
    finally:
        await prefix.clean()
