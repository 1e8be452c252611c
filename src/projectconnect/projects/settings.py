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
    db_pool_size: int = Field(default=10, ge=1, le=100)
