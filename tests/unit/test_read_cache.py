"""The read cache's rules on their own: the switch, the entry cap, issued cursors only,
and the in-process cache's bounds."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping

import pytest

from projectconnect.infra.cache import ENTRY_OVERHEAD, CacheUnavailable, MemoryCache
from projectconnect.projects.cache import (
    PageView,
    ReadCache,
    canonical_id,
    person_scope,
    project_scope,
)


async def generation(cache: ReadCache, scope: str) -> str | None:
    return (await cache.generations([scope]))[0]


async def test_a_disabled_read_cache_hands_out_no_generation() -> None:
    scope = person_scope(uuid.uuid4())
    enabled = ReadCache(MemoryCache(), ttl=60)
    disabled = ReadCache(MemoryCache(), ttl=60, enabled=False)

    current = await generation(enabled, scope)
    assert current is not None
    assert await generation(enabled, scope) == current
    assert await generation(disabled, scope) is None
    await disabled.fence([scope])
    await disabled.renew([scope])
    assert await generation(disabled, scope) is None


async def test_a_response_over_the_entry_cap_is_not_stored() -> None:
    scope = project_scope(uuid.uuid4())
    cache = ReadCache(MemoryCache(), ttl=60, max_entry_bytes=1000)
    current = await generation(cache, scope)
    assert current is not None
    assert await cache.put(scope, current, "big", b"x" * 1001) is False
    assert await cache.get(scope, current, "big") is None
    assert await cache.put(scope, current, "small", b"x" * 1000) is True
    assert await cache.get(scope, current, "small") == b"x" * 1000


async def test_only_cursors_issued_under_the_current_generation_may_be_stored() -> None:
    scope = person_scope(uuid.uuid4())
    cache = ReadCache(MemoryCache(), ttl=60, page_sizes={20})
    current = await generation(cache, scope)
    assert current is not None
    first = PageView("list:*", 20)
    assert await cache.is_issued(scope, current, first)
    assert not await cache.is_issued(scope, current, PageView("list:*", 7))
    forged = first.after("eyJmb3JnZWQiOnRydWV9")
    assert not await cache.is_issued(scope, current, forged)

    issued = first.after("c2VydmVyLWlzc3VlZA")
    await cache.issue(scope, current, issued)
    assert await cache.is_issued(scope, current, issued)
    # The same position asked with another size or on another list was not issued.
    assert not await cache.is_issued(scope, current, PageView("list:*", 100, issued.cursor))
    assert not await cache.is_issued(scope, current, PageView("tasks", 20, issued.cursor))
    # A write makes every issued cursor of the scope unknown again.
    await cache.fence([scope])
    await cache.renew([scope])
    newer = await generation(cache, scope)
    assert newer is not None
    assert newer != current
    assert not await cache.is_issued(scope, newer, issued)


async def test_a_fenced_scope_is_served_by_no_one_until_renewed_or_expired() -> None:
    now = [0.0]
    memory = MemoryCache(timer=lambda: now[0])
    writer = ReadCache(memory, ttl=60, fence_seconds=30)
    other_replica = ReadCache(memory, ttl=60, fence_seconds=30)
    scope, untouched = project_scope(uuid.uuid4()), person_scope(uuid.uuid4())
    before = await generation(other_replica, scope)
    assert before is not None

    await writer.fence([scope])
    # The write committed but its new generation never landed (a Redis error, a crash).
    assert await generation(other_replica, scope) is None
    assert await generation(other_replica, untouched) is not None
    now[0] += 31  # the fence expires: a fresh generation, unlike the one before the write
    after = await generation(other_replica, scope)
    assert after is not None
    assert after != before


class Unreachable(MemoryCache):
    async def set_many(
        self, items: Mapping[str, bytes], ttl: float, *, strict: bool = False
    ) -> bool:
        if strict:
            raise CacheUnavailable("down")
        return False


async def test_a_fence_that_cannot_be_set_raises() -> None:
    cache = ReadCache(Unreachable(), ttl=60)
    with pytest.raises(CacheUnavailable):
        await cache.fence([person_scope(uuid.uuid4())])


def test_every_spelling_of_an_id_has_one_canonical_form() -> None:
    value = uuid.uuid4()
    spellings = [str(value), str(value).upper(), value.hex, f"{{{value}}}", f"urn:uuid:{value}"]
    assert {canonical_id(s) for s in spellings} == {str(value)}
    assert canonical_id("not-an-id") is None


async def test_the_memory_cache_never_holds_more_than_its_byte_bound() -> None:
    rng = random.Random(7)
    memory = MemoryCache(max_entries=1000, max_bytes=50_000)
    for i in range(2000):
        value = b"v" * rng.randrange(0, 8000)
        await memory.set(f"key-{i}", value, ttl=60)
        assert memory.size <= 50_000
        assert memory.entries <= 1000
    # The most recent entry is there; the least recently used went first.
    assert await memory.get("key-1999") is not None
    assert await memory.get("key-0") is None
    # A value that alone exceeds the bound is refused, not stored at the cost of everything.
    assert await memory.set("huge", b"h" * 50_001, ttl=60) is False
    assert await memory.get("huge") is None


async def test_the_memory_cache_bounds_entries_and_keeps_the_recently_used() -> None:
    memory = MemoryCache(max_entries=3, max_bytes=1_000_000)
    for key in ("a", "b", "c"):
        await memory.set(key, b"1", ttl=60)
    await memory.get("a")  # now more recent than b
    await memory.set("d", b"1", ttl=60)
    assert [await memory.get(k) is not None for k in ("a", "b", "c", "d")] == [
        True,
        False,
        True,
        True,
    ]
    assert memory.entries == 3
    assert memory.size == sum(len(k) + 1 + ENTRY_OVERHEAD for k in ("a", "c", "d"))


async def test_expired_entries_are_swept_without_being_read_again() -> None:
    now = [1000.0]
    memory = MemoryCache(timer=lambda: now[0])
    for i in range(100):
        await memory.set(f"short-{i}", b"s" * 1000, ttl=1)
    await memory.set("long", b"l", ttl=3600)
    assert memory.entries == 101
    now[0] += 2
    await memory.set("next", b"n", ttl=3600)  # any write sweeps what has expired
    assert memory.entries == 2
    assert memory.size == sum(len(k) + 1 + ENTRY_OVERHEAD for k in ("long", "next"))
    now[0] += 3600
    memory.sweep()
    assert memory.entries == 0
    assert memory.size == 0


async def test_set_only_if_absent_respects_expiry() -> None:
    now = [0.0]
    memory = MemoryCache(timer=lambda: now[0])
    assert await memory.set("k", b"1", ttl=1, only_if_absent=True)
    assert not await memory.set("k", b"2", ttl=1, only_if_absent=True)
    now[0] += 2
    assert await memory.set("k", b"3", ttl=1, only_if_absent=True)
    assert await memory.get("k") == b"3"
