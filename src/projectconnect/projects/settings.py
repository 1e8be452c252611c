"""The projects service's configuration, from the environment."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from projectconnect.infra.config import DatabaseUrl
from projectconnect.infra.tokens import DEFAULT_AUDIENCE


class ProjectsSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PROJECTS_", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    database_url: DatabaseUrl = Field(validation_alias="DATABASE_URL")
    # Where the auth service publishes its public keys.
    jwks_url: AnyHttpUrl | None = Field(default=None, validation_alias="JWKS_URL")
    token_audience: str = DEFAULT_AUDIENCE
    # Events: the broker, and whether this process also runs the event consumer.
    amqp_url: SecretStr | None = Field(default=None, validation_alias="AMQP_URL")
    events_namespace: str = Field(default="projectconnect", validation_alias="EVENTS_NAMESPACE")
    run_consumer: bool = True
    # Redis for the shared session cache and the read caches; unset means in-process.
    redis_url: SecretStr | None = Field(default=None, validation_alias="REDIS_URL")
    redis_timeout_ms: int = Field(default=50, ge=1, le=5000, validation_alias="REDIS_TIMEOUT_MS")
    cache_prefix: str = Field(default="pc:", validation_alias="CACHE_PREFIX")
    # A safety net only: every write by the owner already makes the next read fresh.
    read_cache_ttl_seconds: int = Field(default=300, ge=1, le=86400)
    expose_sql_count: bool = False
    db_pool_size: int = Field(default=10, ge=1, le=100)
