"""Settings helpers shared by the services' settings classes."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from projectconnect.infra.tokens import DEFAULT_AUDIENCE

# Where `make run` serves the web app: mailed links lead there unless PUBLIC_URL says.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"

_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def normalize_database_url(url: str) -> str:
    """Give a database URL the async driver the services use (asyncpg, aiosqlite)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("DATABASE_URL must look like postgresql://... or sqlite:///...")
    scheme = _ASYNC_DRIVERS.get(scheme, scheme)
    if scheme not in ("postgresql+asyncpg", "sqlite+aiosqlite"):
        raise ValueError(f"unsupported database scheme {scheme!r}: use postgresql or sqlite")
    return f"{scheme}://{rest}"


DatabaseUrl = Annotated[str, AfterValidator(normalize_database_url)]


class DatabaseSettings(BaseSettings):
    """Just the database, for commands that need nothing else (migrations)."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    database_url: DatabaseUrl = Field(validation_alias="DATABASE_URL")


class BrokerSettings(BaseSettings):
    """The message broker, for the event workers and `migrate broker`."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    amqp_url: SecretStr = Field(validation_alias="AMQP_URL")
    events_namespace: str = Field(default="projectconnect", validation_alias="EVENTS_NAMESPACE")


class ServiceSettings(BaseSettings):
    """What every service reads: its database, the shared Redis and broker, token audience.

    Subclasses set their own `env_prefix` for the fields without an explicit alias.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, env_ignore_empty=True)

    database_url: DatabaseUrl = Field(validation_alias="DATABASE_URL")
    token_audience: str = DEFAULT_AUDIENCE
    db_pool_size: int = Field(default=10, ge=1, le=100)
    # How long a request waits for a pooled connection before it is answered 503 with
    # Retry-After, instead of queueing past the client's (or the gateway's) timeout.
    db_pool_timeout_seconds: float = Field(default=1.0, gt=0, le=60)
    # Redis for caches and throttles; unset means in-process (one replica).
    redis_url: SecretStr | None = Field(default=None, validation_alias="REDIS_URL")
    redis_timeout_ms: int = Field(default=50, ge=1, le=5000, validation_alias="REDIS_TIMEOUT_MS")
    cache_prefix: str = Field(default="pc:", validation_alias="CACHE_PREFIX")
    # Without Redis, the in-process cache holds at most this many bytes (LRU beyond).
    cache_memory_max_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024 * 1024, validation_alias="CACHE_MEMORY_MAX_BYTES"
    )
    # The event broker; unset means no broker (the embedded mode's bus is in-process).
    amqp_url: SecretStr | None = Field(default=None, validation_alias="AMQP_URL")
    events_namespace: str = Field(default="projectconnect", validation_alias="EVENTS_NAMESPACE")
    # Adds X-SQL-Statements to every response: for tests and benchmarks only.
    expose_sql_count: bool = False
    # The origin people open in a browser: mailed links lead there (unset: `make run`'s).
    public_url: str | None = Field(
        default=None, validation_alias="PUBLIC_URL", pattern=r"^https?://\S+$"
    )

    @property
    def redis_url_value(self) -> str | None:
        return self.redis_url.get_secret_value() if self.redis_url else None

    @property
    def public_url_value(self) -> str:
        """PUBLIC_URL without its trailing slash, else `make run`'s."""
        return (self.public_url or DEFAULT_PUBLIC_URL).rstrip("/")

    @property
    def amqp_url_value(self) -> str | None:
        return self.amqp_url.get_secret_value() if self.amqp_url else None


# The gateway's client_max_body_size is the same (gateway.py): the largest legitimate body
# (a project with a 10 000-character description) is a few tens of KiB.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class HttpSettings(BaseSettings):
    """What every server and app of this package allows a client (HTTP_* variables)."""

    model_config = SettingsConfigDict(env_prefix="HTTP_", extra="ignore", env_ignore_empty=True)

    # Larger bodies are answered 413 without being read.
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)
    # Request headers complete this long after the connection opens (or after a later
    # request's first byte), else the connection is closed.
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Between two pieces of a request body; then 408 and closed.
    body_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Embedded mode only: /metrics, /docs, /openapi.json to any address, not just loopback.
    public_internals: bool = False


class StackEnvironment(BaseSettings):
    """Names the stack shares with its children, so several stacks can share services."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    events_namespace: str = Field(default="projectconnect", validation_alias="EVENTS_NAMESPACE")
    cache_prefix: str = Field(default="pc:", validation_alias="CACHE_PREFIX")
