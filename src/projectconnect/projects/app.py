"""The projects service's composition: settings → database, token checks → FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from pathlib import Path

from projectconnect.infra.cache import CacheBackend, MemoryCache
from projectconnect.infra.db import Database
from projectconnect.infra.feed import Feed, make_feed
from projectconnect.infra.health import Check, service_checks
from projectconnect.infra.http import ServiceApp, compose_app
from projectconnect.infra.logs import configure_logging
from projectconnect.infra.mail import mail_relay
from projectconnect.infra.migrations import MigrationTree
from projectconnect.infra.outbox import EventPublisher, Outbox
from projectconnect.infra.periodic import every
from projectconnect.infra.rabbitmq import RabbitConsumer, RabbitPublisher, Topology
from projectconnect.infra.sessions import (
    AuthValidation,
    LocalSessions,
    SharedCacheSessions,
    TokenSessions,
)
from projectconnect.infra.tokens import KeySource, RemoteKeySource, SessionRegistry, TokenVerifier
from projectconnect.infra.tracing import configure_tracing
from projectconnect.projects import (
    api,
    discussion_api,
    handlers,
    labels_api,
    live_api,
    me_api,
    notifications_api,
    search_api,
    trash_api,
    workspaces_api,
)
from projectconnect.projects.cache import ReadCache
from projectconnect.projects.discussion import ActivityFeed, CommentService
from projectconnect.projects.fast_reads import CachedReader, fast_reads
from projectconnect.projects.labels import LabelService
from projectconnect.projects.live import Hub, Publisher, Streams
from projectconnect.projects.models import Base, MailOutboxMessage
from projectconnect.projects.my_tasks import MyTasksService
from projectconnect.projects.notification_center import NotificationCenter
from projectconnect.projects.notification_mail import MailSchedule, NotificationMail
from projectconnect.projects.notifications import DueReminders
from projectconnect.projects.search import SEARCH_SCHEMA, SearchService
from projectconnect.projects.service import ProjectService
from projectconnect.projects.settings import ProjectsSettings
from projectconnect.projects.trash import TrashPurge, TrashService
from projectconnect.projects.workspaces import WorkspaceService
from projectconnect.projects.writes import Writes

# What the service answers publicly: the gateway and the embedded app route these here.
ROUTERS = (
    api.router,
    discussion_api.router,
    trash_api.router,
    workspaces_api.router,
    labels_api.router,
    search_api.router,
    me_api.router,
    live_api.router,
    notifications_api.router,
)
PUBLIC_PREFIXES = (
    "projects",
    "workspaces",
    "invitations",
    "search",
    "me",
    "events",
    "notifications",
)

MIGRATIONS = MigrationTree(
    name="projects",
    script_location=Path(__file__).parent / "migrations",
    version_table="projects_alembic_version",
    metadata=Base.metadata,
    unmodelled=SEARCH_SCHEMA,
)


class ProjectsCore:
    """The use cases and event handlers over a database and a cache: what both the service
    and a consumer process of its own (`projectconnect worker`) run."""

    def __init__(
        self, settings: ProjectsSettings, db: Database, cache: CacheBackend, feed: Feed
    ) -> None:
        self.read_cache = ReadCache(
            cache.named("projects"),
            ttl=settings.read_cache_ttl_seconds,
            enabled=settings.read_cache,
            max_entry_bytes=settings.read_cache_max_entry_bytes,
            page_sizes=settings.read_cache_page_sizes,
            fence_seconds=settings.read_cache_fence_seconds,
        )
        writes = Writes(db, self.read_cache, Publisher(feed))
        self.mail_outbox = Outbox(MailOutboxMessage)
        self.workspaces = WorkspaceService(db, writes, mail_outbox=self.mail_outbox)
        self.service = ProjectService(db, writes, self.workspaces)
        self.labels = LabelService(db, writes)
        self.comments = CommentService(db, writes)
        self.activity = ActivityFeed(db)
        retention = dt.timedelta(days=settings.trash_retention_days)
        self.trash = TrashService(db, writes, retention)
        self.purge = TrashPurge(db, retention)
        self.search = SearchService(db)
        self.my_tasks = MyTasksService(db)
        self.notifications = NotificationCenter(db, writes)
        self.reminders = DueReminders(writes)
        self.notification_mail = NotificationMail(
            writes,
            self.mail_outbox,
            public_url=settings.public_url_value,
            schedule=MailSchedule(
                delay=dt.timedelta(seconds=settings.notification_mail_delay_seconds),
                gap=dt.timedelta(seconds=settings.notification_mail_gap_seconds),
                digest_hour=settings.notification_digest_hour,
            ),
        )
        self.events = handlers.dispatcher(self.workspaces)
        self._purge_interval = settings.trash_purge_interval_seconds
        self._reminder_interval = settings.due_reminder_interval_seconds
        self._mail_interval = settings.notification_mail_interval_seconds

    async def run_periodic_jobs(self) -> None:
        """The trash's purge, the due reminders and the notification mail, each on its own
        interval, until cancelled: run by one process, the one consuming events."""
        await asyncio.gather(
            every(self._purge_interval, self.purge.purge_once, name="trash purge"),
            every(self._reminder_interval, self.reminders.remind_once, name="due reminders"),
            every(self._mail_interval, self.notification_mail.mail_once, name="notification mail"),
        )


class ProjectsRuntime:
    """Everything the projects service holds while it runs.

    Keys and the session registry are handed in by the embedded server; on its own the
    service fetches keys from JWKS_URL and checks sessions in the shared cache, asking the
    auth service's validate when the cache does not hold the session or cannot answer.
    """

    name = "projects"

    def __init__(
        self,
        settings: ProjectsSettings,
        *,
        keys: KeySource | None = None,
        sessions: SessionRegistry | None = None,
        memory: MemoryCache | None = None,
    ) -> None:
        if keys is None:
            if settings.jwks_url is None:
                raise ValueError("JWKS_URL must point at the auth service's JWKS endpoint")
            keys = RemoteKeySource(str(settings.jwks_url))
        self.settings = settings
        self.db = Database(
            settings.database_url,
            name=self.name,
            pool_size=settings.db_pool_size,
            pool_timeout=settings.db_pool_timeout_seconds,
        )
        self.verifier = TokenVerifier(keys, audience=settings.token_audience)
        redis_url = settings.redis_url_value
        self.cache = CacheBackend(
            redis_url,
            timeout=settings.redis_timeout_ms / 1000,
            prefix=settings.cache_prefix,
            memory=memory,
            memory_max_bytes=settings.cache_memory_max_bytes,
        )
        self.sessions = (
            LocalSessions(sessions) if sessions is not None else self._shared_sessions(settings)
        )
        # The change feed the live streams follow: Redis's when there is one, else this
        # process's own (the embedded mode, where every writer is in this process).
        self.feed = make_feed(redis_url, prefix=settings.cache_prefix)
        core = ProjectsCore(settings, self.db, self.cache, self.feed)
        self.hub = Hub(self.feed)
        self.streams = Streams(
            self.hub,
            core.workspaces.roles_of,
            per_user=settings.live_streams_per_user,
            check_seconds=settings.live_check_seconds,
            heartbeat_seconds=settings.live_heartbeat_seconds,
        )
        self.read_cache = core.read_cache
        self.workspaces = core.workspaces
        self.mail_outbox = core.mail_outbox
        self.service = core.service
        self.labels = core.labels
        self.comments = core.comments
        self.activity = core.activity
        self.trash = core.trash
        self.search = core.search
        self.my_tasks = core.my_tasks
        self.notifications = core.notifications
        self.events = core.events
        self._core = core
        self._consumer: RabbitConsumer | None = None
        self._periodic: asyncio.Task[None] | None = None
        self._mail_bus: EventPublisher | None = None
        self._mail_publisher: RabbitPublisher | None = None
        self._mail_relay: asyncio.Task[None] | None = None

    def publish_mail_to(self, mail: EventPublisher) -> None:
        """Relay the mail outbox to `mail` (the embedded mode's in-process mailer) once started."""
        self._mail_bus = mail

    def _start_mail_relay(self) -> None:
        """The mail outbox's relay: to the in-process mailer, else to RabbitMQ like auth's."""
        publisher = self._mail_bus
        max_backoff = 10.0  # in-process, the mail server's outages are waited out here
        if publisher is None:
            if self.settings.amqp_url is None or not self.settings.run_mail_relay:
                return
            topology = Topology(namespace=self.settings.events_namespace)
            self._mail_publisher = RabbitPublisher(
                self.settings.amqp_url.get_secret_value(), topology
            )
            publisher, max_backoff = self._mail_publisher, 2.0
        relay = mail_relay(
            self.db, self.mail_outbox, publisher, service="projects", max_backoff=max_backoff
        )
        self._mail_relay = asyncio.create_task(relay.run(), name="mail-relay")

    def _shared_sessions(self, settings: ProjectsSettings) -> TokenSessions:
        """On its own: the session keys auth writes to the shared cache, else auth's validate."""
        url = settings.session_validate_url_value
        timeout = settings.session_validate_timeout_ms / 1000
        # `serve` always has JWKS_URL; only compositions in code (tests) may lack both.
        source = AuthValidation(url, timeout=timeout) if url is not None else None
        return SharedCacheSessions(self.cache.named("sessions"), source)

    def rabbit_consumer(self) -> RabbitConsumer:
        if self.settings.amqp_url is None:
            raise ValueError("AMQP_URL is not set")
        topology = Topology(namespace=self.settings.events_namespace)
        return RabbitConsumer(
            self.settings.amqp_url.get_secret_value(), topology, "projects", self.events
        )

    async def start(self) -> None:
        self._start_mail_relay()
        if self.settings.amqp_url is not None and self.settings.run_consumer:
            self._consumer = self.rabbit_consumer()
            await self._consumer.start()
        if self.settings.amqp_url is None or self.settings.run_consumer:
            # Where events are consumed, the periodic jobs run (the trash's purge, the due
            # reminders): the embedded server, or a service consuming its own queue (else
            # `projectconnect consume` runs them).
            self._periodic = asyncio.create_task(self._core.run_periodic_jobs())

    def readiness_checks(self) -> dict[str, Check]:
        return service_checks(self.db, self.cache, self.settings.amqp_url_value)

    def install(self, app: ServiceApp) -> None:
        app.state.projects_service = self.service
        app.state.projects_workspaces = self.workspaces
        app.state.projects_labels = self.labels
        app.state.projects_comments = self.comments
        app.state.projects_activity = self.activity
        app.state.projects_trash = self.trash
        app.state.projects_search = self.search
        app.state.projects_my_tasks = self.my_tasks
        app.state.projects_notifications = self.notifications
        app.state.projects_read_cache = self.read_cache
        app.state.projects_verifier = self.verifier
        app.state.projects_sessions = self.sessions
        app.state.projects_streams = self.streams
        # Ahead of every route: cache hits of the hottest reads skip the framework.
        reader = CachedReader(self.verifier, self.sessions, self.read_cache)
        app.fast_paths.extend(fast_reads(reader))

    async def close(self) -> None:
        for task in (self._periodic, self._mail_relay):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._mail_publisher is not None:
            await self._mail_publisher.close()
        if self._consumer is not None:
            await self._consumer.close()
        await self.hub.close()
        await self.feed.close()
        await self.sessions.close()
        await self.cache.close()
        await self.db.dispose()


def create_app(runtime: ProjectsRuntime) -> ServiceApp:
    return compose_app(
        [runtime],
        list(ROUTERS),
        title="Project Connect projects",
        description="Workspaces, their members and invitations, projects and their tasks.",
        count_statements=runtime.settings.expose_sql_count,
    )


def app_from_env() -> ServiceApp:
    """The service as configured by the environment: what `projectconnect serve projects` runs."""
    configure_logging("projects")
    configure_tracing("projects")
    return create_app(ProjectsRuntime(ProjectsSettings()))
