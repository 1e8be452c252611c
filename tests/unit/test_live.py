"""Who hears which change notice, and how a write's notices are folded before they go."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from projectconnect.infra.feed import FeedEntry, FeedUnavailable, MemoryFeed
from projectconnect.infra.tokens import AccessClaims
from projectconnect.projects.caller import Caller, CallerSession
from projectconnect.projects.live import (
    COLLAPSE_ABOVE,
    Frame,
    Hub,
    LiveUnavailable,
    Notice,
    Op,
    Publisher,
    SessionChecks,
    Stream,
    Streams,
    Subscriber,
    _collapsed,
    announce,
    announced,
    next_check,
)
from projectconnect.projects.live_api import _until
from tests.support.waiting import eventually

W, OTHER = uuid.uuid4(), uuid.uuid4()
ANN, BOB = uuid.uuid4(), uuid.uuid4()


class Session:
    """What `announce` needs of a session: its `info`."""

    def __init__(self) -> None:
        self.info: dict[str, object] = {}


def task(op: Op = "changed", task_id: uuid.UUID | None = None, project: uuid.UUID = W) -> Notice:
    tid = task_id or uuid.uuid4()
    return Notice("task", tid, W, op, project_id=project, task_id=tid)


async def in_w(user: uuid.UUID) -> set[uuid.UUID]:
    """Everyone's workspaces, for these tests: W."""
    return {W}


@asynccontextmanager
async def streams_over(
    feed: MemoryFeed, *, per_user: int = 5, check_seconds: float = 60
) -> AsyncIterator[Streams]:
    """Streams on `feed` through a hub of their own, closed after the block."""
    hub = Hub(feed, block=0.05)
    try:
        yield Streams(hub, in_w, per_user=per_user, check_seconds=check_seconds)
    finally:
        await hub.close()


def test_a_write_announces_each_thing_once_with_its_strongest_change() -> None:
    session = Session()
    one, two = uuid.uuid4(), uuid.uuid4()
    announce(session, task("created", one), task("changed", one))  # type: ignore[arg-type]
    announce(session, task("changed", two), task("deleted", two))  # type: ignore[arg-type]
    found = {n.id: n.op for n in announced(session)}  # type: ignore[arg-type]
    assert found == {one: "created", two: "deleted"}
    assert announced(session) == []  # type: ignore[arg-type]  # taken once


def test_a_crowded_project_is_one_notice_of_the_project() -> None:
    crowded, quiet = uuid.uuid4(), uuid.uuid4()
    notices = [task(project=crowded) for _ in range(COLLAPSE_ABOVE + 1)]
    notices.append(task(project=quiet))
    kept = _collapsed(notices)
    assert [(n.event, n.id) for n in kept if n.project_id == crowded] == [("project", crowded)]
    assert [n.event for n in kept if n.project_id == quiet] == ["task"]
    assert len(_collapsed(notices[:COLLAPSE_ABOVE])) == COLLAPSE_ABOVE


def test_a_subscriber_sees_its_workspaces_its_own_membership_and_its_notifications() -> None:
    ann = Subscriber(ANN, {W})
    assert ann.may_see(task())
    assert not ann.may_see(Notice("task", uuid.uuid4(), OTHER))
    assert ann.may_see(Notice("membership", ANN, OTHER, user_id=ANN, role="viewer"))
    assert not ann.may_see(Notice("membership", BOB, OTHER, user_id=BOB, role="viewer"))
    assert ann.may_see(Notice("notification", uuid.uuid4(), None, "created", user_id=ANN))
    assert not ann.may_see(Notice("notification", uuid.uuid4(), W, "created", user_id=BOB))


def test_membership_notices_change_what_a_subscriber_hears_next() -> None:
    ann = Subscriber(ANN, {W})
    ann.learn(Notice("membership", ANN, OTHER, user_id=ANN, role="member"))
    assert ann.workspaces == {W, OTHER}
    ann.learn(Notice("membership", ANN, W, "deleted", user_id=ANN, role=None))
    assert ann.workspaces == {OTHER}
    ann.learn(Notice("membership", BOB, OTHER, "deleted", user_id=BOB, role=None))
    assert ann.workspaces == {OTHER}  # someone else's
    ann.learn(Notice("workspace", OTHER, OTHER, "deleted"))
    assert ann.workspaces == set()


