"""Fixtures shared by every test folder.

`api` is an HTTP client for the whole public contract (/auth and /projects), run once per
backend: the embedded composition on SQLite, the same on PostgreSQL, and the two services as
separate `projectconnect serve` processes on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator
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
from projectconnect.infra.mailer import MailSettings
from projectconnect.infra.tokens import ensure_private_key_file
from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS
from projectconnect.projects.settings import ProjectsSettings
from tests.support.accounts import mail_arrives
from tests.support.mail import DirectoryMailbox, Mailbox, SmtpSink
from tests.support.processes import PrefixRouter, ServiceProcess, run_command
from tests.support.services import ThrowawayBroker, ThrowawayPostgres, ThrowawayRedisPrefix

BASE_URL = "https://pc.test"
# Cheap argon2 parameters keep the suite fast, and every test comes from one address, so
# the throttles and the hashing queue are opened wide; dedicated tests check them at their
# real settings.
TEST_AUTH_SETTINGS = {
    "argon2_time_cost": 1,
    "argon2_memory_kib": 1024,
    "hashing_queue_limit": 1000,
    "registrations_per_ip": "100000 per hour",
    "login_failures_per_ip": "100000 per hour",
    "mail_links_per_ip": "100000 per hour",
    "expose_sql_count": True,
}
# Production gives Redis 50 ms; a shared 2-core test machine under load needs slack, or a
# cache hit turns into a miss now and then.
TEST_REDIS_TIMEOUT_MS = 250
TEST_AUTH_ENV = {f"AUTH_{k.upper()}": str(v).lower() for k, v in TEST_AUTH_SETTINGS.items()}
# Tests drive the notification mail with a clock of their own; the services' own job leaves
# what is queued be for a day, so the suite's notifications do not flood the mailbox.
TEST_PROJECTS_SETTINGS = {"notification_mail_delay_seconds": 86400}
TEST_PROJECTS_ENV = {f"PROJECTS_{k.upper()}": str(v) for k, v in TEST_PROJECTS_SETTINGS.items()}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test shows what its fixtures saw (a `failure_report()` of titled texts: a
    stack's processes and logs), as sections of its report: a failure on a shared CI
    machine explains itself without a rerun."""
    report = yield
    if report.failed and call.when in {"setup", "call"}:
        for value in getattr(item, "funcargs", {}).values():
            for part in value if isinstance(value, tuple) else (value,):
                failure_report = getattr(part, "failure_report", None)
                if callable(failure_report):
                    report.sections.extend(failure_report())
    return report


@dataclass
class Backend:
    name: str
    client: httpx.AsyncClient
    app: FastAPI | None = None
    signing_key: Path | None = None
    # Where the projects database lives, to look behind the API in event tests.
    projects_url: str | None = None
    # Where the mail the services sent arrives: .eml files (embedded) or an SMTP server.
    mailbox: Mailbox | None = None
    auth_url: str | None = None

    def __post_init__(self) -> None:
        # Module-scoped fixtures use the client before any test's `api` fixture runs.
        if self.mailbox is not None:
            mail_arrives(self.client, self.mailbox)


