"""A service whose database goes away answers 503 and comes back by itself.

The auth service runs as a `serve` process whose DATABASE_URL goes through a TCP proxy;
cutting the proxy makes PostgreSQL refuse connections without touching the shared server.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from projectconnect.infra.tokens import ensure_private_key_file
from tests.conftest import TEST_AUTH_ENV
from tests.support.accounts import PASSWORD, unique_email
from tests.support.processes import ServiceProcess, run_command
from tests.support.services import ThrowawayPostgres
from tests.support.tcpproxy import TcpProxy


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict[str, object]:
        value: dict[str, object] = json.loads(self.body)
        return value


class KeptAliveClient:
    """One HTTP/1.1 connection, reused for every request: a dropped one is an error."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def _call(self, method: str, path: str, body: object | None) -> Answer:
        payload = None if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json"} if payload else {}
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        return Answer(response.status, response.headers, response.read())

    async def call(self, method: str, path: str, body: object | None = None) -> Answer:
        # In a thread: the proxy runs on this test's event loop.
        return await asyncio.to_thread(self._call, method, path, body)

    @property
    def socket(self) -> object:
        return self.connection.sock


@pytest.fixture
async def auth_behind_proxy(tmp_path: Path) -> AsyncIterator[tuple[ServiceProcess, TcpProxy]]:
    pg = ThrowawayPostgres()
    await pg.check()
    url = await pg.create("outage_auth")
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    migrated = await asyncio.to_thread(run_command, ["migrate", "auth"], {"DATABASE_URL": url})
    assert migrated.returncode == 0, migrated.stderr
    env = {
        **TEST_AUTH_ENV,
        "DATABASE_URL": url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"),
        "AUTH_PRIVATE_KEY_FILE": str(ensure_private_key_file(tmp_path / "key.pem")),
    }
    auth = ServiceProcess("auth", env, tmp_path / "auth.log")
    try:
        await asyncio.to_thread(auth.wait_ready)
        yield auth, proxy
    finally:
        auth.stop()
        await proxy.cut()
        await pg.drop_all()


async def test_an_unreachable_database_is_a_503_on_a_kept_connection_and_then_heals(
    auth_behind_proxy: tuple[ServiceProcess, TcpProxy],
) -> None:
    auth, proxy = auth_behind_proxy
    client = KeptAliveClient(auth.port)
    email = unique_email("outage")
    credentials = {"email": email, "password": PASSWORD}
    assert (await client.call("POST", "/auth/register", credentials)).status == 201
    assert (await client.call("POST", "/auth/login", credentials)).status == 200
    connection = client.socket

    await proxy.cut()
    refused = await client.call("POST", "/auth/login", credentials)
    assert refused.status == 503, refused.body
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) > 0
    assert refused.json()["type"] == "https://projectconnect.dev/problems/unavailable"
    ready = await client.call("GET", "/health/ready")
    assert ready.status == 503
    assert ready.json()["status"] == "unavailable"
    assert client.socket is connection, "the service closed the keep-alive connection"

    await proxy.restore()
    started = time.monotonic()
    back = await client.call("POST", "/auth/login", credentials)
    assert back.status == 200, back.body
    assert time.monotonic() - started < 1.0
    assert (await client.call("GET", "/health/ready")).status == 200
    assert client.socket is connection