async def test_the_hub_hands_each_stream_what_it_may_see_and_keeps_up_with_removals() -> None:
    feed = MemoryFeed()
    hub, publisher = Hub(feed, block=0.05), Publisher(feed)
    ann, bob = Subscriber(ANN, {W}), Subscriber(BOB, {W})
    try:
        await hub.attach(ann)
        await hub.attach(bob)
        await publisher.publish([task("created")])
        await publisher.publish([Notice("membership", BOB, W, "deleted", user_id=BOB, role=None)])
        await publisher.publish([task("changed")])
        await eventually(lambda: ann.queue.qsize() == 3, message="ann heard less than three")
        heard = [bob.queue.get_nowait() for _ in range(bob.queue.qsize())]
        assert [item[1].event for item in heard if item != "reset"] == ["task", "membership"]
        assert hub.streams == 2
        hub.detach(bob)
        assert hub.streams == 1
    finally:
        await hub.close()


async def test_a_stream_too_far_behind_is_told_to_refetch() -> None:
    feed = MemoryFeed()
    hub = Hub(feed, block=0.05)
    ann = Subscriber(ANN, {W})
    ann.queue = asyncio.Queue(maxsize=2)
    try:
        await hub.attach(ann)
        await Publisher(feed).publish([task() for _ in range(3)])
        await eventually(lambda: ann.overflowed, message="the queue never overflowed")
    finally:
        await hub.close()


async def test_a_reconnect_replays_in_order_or_says_reset() -> None:
    feed = MemoryFeed()
    async with streams_over(feed) as streams:
        start = await feed.last_id()
        missed = [task("created"), Notice("task", uuid.uuid4(), OTHER, "created")]
        await Publisher(feed).publish(missed)
        resumed = await streams.open(ANN, start)
        assert [f.event for f in resumed.first] == ["task", "ready"]
        assert resumed.first[-1] == Frame("ready", {"resumed": True}, await feed.last_id())
        await resumed.close()

        lost = await streams.open(ANN, "1-1")
        assert [f.event for f in lost.first] == ["reset", "ready"]
        assert lost.first[0].data == {"reason": "gap"}
        await lost.close()
        assert streams.hub.streams == 0


class AlwaysActive:
    async def is_active(self, token: str, claims: AccessClaims) -> bool:
        return True

    def shared_key(self, claims: AccessClaims) -> None:
        return None

    def settled(self, claims: AccessClaims, value: bytes | None) -> bool:
        return False

    async def close(self) -> None:
        return None


async def test_a_stream_ends_with_the_access_token_that_opened_it() -> None:
    """The browser reconnects with a fresh token (and its last id): a stream never outlives
    the token it was opened with, whatever its session does."""
    now = dt.datetime.now(dt.UTC)
    claims = AccessClaims(ANN, uuid.uuid4(), now + dt.timedelta(seconds=0.3), now)
    session = CallerSession(Caller(ANN, None), "the-token", claims, AlwaysActive())
    async with streams_over(MemoryFeed()) as streams:
        stream = await streams.open(ANN, None)
        events = [e async for e in _until(stream, session)]
        assert [e.event for e in events] == ["ready", "end"]
        assert events[-1].data == '{"reason":"token_expired"}'
        assert events[0].retry == 2000  # said once, with the first event
        assert streams.hub.streams == 0


class FailingReplay(MemoryFeed):
    """A feed that answers the first questions, then fails mid-way through an opening."""

    async def since(self, after: str) -> list[FeedEntry]:
        raise FeedUnavailable("the link dropped")


async def test_a_feed_failing_while_a_stream_opens_is_a_503_and_frees_the_slot() -> None:
    feed = FailingReplay()
    async with streams_over(feed, per_user=1) as streams:
        with pytest.raises(LiveUnavailable) as raised:
            await streams.open(ANN, None)
        assert raised.value.status == 503
        assert raised.value.headers["Retry-After"]
        assert streams.hub.streams == 0
        assert await feed.claim(str(ANN), "next", 1, ttl=60)  # the slot was given back


class Answers:
    """A session check that answers in turn from a list (None: cannot tell)."""

    def __init__(self, *answers: bool | None) -> None:
        self.answers = list(answers)

    async def __call__(self) -> bool | None:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


async def frames_until_end(still_allowed: Answers, unconfirmed: float) -> list[Frame]:
    async with streams_over(MemoryFeed(), check_seconds=0.01) as streams:
        stream = await streams.open(ANN, None)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("projectconnect.projects.live.UNCONFIRMED_SECONDS", unconfirmed)
            return [f async for f in stream.frames(still_allowed)]


