"""The change feed's contract, the same for Redis's stream and the process's own ring:
ordered entries, a replay from a position it still holds, a gap for one it does not, a
blocking follow, and a bounded number of slots per person."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from projectconnect.infra.feed import Feed, FeedGap, MemoryFeed, RedisFeed, parse_id
from tests.support.services import ThrowawayRedisPrefix
from tests.support.waiting import eventually


@pytest.fixture(params=["memory", "redis"])
async def feed(request: pytest.FixtureRequest) -> AsyncIterator[Feed]:
    if request.param == "memory":
        yield MemoryFeed(history=5)
        return
    redis = ThrowawayRedisPrefix()
    await redis.check()
    # Redis trims approximately (whole nodes of 100 entries): exact trimming for the test.
    made = RedisFeed(redis.url, prefix=redis.prefix, history=5, approximate=False)
    try:
        yield made
    finally:
        await made.close()
        await redis.clean()


async def test_entries_come_back_in_order_after_a_position(feed: Feed) -> None:
    start = await feed.last_id()
    await feed.publish([b"one", b"two"])
    await feed.publish([b"three"])
    entries = await feed.since(start)
    assert [e.payload for e in entries] == [b"one", b"two", b"three"]
    assert [parse_id(e.id) for e in entries] == sorted(parse_id(e.id) for e in entries)
    assert await feed.last_id() == entries[-1].id
    assert [e.payload for e in await feed.since(entries[0].id)] == [b"two", b"three"]
    assert await feed.since(entries[-1].id) == []


async def test_a_position_no_longer_held_is_a_gap(feed: Feed) -> None:
    start = await feed.last_id()
    await feed.publish([b"first"])
    (first,) = await feed.since(start)
    await feed.publish([f"{i}".encode() for i in range(10)])  # more than it keeps
    with pytest.raises(FeedGap):
        await feed.since(first.id)
    for foreign in ("1-1", "99999999999999-0", "nonsense", "-1-2"):
        with pytest.raises(FeedGap):
            await feed.since(foreign)
    # The newest is always held: a follower that is up to date has nothing missing.
    assert await feed.since(await feed.last_id()) == []


async def test_a_follow_waits_for_the_next_entry(feed: Feed) -> None:
    position = await feed.last_id()
    assert await feed.follow(position, block=0.05) == []

    started = time.monotonic()
    following = asyncio.create_task(feed.follow(position, block=10))
    await feed.publish([b"news"])
    found = await following
    assert [e.payload for e in found] == [b"news"]
    assert time.monotonic() - started < 5  # woken by the entry, not by the deadline


async def test_a_person_holds_at_most_their_limit_of_slots(feed: Feed) -> None:
    assert await feed.claim("ann", "a", 2, ttl=60)
    assert await feed.claim("ann", "b", 2, ttl=60)
    assert not await feed.claim("ann", "c", 2, ttl=60)
    assert await feed.claim("ann", "a", 2, ttl=60)  # renewing one held
    assert await feed.claim("bob", "c", 2, ttl=60)  # another person's own
    await feed.release("ann", "a")
    assert await feed.claim("ann", "c", 2, ttl=60)
    # A slot not renewed in time (a replica that died with its streams) frees itself.
    assert await feed.claim("cid", "x", 1, ttl=0.2)
    assert not await feed.claim("cid", "y", 1, ttl=60)

    async def freed() -> bool:
        return await feed.claim("cid", "y", 1, ttl=60)

    await eventually(freed, message="an expired slot was never freed")
