"""The headers every answer carries, from the app itself and from the gateway alike.

One definition: the services add them (so they hold in the embedded mode and behind any
proxy) and the nginx gateway renders the same values for what it answers itself.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The front end's needs: its own scripts and styles, API calls to the same origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's /docs and /redoc pages load their bundles from jsDelivr and start them with an
# inline script; they hold no user data. Never framed either.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "font-src 'self' https://fonts.gstatic.com; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
# Answers are personal unless their route says otherwise (the JWKS, the front end's files).
DEFAULT_CACHE_CONTROL = "no-store"


def _is_docs(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in DOCS_PATHS)


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP answer, and `Cache-Control: no-store` to those
    whose route set no Cache-Control of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = _is_docs(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers[name] = value
                if docs:
                    headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
                if "cache-control" not in headers:
                    headers["Cache-Control"] = DEFAULT_CACHE_CONTROL
            await send(message)

        await self.app(scope, receive, send_with_headers)
