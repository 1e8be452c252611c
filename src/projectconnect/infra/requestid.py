"""A request's id, its access line and its SQL count (infra/frontdoor.py keeps them).

The id is the caller's `X-Request-ID` when well formed (the gateway sends one), made up
otherwise; it is returned, put on every log record of the request, and written in one
access line. Requests are counted and timed by method, route template and exact status.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar

HEADER = "X-Request-ID"
STATEMENTS_HEADER = "X-SQL-Statements"
RAW_HEADER = HEADER.lower().encode()
RAW_STATEMENTS_HEADER = STATEMENTS_HEADER.lower().encode()
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# Probes and scrapes would drown the traffic that matters.
UNMEASURED = frozenset({"/metrics", "/health/live", "/health/ready"})

request_id: ContextVar[str] = ContextVar("request_id", default="-")
access_log = logging.getLogger("projectconnect.access")


def well_formed(value: str | None) -> bool:
    return value is not None and _WELL_FORMED.fullmatch(value) is not None
