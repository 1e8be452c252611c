"""Metrics and API documents for this machine only, in the embedded mode.

Behind the gateway they are never routed; `projectconnect dev --host 0.0.0.0` has no gateway,
so there a client from another address gets the same 404 as for a path that does not exist.
The client address is the one left by the forwarded-headers handling (servers.behind_proxy).
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

from projectconnect.infra.problems import problem_response

INTERNAL_PREFIXES = ("/metrics", "/docs", "/redoc", "/openapi.json")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_internal(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in INTERNAL_PREFIXES)


class LoopbackOnlyInternals:
    """Answers 404 to INTERNAL_PREFIXES unless the client is on a loopback address."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _is_internal(scope["path"]):
            client = scope.get("client")
            # No address at all is a Unix socket: this machine.
            if client is not None and not is_loopback(client[0]):
                path = scope["path"]
                await problem_response(404, f"No resource at {path}.", instance=path)(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)
