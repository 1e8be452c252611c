"""Relay and consumer as their own processes, started late: nothing is lost meanwhile."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from projectconnect.auth.models import OutboxEvent
from projectconnect.infra.tokens import ensure_private_key_file
from projectconnect.projects.models import Project
from tests.support.accounts import create_project, sign_up
from tests.support.processes import PrefixRouter, ServiceProcess, free_port, run_command
from tests.support.services import ThrowawayBroker, ThrowawayPostgres
from tests.support.waiting import eventually


async def _count(url: str, statement: object) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(statement) or 0)  # type: ignore[call-overload]
    finally:
        await engine.dispose()


async def _wait_for(url: str, statement: object, expected: int, within: float = 60.0) -> None:
    async def reached() -> bool:
        return await _count(url, statement) == expected

    await eventually(reached, within=within, message=f"expected {expected}")


async def _serving_metrics(port: int) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(f"http://127.0.0.1:{port}/metrics")).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
async def stores() -> AsyncIterator[tuple[str, str, ThrowawayBroker]]:
    pg = ThrowawayPostgres()
    await pg.check()
    broker = ThrowawayBroker()
    await broker.check()
    try:
        yield await pg.create("workers_auth"), await pg.create("workers_projects"), broker
    finally:
        await pg.drop_all()
        await broker.delete()


async def test_deletion_reaches_projects_when_relay_and_consumer_start_later(
    stores: tuple[str, str, ThrowawayBroker], tmp_path: Path
) -> None:
    auth_url, projects_url, broker = stores
    events = {"AMQP_URL": broker.url, "EVENTS_NAMESPACE": broker.topology.namespace}
    auth_env = {"DATABASE_URL": auth_url, **events}
    projects_env = {"DATABASE_URL": projects_url, **events}
    for target, env in (("auth", auth_env), ("projects", projects_env), ("broker", events)):
        assert run_command(["migrate", target], env).returncode == 0
    key = ensure_private_key_file(tmp_path / "key.pem")
    started: list[ServiceProcess] = []

    def start(name: str, env: dict[str, str], command: list[str] | None = None) -> ServiceProcess:
        process = ServiceProcess(name, env, tmp_path / f"{name}.log", command)
        started.append(process)
        return process

    try:
        # The services run their HTTP side only; relay and consumer are separate workers.
        auth = start(
            "auth",
            {
                **auth_env,
                "AUTH_PRIVATE_KEY_FILE": str(key),
                "AUTH_RUN_RELAY": "false",
                "AUTH_ARGON2_MEMORY_KIB": "1024",
                "AUTH_ARGON2_TIME_COST": "1",
            },
        )
        auth.wait_ready()
        projects = start(
            "projects",
            {
                **projects_env,
                "JWKS_URL": f"{auth.url}/auth/.well-known/jwks.json",
                "PROJECTS_RUN_CONSUMER": "false",
            },
        )
        projects.wait_ready()
        router = PrefixRouter({"auth": auth.url, "projects": projects.url})
        async with httpx.AsyncClient(transport=router, base_url="https://pc.test") as api:
            ann = await sign_up(api, "ann")
            await create_project(api, ann, "One")
            await create_project(api, ann, "Two")
            deleted = await api.request(
                "DELETE", "/auth/me", json={"password": ann.password}, headers=ann.headers
            )
            assert deleted.status_code == 204

        owned = (
            select(func.count()).select_from(Project).where(Project.created_by == uuid.UUID(ann.id))
        )
        pending = (
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None))
        )
        # No relay and no consumer yet: the events (the registration's, the deletion's) wait
        # in the outbox, the projects remain.
        assert await _count(auth_url, pending) == 2
        assert await _count(projects_url, owned) == 2

        metrics_port = free_port()
        start("relay", auth_env, ["relay", "--metrics-port", str(metrics_port)])
        # Up (serving its metrics) first, however long a loaded machine takes to start it;
        # then the outbox drains.
        await eventually(lambda: _serving_metrics(metrics_port), within=120)
        await _wait_for(auth_url, pending, 0)
        # The worker serves its own counters for Prometheus.
        async with httpx.AsyncClient() as client:
            scraped = (await client.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
        assert 'events_published_total{type="user.deleted"} 1.0' in scraped
        assert "outbox_backlog_events" in scraped
        assert await _count(projects_url, owned) == 2  # held by the broker for the consumer

        consumer_port = free_port()
        start(
            "consumer", projects_env, ["consume", "projects", "--metrics-port", str(consumer_port)]
        )
        await eventually(lambda: _serving_metrics(consumer_port), within=120)
        await _wait_for(projects_url, owned, 0)
    finally:
        for process in reversed(started):
            process.stop()
