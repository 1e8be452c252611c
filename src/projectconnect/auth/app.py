"""The auth service's composition: settings → database, keys, use cases → FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from projectconnect.auth import api
from projectconnect.auth.models import Base, OutboxEvent
from projectconnect.auth.passwords import PasswordHasher
from projectconnect.auth.service import AuthService, ThrottleRules
from projectconnect.auth.settings import AuthSettings
from projectconnect.infra.cache import CacheBackend, MemoryCache
from projectconnect.infra.db import Database
from projectconnect.infra.health import Check, database_check, health_router
from projectconnect.infra.http import create_service_app
from projectconnect.infra.migrations import MigrationTree
from projectconnect.infra.outbox import EventPublisher, Outbox, OutboxRelay
from projectconnect.infra.rabbitmq import RabbitPublisher, Topology
from projectconnect.infra.sessions import SessionCache
from projectconnect.infra.throttle import Rule, Throttle
from projectconnect.infra.tokens import StaticKeySource, TokenSigner, TokenVerifier

MIGRATIONS = MigrationTree(
    name="auth",
    script_location=Path(__file__).parent / "migrations",
    version_table="auth_alembic_version",
    metadata=Base.metadata,
)


class AuthRuntime:
    """Everything the auth service holds while it runs."""

    def __init__(self, settings: AuthSettings, *, memory: MemoryCache | None = None) -> None:
        self.settings = settings
        redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
        timeout = settings.redis_timeout_ms / 1000
        self.cache = CacheBackend(
            redis_url, timeout=timeout, prefix=settings.cache_prefix, memory=memory
        )
        throttle = Throttle(
            redis_url, timeout=timeout, prefix=settings.cache_prefix, breaker=self.cache.breaker
        )
        rules = ThrottleRules(
            login_failures_per_account=Rule.parse(
                "login_failures_per_account", settings.login_failures_per_account
            ),
            login_failures_per_ip=Rule.parse(
                "login_failures_per_ip", settings.login_failures_per_ip
            ),
            registrations_per_ip=Rule.parse("registrations_per_ip", settings.registrations_per_ip),
        )
        session_cache = SessionCache(
            self.cache.named("sessions"),
            active_ttl=settings.session_cache_ttl_seconds,
            revoked_ttl=settings.access_token_ttl_seconds + 60,
        )
        self.db = Database(settings.database_url, pool_size=settings.db_pool_size)
        self.outbox = Outbox(OutboxEvent)
        self.signer = TokenSigner(
            settings.private_key_pem(),
            audience=settings.token_audience,
            ttl_seconds=settings.access_token_ttl_seconds,
        )
        verifier = TokenVerifier(StaticKeySource(self.signer.jwks()), audience=self.signer.audience)
        self.service = AuthService(
            self.db,
            self.signer,
            verifier,
            PasswordHasher(
                time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib
            ),
            self.outbox,
            session_cache,
            throttle,
            rules,
            session_ttl=dt.timedelta(days=settings.session_ttl_days),
        )
        self._relay_task: asyncio.Task[None] | None = None
        self._publisher: RabbitPublisher | None = None

    def relay(self, publisher: EventPublisher) -> OutboxRelay:
        return OutboxRelay(self.db, self.outbox, publisher)

    def rabbit_publisher(self) -> RabbitPublisher:
        if self.settings.amqp_url is None:
            raise ValueError("AMQP_URL is not set")
        topology = Topology(namespace=self.settings.events_namespace)
        return RabbitPublisher(self.settings.amqp_url.get_secret_value(), topology)

    def start_relay(self, publisher: EventPublisher) -> None:
        """Relay the outbox from this process, until close()."""
        self._relay_task = asyncio.create_task(self.relay(publisher).run(), name="outbox-relay")

    async def start(self) -> None:
        if self.settings.amqp_url is not None and self.settings.run_relay:
            self._publisher = self.rabbit_publisher()
            self.start_relay(self._publisher)

    def readiness_checks(self) -> dict[str, Check]:
        checks = {"database": database_check(self.db)}
        if self.cache.client is not None:
            checks["redis"] = self.cache.ping
        return checks

    def install(self, app: FastAPI) -> None:
        app.state.auth_service = self.service
        app.state.auth_settings = self.settings

    async def close(self) -> None:
        if self._relay_task is not None:
            self._relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay_task
        if self._publisher is not None:
            await self._publisher.close()
        await self.cache.close()
        await self.db.dispose()


def create_app(runtime: AuthRuntime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.close()

    app = create_service_app(
        title="Project Connect auth",
        description="Accounts, sessions and access tokens.",
        lifespan=lifespan,
        count_statements=runtime.settings.expose_sql_count,
    )
    runtime.install(app)
    app.include_router(api.router)
    app.include_router(health_router(runtime.readiness_checks))
    return app


def app_from_env() -> FastAPI:
    """The service as configured by the environment: what `projectconnect serve auth` runs."""
    return create_app(AuthRuntime(AuthSettings()))