def embedded_settings(
    auth_url: str, projects_url: str, key: Path, redis: ThrowawayRedisPrefix | None = None
) -> tuple[AuthSettings, ProjectsSettings]:
    shared: dict[str, object] = {}
    if redis is not None:
        shared = {
            "redis_url": redis.url,
            "cache_prefix": redis.prefix,
            "redis_timeout_ms": TEST_REDIS_TIMEOUT_MS,
        }
    auth = AuthSettings(
        database_url=auth_url,
        private_key_file=key,
        **TEST_AUTH_SETTINGS,  # type: ignore[arg-type]
        **shared,  # type: ignore[arg-type]
    )
    projects = ProjectsSettings(
        database_url=projects_url,
        expose_sql_count=True,
        **TEST_PROJECTS_SETTINGS,  # type: ignore[arg-type]
        **shared,  # type: ignore[arg-type]
    )
    return auth, projects


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
        app = create_embedded_app(
            *embedded_settings(data.auth_url, data.projects_url, key),
            mail=MailSettings(dir=data.mail_dir),
        )
        async for client in _in_process(app):
            yield Backend(
                "sqlite",
                client,
                app=app,
                signing_key=key,
                projects_url=data.projects_url,
                mailbox=DirectoryMailbox(data.mail_dir),
                auth_url=data.auth_url,
            )
        return

    pg = ThrowawayPostgres()
    await pg.check()
    redis = ThrowawayRedisPrefix()
    await redis.check()
    broker = ThrowawayBroker()
    if request.param == "processes":
        await broker.check()
    try:
        async for backend in _on_postgres(request.param, pg, redis, broker, root, key):
            yield backend
    finally:
        await pg.drop_all()
        await redis.clean()
        if request.param == "processes":
            await broker.delete()


async def _on_postgres(
    kind: str,
    pg: ThrowawayPostgres,
    redis: ThrowawayRedisPrefix,
    broker: ThrowawayBroker,
    root: Path,
    key: Path,
) -> AsyncIterator[Backend]:
    auth_url = await pg.create(f"{kind}_auth")
    projects_url = await pg.create(f"{kind}_projects")
    if kind == "postgres":
        await migrations.upgrade(AUTH_MIGRATIONS, auth_url)
        await migrations.upgrade(PROJECTS_MIGRATIONS, projects_url)
        app = create_embedded_app(
            *embedded_settings(auth_url, projects_url, key, redis),
            mail=MailSettings(dir=root / "mail"),
        )
        async for client in _in_process(app):
            yield Backend(
                "postgres",
                client,
                app=app,
                signing_key=key,
                projects_url=projects_url,
                mailbox=DirectoryMailbox(root / "mail"),
                auth_url=auth_url,
            )
        return

    events = {
        "AMQP_URL": broker.url,
        "EVENTS_NAMESPACE": broker.topology.namespace,
        "REDIS_URL": redis.url,
        "CACHE_PREFIX": redis.prefix,
        "REDIS_TIMEOUT_MS": str(TEST_REDIS_TIMEOUT_MS),
    }
    for target, env in (
        ("auth", {"DATABASE_URL": auth_url}),
        ("projects", {"DATABASE_URL": projects_url}),
        ("broker", events),
    ):
        result = run_command(["migrate", target], env)
        assert result.returncode == 0, result.stderr
    smtp = SmtpSink().start()
    try:
        async for backend in _processes(auth_url, projects_url, events, smtp, root, key):
            yield backend
    finally:
        smtp.stop()


async def _processes(
    auth_url: str,
    projects_url: str,
    events: dict[str, str],
    smtp: SmtpSink,
    root: Path,
    key: Path,
) -> AsyncIterator[Backend]:
    auth = ServiceProcess(
        "auth",
        {
            "DATABASE_URL": auth_url,
            "AUTH_PRIVATE_KEY_FILE": str(key),
            "MAIL_SMTP_URL": smtp.url,
            **TEST_AUTH_ENV,
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
                "PROJECTS_EXPOSE_SQL_COUNT": "true",
                **TEST_PROJECTS_ENV,
                **events,
            },
            root / "projects.log",
        )
        try:
            projects.wait_ready()
            router = PrefixRouter({"auth": auth.url, "projects": projects.url})
            async with httpx.AsyncClient(transport=router, base_url=BASE_URL) as client:
                yield Backend(
                    "processes",
                    client,
                    signing_key=key,
                    projects_url=projects_url,
                    mailbox=smtp,
                    auth_url=auth_url,
                )
        finally:
            projects.stop()
    finally:
        auth.stop()


@pytest.fixture
def api(backend: Backend) -> httpx.AsyncClient:
    backend.client.cookies.clear()
    return backend.client
