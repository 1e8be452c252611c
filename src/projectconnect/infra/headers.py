"""The headers every answer carries, from the app itself and from the gateway alike.

One definition: the services add them (so they hold in the embedded mode and behind any
proxy) and the nginx gateway renders the same values for what it answers itself.
"""

from __future__ import annotations

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


def _raw(headers: tuple[tuple[str, str], ...]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


# As an ASGI answer carries them (lower-case names, bytes), built once: every answer adds them.
RAW_HEADERS = _raw(SECURITY_HEADERS)
RAW_DOCS_HEADERS = _raw(
    tuple(
        (name, DOCS_CONTENT_SECURITY_POLICY if name == "Content-Security-Policy" else value)
        for name, value in SECURITY_HEADERS
    )
)
RAW_NAMES = frozenset(name for name, _ in RAW_HEADERS)
RAW_CACHE_CONTROL = (b"cache-control", DEFAULT_CACHE_CONTROL.encode())


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
        added = RAW_DOCS_HEADERS if _is_docs(scope["path"]) else RAW_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = [(n, v) for n, v in message.get("headers", ()) if n.lower() not in RAW_NAMES]
                cached = any(n.lower() == b"cache-control" for n, _ in own)
                message["headers"] = [*own, *added] if cached else [*own, *added, RAW_CACHE_CONTROL]
            await send(message)

        await self.app(scope, receive, send_with_headers)
