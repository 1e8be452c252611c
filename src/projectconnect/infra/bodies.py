"""Request bodies: refused over a size limit, and cut off when they stall.

A declared Content-Length over the limit is answered 413 before the app runs; a chunked
body is counted as it streams and refused as soon as it passes the limit. A body whose next
piece does not arrive within the timeout is answered 408. Either way the connection is
closed after the answer (HttpProblem), so nothing more of it is read, let alone buffered.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from projectconnect.infra.problems import (
    ContentTooLarge,
    HttpProblem,
    RequestTimeout,
    http_problem,
)


def _declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    return int(value) if value is not None and value.isdigit() else None


class RequestBodyGuard:
    def __init__(self, app: ASGIApp, *, max_bytes: int, receive_timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.receive_timeout = receive_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await http_problem(ContentTooLarge(self.max_bytes), scope["path"])(scope, receive, send)
            return
        received = 0
        complete = False
        started = False

        async def guarded_receive() -> Message:
            nonlocal received, complete
            if complete:
                # After the body, receive() only waits for the client to go: no deadline.
                return await receive()
            try:
                async with asyncio.timeout(self.receive_timeout):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(self.receive_timeout) from None
            if message["type"] != "http.request":
                complete = True
                return message
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise ContentTooLarge(self.max_bytes)
            complete = not message.get("more_body", False)
            return message

        async def observed_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, guarded_receive, observed_send)
        except HttpProblem as exc:
            # Raised while a route read its body: the problem handlers answered it already,
            # unless a part of the app outside them was reading.
            if started:
                raise
            await http_problem(exc, scope["path"])(scope, receive, send)
