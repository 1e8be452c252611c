"""The embedded app on an in-process client of a chosen origin and address."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from projectconnect.devserver import DataDir, create_embedded_app
from projectconnect.infra.config import HttpSettings
from tests.conftest import embedded_settings

ASSET = "assets/index-1a2b3c4d.js"
LAN_CLIENT = ("192.168.1.20", 50000)

Embedded = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


async def prepared_data_dir(root: Path) -> DataDir:
    """A data dir under `root` with its key and both databases migrated."""
    data = DataDir(root)
    await asyncio.to_thread(data.prepare)
    return data


@pytest.fixture
async def prepared(tmp_path: Path) -> DataDir:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Project Connect</title>")
    (dist / ASSET).write_text("console.log(1)")
    return await prepared_data_dir(tmp_path / "data")


@pytest.fixture
def embedded(prepared: DataDir) -> Embedded:
    """The embedded app on a client of the given origin and address, settings overridden."""

    @asynccontextmanager
    async def start(
        base_url: str = "https://pc.test",
        client: tuple[str, int] = ("127.0.0.1", 50000),
        http: HttpSettings | None = None,
        wrap: Callable[[FastAPI], FastAPI] = lambda app: app,
        **auth: object,
    ) -> AsyncIterator[httpx.AsyncClient]:
        auth_settings, projects_settings = embedded_settings(
            prepared.auth_url, prepared.projects_url, prepared.signing_key
        )
        app = create_embedded_app(
            auth_settings.model_copy(update=auth),
            projects_settings,
            frontend_dir=prepared.root.parent / "dist",
            http=http or HttpSettings(),
        )
        async with LifespanManager(wrap(app)) as manager:
            transport = httpx.ASGITransport(app=manager.app, client=client)
            async with httpx.AsyncClient(transport=transport, base_url=base_url) as api:
                yield api

    return start
