"""What every request goes through: its id, its access line, its metrics, its SQL count.

The id is the caller's `X-Request-ID` when well formed (the gateway sends one), made up
otherwise; it is returned, put on every log record of the request, and written in one
access line. Requests are counted and timed by method, route template and exact status.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from projectconnect.infra import metrics
from projectconnect.infra.db import StatementCount, statement_count

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


class RequestObserver:
    """`count_statements` adds X-SQL-Statements to responses: for tests and benchmarks."""

    def __init__(self, app: ASGIApp, *, count_statements: bool = False) -> None:
        self.app = app
        self.count_statements = count_statements
        # The series of each (method, route, status) met, looked up once: as many as the
        # metrics themselves hold. A duration's only once observed (streams have none).
        self._counts: dict[tuple[str, str, int], Counter] = {}
        self._durations: dict[tuple[str, str, int], Histogram] = {}

    def _count(self, key: tuple[str, str, int]) -> Counter:
        series = self._counts.get(key)
        if series is None:
            series = self._counts[key] = metrics.HTTP_REQUESTS.labels(*key[:2], str(key[2]))
        return series

    def _duration(self, key: tuple[str, str, int]) -> Histogram:
        series = self._durations.get(key)
        if series is None:
            series = self._durations[key] = metrics.HTTP_DURATION.labels(*key[:2], str(key[2]))
        return series

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for n, v in scope["headers"] if n == RAW_HEADER), None)
        given = incoming.decode("latin-1") if incoming is not None else None
        rid = given if given is not None and well_formed(given) else uuid.uuid4().hex
        statements = StatementCount()
        tokens = (request_id.set(rid), statement_count.set(statements))
        started = time.perf_counter()
        status = 500
        streamed = False

        async def send_observed(message: Message) -> None:
            nonlocal status, streamed
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(n, v) for n, v in message.get("headers", ()) if n != RAW_HEADER]
                streamed = any(
                    n == b"content-type" and v.startswith(b"text/event-stream") for n, v in headers
                )
                headers.append((RAW_HEADER, rid.encode("latin-1")))
                if self.count_statements:
                    headers.append((RAW_STATEMENTS_HEADER, str(statements.value).encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            elapsed = time.perf_counter() - started
            access_log.info(
                "%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed * 1e3
            )
            # Templates, not paths: one series per route, whatever the ids in it.
            template = getattr(scope.get("route"), "path", None) or "unmatched"
            if template not in UNMEASURED:
                key = (scope["method"], template, status)
                self._count(key).inc()
                if not streamed:  # a live stream lasts minutes: not a latency
                    self._duration(key).observe(elapsed)
            request_id.reset(tokens[0])
            statement_count.reset(tokens[1])
