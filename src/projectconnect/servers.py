"""The HTTP servers a service can run on: uvicorn (the default) or Granian.

Both run the same ASGI application factory with the same worker model. Client addresses
from X-Forwarded-For are trusted only from FORWARDED_ALLOW_IPS (the gateway), by the same
middleware whichever server runs, so the throttles see the same addresses.
"""

from __future__ import annotations

import enum
import gc
import os

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


class Server(enum.StrEnum):
    uvicorn = "uvicorn"
    granian = "granian"


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
        from granian.server import Server as Granian

        Granian(
            factory,
            factory=True,
            address=host,
            port=port,
            workers=workers,
            interface=Interfaces.ASGI,
            http=HTTPModes.http1,
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
        log_config=None,
        # Forwarded headers are handled by behind_proxy, the same for every server.
        proxy_headers=False,
        access_log=False,
    )
