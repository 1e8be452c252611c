"""Live streams in tests: a real HTTP server (an in-process client buffers whole answers,
and a stream never ends) and a reader that keeps what arrives for the test to wait on."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from httpx_sse import aconnect_sse

from tests.support.processes import free_port
from tests.support.waiting import eventually


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """`app` on a real port of 127.0.0.1 for the block: its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started or serving.done(), message="no server started")
        if serving.done():
            serving.result()
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True  # the tests' streams are closed by now
        await serving


@dataclass
class Received:
    event: str
    id: str
    data: dict[str, Any]


@dataclass
class LiveStream:
    """One open `GET /events/stream`, read in the background."""

    status: int = 0
    events: list[Received] = field(default_factory=list)
    ended: bool = False
    heartbeats: int = 0
    error: BaseException | None = None

    def of(self, event: str, **data: Any) -> list[Received]:
        return [
            e
            for e in self.events
            if e.event == event and all(e.data.get(k) == v for k, v in data.items())
        ]

    async def wait_for(self, event: str, within: float = 20.0, **data: Any) -> Received:
        await eventually(
            lambda: bool(self.of(event, **data)) or self.ended,
            within,
            message=f"no {event} {data} on the stream; got {self.events}",
        )
        found = self.of(event, **data)
        assert found, f"the stream ended before a {event} {data}: {self.events} ({self.error})"
        return found[0]

    @property
    def last_id(self) -> str:
        return next(e.id for e in reversed(self.events) if e.id)


@asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient, token: str, last_event_id: str | None = None
) -> AsyncIterator[LiveStream]:
    """A stream read until the block ends (or the server ends it)."""
    stream = LiveStream()
    opened = asyncio.Event()
    headers = {"Authorization": f"Bearer {token}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id

    async def read() -> None:
        try:
            async with aconnect_sse(
                client, "GET", "/events/stream", headers=headers, timeout=httpx.Timeout(5, read=60)
            ) as source:
                stream.status = source.response.status_code
                opened.set()
                if stream.status != 200:
                    return
                async for sse in source.aiter_sse():
                    if not sse.data:
                        stream.heartbeats += 1  # no data, so no event (as in browsers)
                        continue
                    data = json.loads(sse.data)
                    stream.events.append(Received(sse.event, sse.id, data))
        except (httpx.HTTPError, ValueError) as exc:
            stream.error = exc
        finally:
            stream.ended = True
            opened.set()

    reading = asyncio.create_task(read())
    try:
        await asyncio.wait_for(opened.wait(), 30)
        yield stream
    finally:
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
