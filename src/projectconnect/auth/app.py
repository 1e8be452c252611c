"""The auth service's composition: settings → database, keys, use cases → FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from pathlib import Path

from projectconnect.auth import api
from projectconnect.auth.links import AccountLinks, LinkPolicy
from projectconnect.auth.mails import AccountMails
from projectconnect.auth.models import Base, MailOutboxMessage, OutboxEvent
from projectconnect.auth.passwords import PasswordHasher
from projectconnect.auth.service import AuthService, ThrottleRules
from projectconnect.auth.settings import AuthSettings
from projectconnect.infra.cache import CacheBackend, MemoryCache
from projectconnect.infra.db import Database
from projectconnect.infra.health import Check, service_checks
from projectconnect.infra.http import ServiceApp, compose_app
from projectconnect.infra.logs import configure_logging
from projectconnect.infra.mail import mail_relay
from projectconnect.infra.mailer import Mailer, MailSettings, mailer_from
from projectconnect.infra.migrations import MigrationTree
from projectconnect.infra.outbox import EventPublisher, Outbox, OutboxRelay
from projectconnect.infra.rabbitmq import RabbitConsumer, RabbitPublisher, Topology
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

    def __init__(
        self,
        settings: AuthSettings,
        *,
        memory: MemoryCache | None = None,
        mail: MailSettings | None = None,
    ) -> None:
        self.settings = settings
        self.mail_settings = mail if mail is not None else MailSettings()
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
        self.db = Database(
            settings.database_url,
            name=self.name,
            pool_size=settings.db_pool_size,
            pool_timeout=settings.db_pool_timeout_seconds,
        )
        self.outbox = Outbox(OutboxEvent)
        self.mail_outbox = Outbox(MailOutboxMessage)
        hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            queue_limit=settings.hashing_queue_limit,
        )
        links = AccountLinks(
            self.db,
            hasher,
            self.outbox,
            self.mail_outbox,
            AccountMails(settings.public_url_value),
            session_cache,
            throttle,
            LinkPolicy(
                reset_ttl=dt.timedelta(minutes=settings.password_reset_ttl_minutes),
                verification_ttl=dt.timedelta(hours=settings.email_verification_ttl_hours),
                forgot_seconds=settings.password_forgot_seconds,
                links_per_email=Rule.parse("mail_links_per_email", settings.mail_links_per_email),
                links_per_ip=Rule.parse("mail_links_per_ip", settings.mail_links_per_ip),
            ),
        )
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
            hasher,
            self.outbox,
            session_cache,
            throttle,
            rules,
            session_ttl=dt.timedelta(days=settings.session_ttl_days),
            links=links,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._publishers: list[RabbitPublisher] = []
        self._consumer: RabbitConsumer | None = None
        self._bus: EventPublisher | None = None
        self._mail_bus: EventPublisher | None = None

    def relay(self, publisher: EventPublisher) -> OutboxRelay:
        return OutboxRelay(self.db, self.outbox, publisher)

    def mailer(self) -> Mailer | None:
        """The mailer MAIL_* configure; None when they name no SMTP server nor directory."""
        return mailer_from(self.mail_settings)

    def rabbit_publisher(self) -> RabbitPublisher:
        if self.settings.amqp_url is None:
            raise ValueError("AMQP_URL is not set")
        topology = Topology(namespace=self.settings.events_namespace)
        return RabbitPublisher(self.settings.amqp_url.get_secret_value(), topology)

    def publish_to(self, bus: EventPublisher, mail: EventPublisher | None = None) -> None:
        """Relay the outbox to this bus (the embedded mode's in-process one) once started,
        and the mail outbox to `mail` (the in-process mailer), if given."""
        self._bus = bus
        self._mail_bus = mail

    def _run(self, name: str, relay: OutboxRelay) -> None:
        self._tasks.append(asyncio.create_task(relay.run(), name=name))

    async def start(self) -> None:
        if self._bus is not None:
            self._run("outbox-relay", self.relay(self._bus))
            if self._mail_bus is not None:
                # In-process, the mail server's outages are waited out here: up to 10 s apart.
                relay = mail_relay(
                    self.db, self.mail_outbox, self._mail_bus, service="auth", max_backoff=10.0
                )
                self._run("mail-relay", relay)
            return
        if self.settings.amqp_url is None:
            return
        if self.settings.run_relay:
            self._publishers += [self.rabbit_publisher(), self.rabbit_publisher()]
            self._run("outbox-relay", self.relay(self._publishers[0]))
            self._run(
                "mail-relay",
                mail_relay(self.db, self.mail_outbox, self._publishers[1], service="auth"),
            )
        mailer = self.mailer() if self.settings.run_mailer else None
        if mailer is not None:
            topology = Topology(namespace=self.settings.events_namespace)
            amqp_url = self.settings.amqp_url.get_secret_value()
            self._consumer = RabbitConsumer(amqp_url, topology, "mailer", mailer.dispatcher())
            self._tasks.append(asyncio.create_task(self._consumer.start(), name="mailer"))

    def readiness_checks(self) -> dict[str, Check]:
        return service_checks(self.db, self.cache, self.settings.amqp_url_value)

    def install(self, app: ServiceApp) -> None:
        app.state.auth_service = self.service
        app.state.auth_settings = self.settings
        app.fast_paths.append(api.FastValidate(self.service))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._consumer is not None:
            await self._consumer.close()
        for publisher in self._publishers:
            await publisher.close()
        await self.cache.close()
        await self.db.dispose()


def create_app(runtime: AuthRuntime) -> ServiceApp:
    return compose_app(
        [runtime],
        [api.router],
        title="Project Connect auth",
        description="Accounts, sessions and access tokens.",
        count_statements=runtime.settings.expose_sql_count,
    )


def app_from_env() -> ServiceApp:
    """The service as configured by the environment: what `projectconnect serve auth` runs."""
    configure_logging("auth")
    configure_tracing("auth")
    return create_app(AuthRuntime(AuthSettings()))
