"""A request's id and the access log (infra/frontdoor.py gives each request its id and
writes its line).

The id is the caller's `X-Request-ID` when well formed (the gateway sends one), made up
otherwise; it is returned, put on every log record of the request, and written in its
access line.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
from collections.abc import Iterable
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


class _Ids:
    """New ids: 32 hex digits, like the gateway's, from a random prefix of this process
    and a counter, without a random draw for each request."""

    def __init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        self.prefix = os.urandom(8).hex()
        self.counter = itertools.count()

    def new(self) -> str:
        return f"{self.prefix}{next(self.counter):016x}"


_ids = _Ids()
# Workers forked from a parent that imported this module get a prefix of their own.
os.register_at_fork(after_in_child=_ids.reseed)
new_id = _ids.new


def request_id_of(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID when well formed, else a new id."""
    for name, value in headers:
        if name == RAW_HEADER:
            given = value.decode("latin-1")
            return given if well_formed(given) else new_id()
    return new_id()
