"""The HTTP servers a service can run on: uvicorn (the default) or Granian.

Both run the same ASGI application factory with the same worker model. Client addresses
and schemes from X-Forwarded-For and X-Forwarded-Proto are trusted only from
FORWARDED_ALLOW_IPS (the gateway), by the same middleware whichever server runs, so the
throttles see the same addresses and the refresh cookie the same scheme.

Slow clients: request headers must be complete within HTTP_HEADER_TIMEOUT_SECONDS of their
first byte (of the connection, for its first request), or the connection is closed: Granian
has this (`header_read_timeout`), uvicorn only times out idle keep-alive connections, so its
httptools protocol is extended here. Bodies are timed by the app itself (infra/bodies.py),
the same on both servers.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import gc
import os
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

if TYPE_CHECKING:
    from projectconnect.infra.config import HttpSettings

# Request line and headers together; llhttp itself sets no limit (nginx allows 4 x 8 KiB).
MAX_HEADER_BYTES = 64 * 1024


class Server(enum.StrEnum):
    uvicorn = "uvicorn"
    granian = "granian"


@functools.cache
def http_settings() -> HttpSettings:
    # Imported here: the command line imports this module for every subcommand.
    from projectconnect.infra.config import HttpSettings

    return HttpSettings()


class HeaderTooLarge(Exception):
    """Raised inside the parser: uvicorn answers 400 and closes, as nginx does."""


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size cap on request headers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._arm_header_deadline()

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        super().on_headers_complete()

    def _count_header_bytes(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            raise HeaderTooLarge

    def _arm_header_deadline(self) -> None:
        # Armed once per request: later bytes of a slow request do not push it back.
        if self._header_deadline is None:
            timeout = http_settings().header_timeout_seconds
            self._header_deadline = self.loop.call_later(timeout, self._headers_late)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_late(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options() -> dict[str, Any]:
    """What every uvicorn run of this package shares, `serve` and `dev` alike."""
    return {
        "http": HeaderDeadlineProtocol,
        "log_config": None,
        # Forwarded headers are handled by behind_proxy, the same for every server.
        "proxy_headers": False,
        "access_log": False,
    }


def behind_proxy(app: FastAPI) -> FastAPI:
    trusted = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)
    return app


def _settled(app: FastAPI) -> FastAPI:
    """Move everything imported and built so far out of the cyclic collector's sight.

    The modules, the application and its routes are hundreds of thousands of objects
    that live as long as the process. Left in the collector's oldest generation, each
    full collection walks all of them while requests wait: under load that was most of
    the p99 latency (see docs/benchmarks.md).
    """
    gc.collect()
    gc.freeze()
    return app


def auth_app() -> FastAPI:
    from projectconnect.auth.app import app_from_env

    return _settled(behind_proxy(app_from_env()))


def projects_app() -> FastAPI:
    from projectconnect.projects.app import app_from_env

    return _settled(behind_proxy(app_from_env()))


def run(
    factory: str,
    *,
    server: Server = Server.uvicorn,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
) -> None:
    """Serve the ASGI application `factory` ("module:function") until stopped."""
    if server is Server.granian:
        from granian.constants import HTTPModes, Interfaces
        from granian.http import HTTP1Settings
        from granian.server import Server as Granian

        header_timeout_ms = int(http_settings().header_timeout_seconds * 1000)
        Granian(
            factory,
            factory=True,
            address=host,
            port=port,
            workers=workers,
            interface=Interfaces.ASGI,
            http=HTTPModes.http1,
            http1_settings=HTTP1Settings(header_read_timeout=header_timeout_ms),
            websockets=False,
            log_access=False,
        ).serve()
        return
    import uvicorn

    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **uvicorn_options(),
    )
