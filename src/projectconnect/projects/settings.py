"""The projects service's configuration, from the environment."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field
from pydantic_settings import SettingsConfigDict

from projectconnect.infra.config import ServiceSettings


class ProjectsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROJECTS_")

    # Where the auth service publishes its public keys.
    jwks_url: AnyHttpUrl | None = Field(default=None, validation_alias="JWKS_URL")
    # Whether this process also consumes events from AMQP_URL.
    run_consumer: bool = True
    # A safety net only: every write by the owner already makes the next read fresh.
    # Off sends every read to the database: for diagnosis and benchmarks of that path.
    read_cache: bool = True
    read_cache_ttl_seconds: int = Field(default=300, ge=1, le=86400)
