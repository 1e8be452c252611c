"""The outermost layer of every service's app, ahead of the framework's own.

Every HTTP request passes here once: it gets its id (infra/requestid.py), its answer the
security headers (infra/headers.py) and the id, and the request one access line and its
metrics — answers of the framework's error handler included.

A service may also register fast paths: GET requests whose answer it can give without
the framework's routing, dependency resolution and validation (a cache hit). A fast path
that answers None declines, and the request goes on to the framework as if the path did
not exist; the routes stay the authority on every other answer. While tracing is on, each
fast path's attempt is a server span of its own (`projectconnect.fast_path` says whether it
answered), in the trace the request's headers name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from projectconnect.infra import metrics, tracing
from projectconnect.infra.db import StatementCount, statement_count
from projectconnect.infra.headers import RAW_CACHE_CONTROL, RAW_NAMES, security_headers_for
from projectconnect.infra.requestid import (
    RAW_HEADER,
    RAW_STATEMENTS_HEADER,
    UNMEASURED,
    access_log,
    request_id,
    request_id_of,
)

log = logging.getLogger(__name__)

# What an answer's own headers may not set: the front door adds these.
_REPLACED = RAW_NAMES | {RAW_HEADER}
_EVENT_STREAM = b"text/event-stream"
# A fast path's span attribute: "answered", or "declined" (the framework's span follows).
FAST_PATH = "projectconnect.fast_path"


class Answer(NamedTuple):
    """A fast path's 200: its body and its own headers (content-type among them)."""

    body: bytes
    headers: Sequence[tuple[bytes, bytes]]


class FastPath(Protocol):
    @property
    def template(self) -> str:
        """The route template the request is counted under, as its route would count it."""
        ...

    def match(self, path: str) -> dict[str, str] | None:
        """The path's parameters when this is the path's route; None otherwise."""
        ...

    async def answer(self, scope: Scope, params: dict[str, str]) -> Answer | None:
        """The answer, or None: the request goes on to the framework."""
        ...


class FrontDoor:
    """`count_statements` adds X-SQL-Statements to answers: for tests and benchmarks."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        fast_paths: Sequence[FastPath] = (),
        count_statements: bool = False,
    ) -> None:
        self.app = app
        self.fast_paths = tuple(fast_paths)
        self.count_statements = count_statements
        self.traced = tracing.enabled()
        # The series of each (method, route, status) met, looked up once: as many as the
        # metrics themselves hold. A duration's only once observed (streams have none).
        self._counts: dict[tuple[str, str, int], Counter] = {}
        self._durations: dict[tuple[str, str, int], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id_of(scope["headers"])
        statements = StatementCount()
        tokens = (request_id.set(rid), statement_count.set(statements))
        try:
            if self.fast_paths and scope["method"] == "GET" and not scope.get("root_path"):
                served = await self._fast(scope, send, rid)
                if served is not None:
                    self._observe(scope, served, 200, started, streamed=False)
                    return
            await self._framework(scope, receive, send, rid, statements, started)
        finally:
            request_id.reset(tokens[0])
            statement_count.reset(tokens[1])

    async def _fast(self, scope: Scope, send: Send, rid: str) -> str | None:
        """The template of the fast path that answered the request; None when none did."""
        for fast in self.fast_paths:
            params = fast.match(scope["path"])
            if params is None:
                continue
            if not self.traced:
                return await self._serve(fast, params, scope, send, rid)
            with tracing.server_span(scope, fast.template) as span:
                served = await self._serve(fast, params, scope, send, rid)
                span.set_attribute(FAST_PATH, "answered" if served else "declined")
                if served:
                    span.set_attribute("http.status_code", 200)
                return served
        return None

    async def _serve(
        self, fast: FastPath, params: dict[str, str], scope: Scope, send: Send, rid: str
    ) -> str | None:
        """The fast path's template when it answered the request, None when it declined."""
        try:
            answer = await fast.answer(scope, params)
        except Exception as exc:
            # The route meets the same fault, and answers and logs it as it does.
            log.warning("fast path %s declined on %r", fast.template, exc)
            return None
        if answer is None:
            return None
        body = answer.body
        headers = [
            *answer.headers,
            (b"content-length", b"%d" % len(body)),
            *security_headers_for(scope["path"]),
            RAW_CACHE_CONTROL,
            (RAW_HEADER, rid.encode("latin-1")),
        ]
        if self.count_statements:
            headers.append((RAW_STATEMENTS_HEADER, b"0"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return fast.template

    async def _framework(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        rid: str,
        statements: StatementCount,
        started: float,
    ) -> None:
        added = security_headers_for(scope["path"])
        raw_id = rid.encode("latin-1")
        status = 500
        streamed = False

        async def send_observed(message: Message) -> None:
            nonlocal status, streamed
            if message["type"] == "http.response.start":
                status = message["status"]
                headers: list[tuple[bytes, bytes]] = []
                cached = False
                for name, value in message.get("headers", ()):
                    lower = name.lower()
                    if lower in _REPLACED:
                        continue
                    if lower == b"cache-control":
                        cached = True
                    elif lower == b"content-type" and value.startswith(_EVENT_STREAM):
                        streamed = True
                    headers.append((name, value))
                headers.extend(added)
                if not cached:
                    headers.append(RAW_CACHE_CONTROL)
                headers.append((RAW_HEADER, raw_id))
                if self.count_statements:
                    headers.append((RAW_STATEMENTS_HEADER, str(statements.value).encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            # Templates, not paths: one series per route, whatever the ids in it.
            template = getattr(scope.get("route"), "path", None) or "unmatched"
            self._observe(scope, template, status, started, streamed=streamed)

    def _observe(
        self, scope: Scope, template: str, status: int, started: float, *, streamed: bool
    ) -> None:
        elapsed = time.perf_counter() - started
        access_log.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed * 1e3)
        if template in UNMEASURED:
            return
        key = (scope["method"], template, status)
        count = self._counts.get(key)
        if count is None:
            count = self._counts[key] = metrics.HTTP_REQUESTS.labels(*key[:2], str(status))
        count.inc()
        if not streamed:  # a live stream lasts minutes: not a latency
            duration = self._durations.get(key)
            if duration is None:
                duration = self._durations[key] = metrics.HTTP_DURATION.labels(
                    *key[:2], str(status)
                )
            duration.observe(elapsed)
