"""Liveness and readiness endpoints at a service's root."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from projectconnect.infra.cache import CacheBackend
from projectconnect.infra.db import Database

Check = Callable[[], Awaitable[None]]
# Dependencies the service keeps working without (it fails open or retries): reported in
# the body, but their outage does not take the instance out of rotation.
OPTIONAL = frozenset({"redis", "broker"})


def database_check(db: Database) -> Check:
    async def check() -> None:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return check


def broker_check(url: str) -> Check:
    async def check() -> None:
        import aio_pika

        connection = await aio_pika.connect(url, timeout=2)
        await connection.close()

    return check


def service_checks(
    db: Database, cache: CacheBackend, amqp_url: str | None = None
) -> dict[str, Check]:
    """What a service uses: its database, and Redis and the broker when configured."""
    checks = {"database": database_check(db)}
    if cache.client is not None:
        checks["redis"] = cache.ping
    if amqp_url is not None:
        checks["broker"] = broker_check(amqp_url)
    return checks


def health_router(checks: Callable[[], Mapping[str, Check]], *, timeout: float = 2.0) -> APIRouter:
    router = APIRouter(prefix="/health", tags=["health"], include_in_schema=False)

    @router.get("/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready")
    async def ready() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks().items():
            try:
                await asyncio.wait_for(check(), timeout)
                results[name] = "ok"
            except Exception as exc:  # any failure is reported; the body says which
                results[name] = f"error: {type(exc).__name__}"
        failed = {name for name, result in results.items() if result != "ok"}
        required_failed = any(name.rsplit("_", 1)[-1] not in OPTIONAL for name in failed)
        status = "unavailable" if required_failed else "degraded" if failed else "ok"
        return JSONResponse(
            {"status": status, "checks": results}, status_code=503 if required_failed else 200
        )

    return router