async def test_a_session_that_cannot_be_checked_keeps_its_stream_for_a_while() -> None:
    """ "Cannot tell" is not "ended": a blip of auth or Redis must not end every stream at
    once (they would all come back together, each with a check of its own). A session
    that stays unconfirmed ends its stream after a bound; a definite "ended" at once."""
    blip = Answers(None, None, True, None, False)
    frames = await frames_until_end(blip, unconfirmed=60)
    assert [f.event for f in frames] == ["ready", "end"]
    assert frames[-1].data == {"reason": "session_ended"}  # the False, after the blips
    assert blip.answers == [False]  # every answer was asked for

    frames = await frames_until_end(Answers(None), unconfirmed=0.05)
    assert frames[-1].data == {"reason": "session_unconfirmed"}


def test_checks_of_streams_opened_together_are_spread_out() -> None:
    firsts = {round(next_check(5, first=True), 3) for _ in range(50)}
    later = [next_check(5) for _ in range(50)]
    assert len(firsts) > 10
    assert min(firsts) >= 1.0
    assert max(firsts) <= 5.0
    assert all(4.0 <= t <= 6.0 for t in later)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Asked:
    """A session check that counts its calls and answers once `release` is set."""

    def __init__(self, answer: bool | None = True) -> None:
        self.answer = answer
        self.calls = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> bool | None:
        self.calls += 1
        await self.release.wait()
        return self.answer


async def test_the_streams_of_one_session_share_its_check() -> None:
    """A person's five tabs are five streams of one session: one check, not five."""
    clock, asked = Clock(), Asked()
    checks = SessionChecks(fresh_for=4, clock=clock)
    session, other = uuid.uuid4(), uuid.uuid4()
    asked.release.clear()
    together = [asyncio.ensure_future(checks.check(session, asked)) for _ in range(5)]
    await eventually(lambda: asked.calls == 1, message="the check was not asked")
    asked.release.set()
    assert await asyncio.gather(*together) == [True] * 5
    assert asked.calls == 1

    clock.now = 3.9  # a sibling checking at its own time, while the answer is fresh
    assert await checks.check(session, asked) is True
    assert asked.calls == 1
    assert await checks.check(other, asked) is True  # another session asks for itself
    assert asked.calls == 2

    clock.now = 4.0  # too old to share: asked again, and a revocation is seen
    asked.answer = False
    assert await checks.check(session, asked) is False
    assert asked.calls == 3


async def test_a_stream_leaving_does_not_cancel_the_check_its_siblings_wait_for() -> None:
    checks, asked = SessionChecks(fresh_for=4), Asked(answer=None)
    session = uuid.uuid4()
    asked.release.clear()
    leaving = asyncio.ensure_future(checks.check(session, asked))
    staying = asyncio.ensure_future(checks.check(session, asked))
    await eventually(lambda: asked.calls == 1, message="the check was not asked")
    leaving.cancel()
    asked.release.set()
    assert await staying is None  # "cannot tell" is shared like any answer
    assert leaving.cancelled()
    assert asked.calls == 1


async def test_old_answers_are_forgotten() -> None:
    clock = Clock()
    checks = SessionChecks(fresh_for=4, clock=clock)
    for _ in range(3):
        await checks.check(uuid.uuid4(), Asked())
    assert checks.held == 3
    clock.now = 5
    await checks.check(uuid.uuid4(), Asked())
    assert checks.held == 1


class CountedSessions(AlwaysActive):
    """A session found ended, counting how often it was asked."""

    def __init__(self) -> None:
        self.calls = 0

    async def is_active(self, token: str, claims: AccessClaims) -> bool:
        self.calls += 1
        return False


async def test_streams_of_one_session_end_on_one_shared_check() -> None:
    now = dt.datetime.now(dt.UTC)
    claims = AccessClaims(ANN, uuid.uuid4(), now + dt.timedelta(seconds=60), now)
    sessions = CountedSessions()
    tabs = [CallerSession(Caller(ANN, None), f"token-{i}", claims, sessions) for i in range(3)]
    async with streams_over(MemoryFeed(), check_seconds=0.05) as streams:
        streams.checks = SessionChecks(fresh_for=60)
        opened = [await streams.open(ANN, None) for _ in tabs]

        async def events(stream: Stream, tab: CallerSession) -> list[str | None]:
            return [e.event async for e in _until(stream, tab)]

        ended = await asyncio.gather(*(events(s, t) for s, t in zip(opened, tabs, strict=True)))
    assert ended == [["ready", "end"]] * 3
    assert sessions.calls == 1
