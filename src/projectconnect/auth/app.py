"""The auth service's composition: settings → database, keys, use cases → FastAPI app."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from projectconnect.auth import api
from projectconnect.auth.models import Base
from projectconnect.auth.passwords import PasswordHasher
from projectconnect.auth.service import AuthService
from projectconnect.auth.settings import AuthSettings
from projectconnect.infra.db import Database
from projectconnect.infra.health import database_check, health_router
from projectconnect.infra.http import create_service_app
from projectconnect.infra.migrations import MigrationTree
from projectconnect.infra.tokens import StaticKeySource, TokenSigner, TokenVerifier

MIGRATIONS = MigrationTree(
    name="auth",
    script_location=Path(__file__).parent / "migrations",
    version_table="auth_alembic_version",
    metadata=Base.metadata,
)


class AuthRuntime:
    """Everything the auth service holds while it runs."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self.db = Database(settings.database_url, pool_size=settings.db_pool_size)
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
            session_ttl=dt.timedelta(days=settings.session_ttl_days),
        )

    def install(self, app: FastAPI) -> None:
        app.state.auth_service = self.service
        app.state.auth_settings = self.settings

    async def close(self) -> None:
        await self.db.dispose()


def create_app(runtime: AuthRuntime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await runtime.close()

    app = create_service_app(
        title="Project Connect auth",
        description="Accounts, sessions and access tokens.",
        lifespan=lifespan,
    )
    runtime.install(app)
    app.include_router(api.router)
    app.include_router(health_router(lambda: {"database": database_check(runtime.db)}))
    return app


def app_from_env() -> FastAPI:
    """The service as configured by the environment: what `projectconnect serve auth` runs."""
    return create_app(AuthRuntime(AuthSettings()))
