"""Settings helpers shared by the services' settings classes."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
