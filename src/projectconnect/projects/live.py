"""Live updates: change notices from every committed write to the streams that may see them.

A notice says what changed — its kind (`event`), id, version and where it lives — never
its content: the browser turns it into a refetch through the normal, authorized reads.

- *Made in one place.* A write's unit collects the notices of what it changed
  (`announce`; the activity log announces every task, project and comment change it
  records, membership and workspace changes announce themselves) and publishes them to
  the change feed after its commit (`projects/writes.py`), so a rolled-back write
  announces nothing.
- *Followed once per process.* The `Hub` reads the feed and hands each entry to the open
  streams whose subscriber may see it: a member of its workspace, or the one person a
  notice is for (a notification, their own membership).
- *Kept current.* A subscriber's workspaces are read when its stream opens and changed by
  the membership notices that pass through: a member removed gets that notice, then
  nothing more of the workspace. The stream itself checks its session every few seconds
  and ends with its access token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.infra import metrics
from projectconnect.infra.feed import Feed, FeedEntry, FeedGap, FeedUnavailable, parse_id
from projectconnect.infra.problems import ServiceUnavailable
from projectconnect.infra.throttle import TooManyRequests
from projectconnect.infra.tracing import context_from_json, current_context_json, tracer

logger = logging.getLogger(__name__)

Event = Literal["task", "project", "comment", "membership", "workspace", "label", "notification"]
Op = Literal["created", "changed", "deleted", "restored"]

# Above this many notices of one project in one write, its members get one notice of the
# project instead (a membership ending unassigns hundreds of tasks: refetch the project).
COLLAPSE_ABOVE: Final = 50

_NOTICES: Final = "projectconnect.notices"
# How long a stream waits for its process's hub to find the feed's position at the start.
ATTACH_SECONDS: Final = 5.0


@dataclass(frozen=True, slots=True)
class Notice:
    event: Event
    id: uuid.UUID
    workspace_id: uuid.UUID | None
    op: Op = "changed"
    project_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None
    version: int | None = None
    # Whose membership (`membership`), or the one person a `notification` is for.
    user_id: uuid.UUID | None = None
    # A membership's role after the change, None when it ended.
    role: str | None = None

    def public(self) -> dict[str, object]:
        """The `data:` line a subscriber receives."""
        body: dict[str, object] = {"op": self.op, "id": str(self.id)}
        for name in ("workspace_id", "project_id", "task_id", "user_id"):
            value = getattr(self, name)
            if value is not None:
                body[name] = str(value)
        if self.version is not None:
            body["version"] = self.version
        if self.event == "membership":
            body["role"] = self.role
        return body

    def encode(self, at: float, trace_context: str | None) -> bytes:
        body = {"event": self.event, **self.public(), "at": at}
        if trace_context:
            body["trace"] = trace_context
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, payload: bytes) -> tuple[Notice, float, str | None]:
        body = json.loads(payload)

        def ident(name: str) -> uuid.UUID | None:
            value = body.get(name)
            return uuid.UUID(value) if value is not None else None

        notice = cls(
            event=body["event"],
            id=uuid.UUID(body["id"]),
            workspace_id=ident("workspace_id"),
            op=body["op"],
            project_id=ident("project_id"),
            task_id=ident("task_id"),
            version=body.get("version"),
            user_id=ident("user_id"),
            role=body.get("role"),
        )
        return notice, float(body["at"]), body.get("trace")


def announce(session: AsyncSession, *notices: Notice) -> None:
    """Notices for the write of `session`, published after its commit (never before)."""
    session.info.setdefault(_NOTICES, []).extend(notices)


def announced(session: AsyncSession) -> list[Notice]:
    """The write's notices, each thing once: the strongest op of several wins."""
    found: dict[tuple[str, uuid.UUID], Notice] = {}
    for notice in session.info.pop(_NOTICES, []):
        key = (notice.event, notice.id)
        held = found.get(key)
        if held is None or _STRENGTH[notice.op] >= _STRENGTH[held.op]:
            found[key] = notice
    return _collapsed(list(found.values()))


