"""Process-wide logging: one line per record, each with the request id it belongs to."""

from __future__ import annotations

import logging
import sys

from projectconnect.infra.requestid import RequestIdFilter

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    """Idempotent: a second call (a reloaded app factory) adds no second handler."""
    root = logging.getLogger()
    if any(getattr(h, "projectconnect", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.projectconnect = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    # Our access line carries the request id; uvicorn's own would repeat it without.
    logging.getLogger("uvicorn.access").disabled = True
    # Outgoing calls (JWKS, health checks) are not worth a line each.
    logging.getLogger("httpx").setLevel(logging.WARNING)
