"""The auth service's composition: settings → database, keys, use cases → FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from pathlib import Path

from fastapi import FastAPI

from projectconnect.auth import api
from projectconnect.auth.models import Base, OutboxEvent
from projectconnect.auth.passwords import PasswordHasher
from projectconnect.auth.service import AuthService, ThrottleRules
from projectconnect.auth.settings import AuthSettings
from projectconnect.infra.cache import CacheBackend, MemoryCache
from projectconnect.infra.db import Database
from projectconnect.infra.health import Check, service_checks
from projectconnect.infra.http import compose_app
from projectconnect.infra.logs import configure_logging
from projectconnect.infra.migrations import MigrationTree
from projectconnect.infra.outbox import EventPublisher, Outbox, OutboxRelay
from projectconnect.infra.rabbitmq import RabbitPublisher, Topology
from projectconnect.infra.sessions import SessionCache
from projectconnect.infra.throttle import Rule, Throttle
from projectconnect.infra.tokens import StaticKeySource, TokenSigner, TokenVerifier
from projectconnect.infra.tracing import configure_tracing

MIGRATIONS = MigrationTree(
    name="auth",
    script_location=Path(__file__).parent / "migrations",
    version_table="auth_alembic_version",
    metadata=Base.metadata,
)


class AuthRuntime:
    """Everything the auth service holds while it runs."""

    name = "auth"

    def __init__(self, settings: AuthSettings, *, memory: MemoryCache | None = None) -> None:
        self.settings = settings
        redis_url = settings.redis_url_value
        timeout = settings.redis_timeout_ms / 1000
        self.cache = CacheBackend(
            redis_url,
            timeout=timeout,
            prefix=settings.cache_prefix,
            memory=memory,
            memory_max_bytes=settings.cache_memory_max_bytes,
        )
        throttle = Throttle(
            redis_url, timeout=timeout, prefix=settings.cache_prefix, breaker=self.cache.breaker
        )
        rules = ThrottleRules(
            login_failures_per_account_and_ip=Rule.parse(
                "login_failures_per_account_and_ip", settings.login_failures_per_account_and_ip
            ),
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
        self.db = Database(settings.database_url, name=self.name, pool_size=settings.db_pool_size)
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
                time_cost=settings.argon2_time_cost,
                memory_kib=settings.argon2_memory_kib,
                queue_limit=settings.hashing_queue_limit,
            ),
            self.outbox,
            session_cache,
            throttle,
            rules,
            session_ttl=dt.timedelta(days=settings.session_ttl_days),
        )
        self._relay_task: asyncio.Task[None] | None = None
        self._publisher: RabbitPublisher | None = None
        self._bus: EventPublisher | None = None

    def relay(self, publisher: EventPublisher) -> OutboxRelay:
        return OutboxRelay(self.db, self.outbox, publisher)

    def rabbit_publisher(self) -> RabbitPublisher:
        if self.settings.amqp_url is None:
            raise ValueError("AMQP_URL is not set")
        topology = Topology(namespace=self.settings.events_namespace)
        return RabbitPublisher(self.settings.amqp_url.get_secret_value(), topology)

    def publish_to(self, bus: EventPublisher) -> None:
        """Relay the outbox to this bus (the embedded mode's in-process one) once started."""
        self._bus = bus

    async def start(self) -> None:
        publisher: EventPublisher | None = self._bus
        if publisher is None and self.settings.amqp_url is not None and self.settings.run_relay:
            publisher = self._publisher = self.rabbit_publisher()
        if publisher is not None:
            relay = self.relay(publisher).run()
            self._relay_task = asyncio.create_task(relay, name="outbox-relay")

    def readiness_checks(self) -> dict[str, Check]:
        return service_checks(self.db, self.cache, self.settings.amqp_url_value)

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
    return compose_app(
        [runtime],
        [api.router],
        title="Project Connect auth",
        description="Accounts, sessions and access tokens.",
        count_statements=runtime.settings.expose_sql_count,
    )


def app_from_env() -> FastAPI:
    """The service as configured by the environment: what `projectconnect serve auth` runs."""
    configure_logging("auth")
    configure_tracing("auth")
    return create_app(AuthRuntime(AuthSettings()))