_STRENGTH: Final = {"changed": 0, "restored": 1, "created": 2, "deleted": 3}


def _collapsed(notices: list[Notice]) -> list[Notice]:
    by_project = Counter(n.project_id for n in notices if n.event == "task")
    crowded = {p for p, count in by_project.items() if p is not None and count > COLLAPSE_ABOVE}
    if not crowded:
        return notices
    kept = [n for n in notices if not (n.event in ("task", "comment") and n.project_id in crowded)]
    have = {n.id for n in kept if n.event == "project"}
    workspace_of = {n.project_id: n.workspace_id for n in notices if n.project_id in crowded}
    kept += [Notice("project", p, workspace_of[p], project_id=p) for p in crowded if p not in have]
    return kept


class Publisher:
    """Writes a unit's notices to the feed; a feed that cannot take them costs live
    updates (subscribers refetch on their next reconnect or focus), never the write."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed

    async def publish(self, notices: Sequence[Notice]) -> None:
        if not notices:
            return
        at = time.time()
        context = current_context_json()
        try:
            await self.feed.publish([n.encode(at, context) for n in notices])
        except FeedUnavailable as exc:
            metrics.LIVE_PUBLISH_FAILURES.inc(len(notices))
            logger.warning("%d change notices not published: %s", len(notices), exc)


Item = tuple[str, Notice, float, str | None] | Literal["reset"]


@dataclass(eq=False)
class Subscriber:
    """One open stream: whose it is, what they may see, what waits to be sent."""

    user_id: uuid.UUID
    workspaces: set[uuid.UUID] = field(default_factory=set)
    queue: asyncio.Queue[Item] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    overflowed: bool = False

    def may_see(self, notice: Notice) -> bool:
        if notice.event == "notification":
            return notice.user_id == self.user_id
        if notice.event == "membership" and notice.user_id == self.user_id:
            return True
        return notice.workspace_id in self.workspaces

    def learn(self, notice: Notice) -> None:
        """What a notice that passed changes about what this subscriber may see next."""
        if notice.workspace_id is None:
            return
        if notice.event == "membership" and notice.user_id == self.user_id:
            if notice.role is None:
                self.workspaces.discard(notice.workspace_id)
            else:
                self.workspaces.add(notice.workspace_id)
        elif notice.event == "workspace" and notice.op == "deleted":
            self.workspaces.discard(notice.workspace_id)

    def offer(self, item: Item) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            # Too far behind to catch up notice by notice: it will be told to refetch.
            self.overflowed = True


class Hub:
    """The process's one reader of the feed, and its open streams."""

    def __init__(self, feed: Feed, *, block: float = 5.0) -> None:
        self.feed = feed
        self.block = block
        self._by_workspace: dict[uuid.UUID, set[Subscriber]] = {}
        self._by_user: dict[uuid.UUID, set[Subscriber]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._position: str | None = None
        self._started = asyncio.Event()

    @property
    def streams(self) -> int:
        return sum(len(s) for s in self._by_user.values())

    async def attach(self, subscriber: Subscriber) -> None:
        """Start handing `subscriber` what it may see from the feed's current position on."""
        if self._reader is None:
            self._reader = asyncio.create_task(self._read(), name="live-feed")
        try:
            await asyncio.wait_for(self._started.wait(), ATTACH_SECONDS)
        except TimeoutError:
            raise FeedUnavailable("the feed's position could not be read") from None
        self._by_user.setdefault(subscriber.user_id, set()).add(subscriber)
        self._index(subscriber, subscriber.workspaces)

    def detach(self, subscriber: Subscriber) -> None:
        self._unindex(subscriber, subscriber.workspaces)
        mine = self._by_user.get(subscriber.user_id)
        if mine is not None:
            mine.discard(subscriber)
            if not mine:
                del self._by_user[subscriber.user_id]

    def learn(self, subscriber: Subscriber, notice: Notice) -> None:
        """`subscriber.learn`, keeping the hub's index of it in step."""
        before = set(subscriber.workspaces)
        subscriber.learn(notice)
        if subscriber in self._by_user.get(subscriber.user_id, ()):
            self._unindex(subscriber, before - subscriber.workspaces)
            self._index(subscriber, subscriber.workspaces - before)

    def _index(self, subscriber: Subscriber, workspaces: Iterable[uuid.UUID]) -> None:
        for w in workspaces:
            self._by_workspace.setdefault(w, set()).add(subscriber)

    def _unindex(self, subscriber: Subscriber, workspaces: Iterable[uuid.UUID]) -> None:
        for w in workspaces:
            held = self._by_workspace.get(w)
            if held is not None:
                held.discard(subscriber)
                if not held:
                    del self._by_workspace[w]

    async def _read(self) -> None:
        delay = 0.1
        while True:
            try:
                if self._position is None:
                    self._position = await self.feed.last_id()
                    self._started.set()
                entries = await self.feed.follow(self._position, self.block)
                delay = 0.1
            except (FeedUnavailable, FeedGap) as exc:
                # Entries the feed lost, or may have while it could not be read: every
                # stream is told to refetch once it can be followed again.
                logger.warning("the change feed cannot be followed: %s", exc)
                metrics.LIVE_FEED_ERRORS.inc()
                if isinstance(exc, FeedGap):
                    self._position = None
                    self._reset_all()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            for entry in entries:
                self._dispatch(entry)
                self._position = entry.id

    def _reset_all(self) -> None:
        for subscribers in self._by_user.values():
            for s in subscribers:
                s.offer("reset")

    def _dispatch(self, entry: FeedEntry) -> None:
        try:
            notice, at, context = Notice.decode(entry.payload)
        except (ValueError, KeyError, TypeError):
            logger.warning("an unreadable change notice %s was skipped", entry.id)
            return
        targets: set[Subscriber] = set()
        if notice.workspace_id is not None:
            targets.update(self._by_workspace.get(notice.workspace_id, ()))
        if notice.user_id is not None:
            targets.update(self._by_user.get(notice.user_id, ()))
        for subscriber in targets:
            if subscriber.may_see(notice):
                subscriber.offer((entry.id, notice, at, context))
                self.learn(subscriber, notice)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None


def sent(notice: Notice, at: float, context: str | None) -> None:
    """Count a notice as it leaves, its lag from its write's commit, and link the trace."""
    metrics.LIVE_NOTICES.labels(notice.event).inc()
    metrics.LIVE_LAG.observe(max(0.0, time.time() - at))
    parent = context_from_json(context)
    if parent is not None:
        link = trace.get_current_span(parent).get_span_context()
        with tracer.start_as_current_span(
            "live.notice", links=[trace.Link(link)], attributes={"notice.event": notice.event}
        ):
            pass


def after(position: str, entry_id: str) -> bool:
    return parse_id(entry_id) > parse_id(position)


def next_check(period: float, *, first: bool = False) -> float:
    """Seconds to a stream's next session check: its first anywhere in its first period,
    each later one within a fifth of the period, so streams opened together (a
    reconnecting office) do not check together."""
    low, high = (0.2, 1.0) if first else (0.8, 1.2)
    return period * random.uniform(low, high)  # noqa: S311


class SessionChecks:
    """One session check at a time per session, its answer shared for `fresh_for` seconds.

    A person's tabs hold a stream each, all on one session: each stream still checks at
    its own jittered time, but a check that is running or was asked less than `fresh_for`
    ago is shared, so five tabs cost about one check a period, not five. With `fresh_for`
    under the shortest gap between a stream's own checks, a stream never reuses its own
    last answer: a revocation is seen within two periods at most.
    """

    def __init__(self, fresh_for: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.fresh_for = fresh_for
        self._clock = clock
        self._asked: dict[uuid.UUID, tuple[float, asyncio.Task[bool | None]]] = {}
        self._swept = clock()

    @property
    def held(self) -> int:
        return len(self._asked)

    async def check(
        self, session_id: uuid.UUID, ask: Callable[[], Awaitable[bool | None]]
    ) -> bool | None:
        now = self._clock()
        asked = self._asked.get(session_id)
        if asked is None or (asked[1].done() and now - asked[0] >= self.fresh_for):
            asked = (now, asyncio.ensure_future(ask()))
            self._asked[session_id] = asked
            self._sweep(now)
        # Shielded: a stream that closes while waiting does not cancel its siblings' check.
        return await asyncio.shield(asked[1])

    def _sweep(self, now: float) -> None:
        """Forget the answers too old to share, once a period (the sessions that left)."""
        if now - self._swept < self.fresh_for:
            return
        self._swept = now
        stale = [
            key
            for key, (at, task) in self._asked.items()
            if task.done() and now - at >= self.fresh_for
        ]
        for key in stale:
            del self._asked[key]


class TooManyStreams(TooManyRequests):
    code = "too_many_streams"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"At most {limit} live streams may be open per person; close one first.",
            retry_after=STREAM_SLOT_SECONDS,
        )


class LiveUnavailable(ServiceUnavailable):
    code = "live_unavailable"

    def __init__(self) -> None:
        super().__init__("Live updates are unavailable right now; try again shortly.")


# A stream's claim on one of its person's slots lasts this long unless renewed (each check).
STREAM_SLOT_SECONDS: Final = 30
# How long a stream goes on while its session cannot be checked (auth and Redis unwell).
UNCONFIRMED_SECONDS: Final = 30.0


@dataclass(frozen=True, slots=True)
class Frame:
    """One server-sent event: `event:`, `id:` and the JSON `data:` line."""

    event: str
    data: dict[str, object]
    id: str | None = None


class Streams:
    """Opens a person's streams: their slot, their workspaces, the replay, then the hub."""

    def __init__(
        self,
        hub: Hub,
        workspaces_of: Callable[[uuid.UUID], Awaitable[Iterable[uuid.UUID]]],
        *,
        per_user: int,
        check_seconds: float,
        heartbeat_seconds: float = 15.0,
    ) -> None:
        self.hub = hub
        self.feed = hub.feed
        self.workspaces_of = workspaces_of
        self.per_user = per_user
        self.check_seconds = check_seconds
        self.heartbeat_seconds = heartbeat_seconds
        # Shared below a stream's shortest gap between checks (`next_check`).
        self.checks = SessionChecks(fresh_for=check_seconds * 0.75)

    async def open(self, user_id: uuid.UUID, last_event_id: str | None) -> Stream:
        """TooManyStreams past the person's limit; LiveUnavailable without a feed."""
        slot = uuid.uuid4().hex
        try:
            if not await self.feed.claim(str(user_id), slot, self.per_user, STREAM_SLOT_SECONDS):
                metrics.LIVE_REFUSED.labels("too_many_streams").inc()
                raise TooManyStreams(self.per_user)
            # Where the feed is before the workspaces are read: whatever changes them
            # after this point is replayed below, in order, so nothing slips between.
            position = await self.feed.last_id()
        except FeedUnavailable as exc:
            logger.warning("a live stream cannot open: %s", exc)
            raise LiveUnavailable() from exc
        stream: Stream | None = None
        try:
            subscriber = Subscriber(user_id, set(await self.workspaces_of(user_id)))
            stream = Stream(self, subscriber, slot)
            await self.hub.attach(subscriber)
            await stream.catch_up(last_event_id, position)
        except BaseException as exc:
            if stream is not None:
                await stream.close()
            else:
                with contextlib.suppress(FeedUnavailable):
                    await self.feed.release(str(user_id), slot)
            if isinstance(exc, FeedUnavailable):
                raise LiveUnavailable() from exc
            raise
        return stream


class Stream:
    """One subscriber's open stream; `frames` yields until it ends, `close` always runs."""

    def __init__(self, streams: Streams, subscriber: Subscriber, slot: str) -> None:
        self.streams = streams
        self.subscriber = subscriber
        self.slot = slot
        self.position = "0-0"
        self.first: list[Frame] = []
        metrics.LIVE_STREAMS.inc()
        self._closed = False

    async def catch_up(self, last_event_id: str | None, position: str) -> None:
        """What the reconnecting subscriber missed since `last_event_id` (a reset if it
        cannot be replayed), and what came since `position`, before live ones follow."""
        feed = self.streams.feed
        resumed = False
        start = position
        if last_event_id:
            try:
                backlog = await feed.since(last_event_id)
                resumed = True
                start = last_event_id
            except FeedGap:
                self.first.append(Frame("reset", {"reason": "gap"}, position))
                backlog = await feed.since(position)
        else:
            backlog = await feed.since(position)
        self.position = start
        for entry in backlog:  # every entry of the feed: the hub has not filtered these
            notice, at, context = Notice.decode(entry.payload)
            if self.subscriber.may_see(notice):
                self.streams.hub.learn(self.subscriber, notice)
                self.first.append(self._frame(entry.id, notice, at, context))
            self.position = entry.id
        self.first.append(Frame("ready", {"resumed": resumed}, self.position))

    def _frame(self, entry_id: str, notice: Notice, at: float, context: str | None) -> Frame:
        """A notice's frame, the stream's position moved past it and the notice counted."""
        self.position = entry_id
        sent(notice, at, context)
        return Frame(notice.event, notice.public(), entry_id)

    async def frames(
        self, still_allowed: Callable[[], Awaitable[bool | None]]
    ) -> AsyncGenerator[Frame]:
        """The frames of the stream, until `still_allowed` says no (checked every few
        seconds, with the person's slot renewed), or the subscriber is too far behind.

        A session found ended ends the stream at once. One that cannot be checked right now
        (None) keeps it for up to `UNCONFIRMED_SECONDS`: ending every stream at the first
        failed check would bring them all back together, each opening with a check of its
        own, which is how a blip becomes a storm. Checks are spread out (`next_check`).
        """
        try:
            for frame in self.first:
                yield frame
            self.first = []
            loop = asyncio.get_running_loop()
            check_at = loop.time() + next_check(self.streams.check_seconds, first=True)
            unconfirmed_since: float | None = None
            queue = self.subscriber.queue
            while True:
                timeout = max(0.0, check_at - loop.time())
                try:
                    item = await asyncio.wait_for(queue.get(), timeout)
                except TimeoutError:
                    item = None
                if item == "reset" or (self.subscriber.overflowed and queue.empty()):
                    self.subscriber.overflowed = False
                    yield Frame("reset", {"reason": "behind"})
                elif item is not None:
                    entry_id, notice, at, context = item
                    if after(self.position, entry_id):  # not replayed already
                        yield self._frame(entry_id, notice, at, context)
                if loop.time() >= check_at:
                    allowed = await still_allowed()
                    now = loop.time()
                    if allowed is None:
                        unconfirmed_since = unconfirmed_since or now
                        if now - unconfirmed_since >= UNCONFIRMED_SECONDS:
                            yield Frame("end", {"reason": "session_unconfirmed"})
                            return
                    elif not allowed or not await self._renew():
                        yield Frame("end", {"reason": "session_ended"})
                        return
                    else:
                        unconfirmed_since = None
                    check_at = now + next_check(self.streams.check_seconds)
        finally:
            await self.close()

    async def _renew(self) -> bool:
        try:
            return await self.streams.feed.claim(
                str(self.subscriber.user_id), self.slot, self.streams.per_user, STREAM_SLOT_SECONDS
            )
        except FeedUnavailable:
            return True  # the store of slots is unwell: the limit waits, the stream goes on

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        metrics.LIVE_STREAMS.dec()
        self.streams.hub.detach(self.subscriber)
        with contextlib.suppress(FeedUnavailable):
            await self.streams.feed.release(str(self.subscriber.user_id), self.slot)
