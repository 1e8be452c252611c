"""`GET /events/stream`: the caller's live change notices, as server-sent events."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask

from projectconnect.infra.problems import problem_responses
from projectconnect.infra.tokens import AccessClaims
from projectconnect.projects.caller import CallerSession, CallerSessionDep
from projectconnect.projects.live import Frame, Stream, Streams

router = APIRouter(tags=["live"], responses=problem_responses(401, 429, 500, 503))

# How long a browser waits before reconnecting a stream that dropped.
RECONNECT_MS = 2000

STREAM_DESCRIPTION = """\
Server-sent events (`text/event-stream`), one per change the caller may see:

- `event:` the kind of thing that changed: `task`, `project`, `comment`, `membership`,
  `workspace`, `label`, `notification`;
- `id:` its position in the feed, to send back as `Last-Event-ID` when reconnecting;
- `data:` JSON `{"op": "created" | "changed" | "deleted" | "restored", "id", "workspace_id",
  "project_id", "task_id", "version", "user_id", "role"}` (only the fields that apply):
  what to read again, never the content.

Control events: `ready` (the stream is live; `{"resumed": true}` when what was missed since
`Last-Event-ID` was replayed), `reset` (what was missed cannot be replayed: refetch
everything shown), `end` (the stream closes: `{"reason": "session_ended"}`, the session was
revoked; `"session_unconfirmed"`, it could not be checked for 30 s; `"token_expired"`, the
access token that opened it expired: reconnect with a fresh one and `Last-Event-ID`). A
comment line every 15 s keeps idle proxies from closing the stream.
"""


def _sse(frame: Frame, retry: int | None = None) -> ServerSentEvent:
    return ServerSentEvent(
        data=json.dumps(frame.data, separators=(",", ":")),
        event=frame.event,
        id=frame.id,
        retry=retry,
    )


async def _until(stream: Stream, session: CallerSession) -> AsyncIterator[ServerSentEvent]:
    # The session's streams (a person's tabs) share their checks.
    checks = stream.streams.checks
    frames = stream.frames(partial(checks.check, session.claims.session_id, session.is_active))
    retry: int | None = RECONNECT_MS  # said once, with the first event
    try:
        async with asyncio.timeout(_seconds_left(session.claims)):
            async for frame in frames:
                yield _sse(frame, retry)
                retry = None
    except TimeoutError:
        yield _sse(Frame("end", {"reason": "token_expired"}), retry)
    finally:
        await frames.aclose()


def _seconds_left(claims: AccessClaims) -> float:
    return max(0.0, (claims.expires_at - dt.datetime.now(dt.UTC)).total_seconds())


@router.get(
    "/events/stream",
    description=STREAM_DESCRIPTION,
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "The stream."}},
)
async def event_stream(
    request: Request,
    session: CallerSessionDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
) -> EventSourceResponse:
    """The caller's live change notices (server-sent events)."""
    streams: Streams = request.app.state.projects_streams
    stream = await streams.open(session.caller.user_id, last_event_id)
    return EventSourceResponse(
        _until(stream, session),
        ping=streams.heartbeat_seconds,
        headers={"Cache-Control": "no-store"},
        # However the response ends, even before its first byte.
        background=BackgroundTask(stream.close),
    )
