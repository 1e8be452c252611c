"""The projects service's configuration, from the environment."""

from __future__ import annotations

from urllib.parse import urljoin

from pydantic import AnyHttpUrl, Field, field_validator
from pydantic_settings import SettingsConfigDict

from projectconnect.infra.config import ServiceSettings
from projectconnect.infra.pagination import MAX_PAGE_SIZE


class ProjectsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROJECTS_")

    # Where the auth service publishes its public keys.
    jwks_url: AnyHttpUrl | None = Field(default=None, validation_alias="JWKS_URL")
    # Whether this process also consumes events from AMQP_URL.
    run_consumer: bool = True
    # Whether this process also relays the service's mail outbox (invitations' mail) to
    # AMQP_URL; `projectconnect consume` does it too. One relay is enough, several are safe
    # (rows are claimed): deployments leave it to the consumer and turn it off on replicas.
    run_mail_relay: bool = True
    # A safety net only: every write by the owner already makes the next read fresh.
    # Off sends every read to the database: for diagnosis and benchmarks of that path.
    read_cache: bool = True
    read_cache_ttl_seconds: int = Field(default=300, ge=1, le=86400)
    # A response bigger than this is served but not cached.
    read_cache_max_entry_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
    # How long a write's fence keeps every replica off the cache of what it touched, when
    # the new generation cannot be written after the commit; longer than any transaction.
    read_cache_fence_seconds: float = Field(default=60.0, ge=1, le=3600)
    # The page sizes (`limit`) whose pages are cached; other sizes are read from the database.
    read_cache_page_sizes: frozenset[int] = frozenset({20, 100})
    # The auth service's session check, asked when the shared cache does not hold a session
    # or cannot answer; unset, it is JWKS_URL's sibling `…/auth/validate`.
    session_validate_url: AnyHttpUrl | None = None
    session_validate_timeout_ms: int = Field(default=1000, ge=10, le=30000)
    # How long deleted projects and tasks stay restorable in their workspace's trash.
    trash_retention_days: float = Field(default=30, gt=0, le=3650)
    # How often the process that consumes events (or the embedded server) purges the trash.
    trash_purge_interval_seconds: float = Field(default=3600, gt=0, le=86400)
    # How often that process reminds assignees of tasks due tomorrow or overdue.
    due_reminder_interval_seconds: float = Field(default=900, gt=0, le=86400)
    # Notification mail (`projects.notification_mail`), sent by that process too: how
    # often it looks; how long a notification waits before it is mailed (read in the app
    # meanwhile, it is not), so what follows soon after goes in the same mail; the least
    # time between two such mails to a person; the hour (UTC) of the daily summaries.
    notification_mail_interval_seconds: float = Field(default=30, gt=0, le=3600)
    notification_mail_delay_seconds: float = Field(default=120, ge=0, le=86400)
    notification_mail_gap_seconds: float = Field(default=600, ge=0, le=86400)
    notification_digest_hour: int = Field(default=7, ge=0, le=23)

    # Live update streams (`GET /events/stream`) a person may hold open at once, across
    # replicas: a few tabs and devices, not a flood.
    live_streams_per_user: int = Field(default=5, ge=1, le=100)
    # How often an open stream checks that its session is still active (and renews its slot).
    live_check_seconds: float = Field(default=5.0, gt=0, le=30)
    # How often an idle stream sends a comment line, so proxies keep it open.
    live_heartbeat_seconds: float = Field(default=15.0, gt=0, le=60)

    @field_validator("read_cache_page_sizes")
    @classmethod
    def _page_sizes_in_range(cls, sizes: frozenset[int]) -> frozenset[int]:
        if not all(1 <= size <= MAX_PAGE_SIZE for size in sizes):
            raise ValueError(f"page sizes must be between 1 and {MAX_PAGE_SIZE}")
        return sizes

    @property
    def session_validate_url_value(self) -> str | None:
        if self.session_validate_url is not None:
            return str(self.session_validate_url)
        if self.jwks_url is not None:
            # …/auth/.well-known/jwks.json → …/auth/validate
            return urljoin(str(self.jwks_url), "../validate")
        return None
