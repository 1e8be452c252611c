"""The headers every answer carries, from the app itself and from the gateway alike.

One definition: the services add them (so they hold in the embedded mode and behind any
proxy) and the nginx gateway renders the same values for what it answers itself.
"""

from __future__ import annotations

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


def security_headers_for(path: str) -> list[tuple[bytes, bytes]]:
    """The security headers of the answer to `path`, raw (infra/frontdoor.py adds them)."""
    if path.startswith(DOCS_PATHS) and any(
        p == path or path.startswith(p + "/") for p in DOCS_PATHS
    ):
        return RAW_DOCS_HEADERS
    return RAW_HEADERS
