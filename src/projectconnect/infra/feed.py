"""The change feed: an ordered, bounded log of small notices that every replica follows.

Writers append notices after their commit (`publish`); each process follows the feed from
where it is (`follow`) and hands what arrives to its open streams; a stream that reconnects
asks for what it missed (`since`), which the feed answers while it still holds it and
refuses with `FeedGap` once it does not, so the client knows to refetch instead.

- `RedisFeed`, in the distributed mode: one Redis stream (`XADD … MAXLEN ~`), so every
  replica reads the same entries in the same order under ids Redis assigns, and the
  replay of a reconnect is a range read of the same structure. Redis rather than the
  broker: the fan-out is to every replica, transient, and needs a bounded history by
  position, which a stream is and a queue is not. Nothing is lost for good when an
  entry is: a notice says only what to read again.
- `MemoryFeed`, in the embedded mode: the same contract in the process.

Entry ids are Redis's `<milliseconds>-<sequence>`; the memory feed makes its own of the
same form from its start time, so an id from before a restart is older than anything it
holds and is a gap, as it should be.

The feed also counts each person's open streams (`claim`, `release`) across replicas, so a
few streams per person are allowed and a flood is refused.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

# How many entries the feed keeps for replays (Redis trims approximately, a little more).
DEFAULT_HISTORY = 10_000


class FeedGap(Exception):
    """The position asked for is no longer held (or never was): refetch, then follow."""


class FeedUnavailable(Exception):
    """The feed's store cannot answer."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    id: str
    payload: bytes


def parse_id(entry_id: str) -> tuple[int, int]:
    """An entry id as a comparable pair; FeedGap when it is not one of ours."""
    head, _, tail = entry_id.partition("-")
    try:
        position = int(head), int(tail or "0")
    except ValueError:
        raise FeedGap(f"not a feed position: {entry_id!r}") from None
    if position[0] < 0 or position[1] < 0:
        raise FeedGap(f"not a feed position: {entry_id!r}")
    return position


class Feed(Protocol):
    async def publish(self, payloads: Sequence[bytes]) -> None: ...

    async def last_id(self) -> str:
        """The position of the newest entry: following from it gives what comes next."""

    async def since(self, after: str) -> list[FeedEntry]:
        """Every entry after `after`, oldest first; FeedGap if some are no longer held."""

    async def follow(self, after: str, block: float) -> list[FeedEntry]:
        """Entries after `after`, waiting up to `block` seconds for the first to come."""

    async def claim(self, owner: str, slot: str, limit: int, ttl: float) -> bool:
        """Hold `slot` among `owner`'s at most `limit` slots for `ttl` seconds (renewable)."""

    async def release(self, owner: str, slot: str) -> None: ...

    async def close(self) -> None: ...


class MemoryFeed:
    """The feed of one process: a ring of the last `history` entries."""

    def __init__(self, history: int = DEFAULT_HISTORY) -> None:
        self._epoch = int(time.time() * 1000)
        self._next = 1
        self._entries: collections.deque[FeedEntry] = collections.deque(maxlen=history)
        self._arrived: asyncio.Event | None = None
        self._slots: dict[str, dict[str, float]] = {}

    def _signal(self) -> asyncio.Event:
        if self._arrived is None:
            self._arrived = asyncio.Event()
        return self._arrived

    async def publish(self, payloads: Sequence[bytes]) -> None:
        for payload in payloads:
            self._entries.append(FeedEntry(f"{self._epoch}-{self._next}", payload))
            self._next += 1
        if payloads:
            arrived = self._signal()
            arrived.set()
            self._arrived = None  # waiters hold the one just set

    async def last_id(self) -> str:
        return f"{self._epoch}-{self._next - 1}"

    async def since(self, after: str) -> list[FeedEntry]:
        epoch, seq = parse_id(after)
        if epoch != self._epoch or seq >= self._next:
            raise FeedGap(after)
        oldest = self._next - len(self._entries)  # the first entry held
        if seq < oldest - 1:
            raise FeedGap(after)
        return list(self._entries)[seq - oldest + 1 :]

    async def follow(self, after: str, block: float) -> list[FeedEntry]:
        found = await self.since(after)
        if found:
            return found
        arrived = self._signal()
        try:
            await asyncio.wait_for(arrived.wait(), block)
        except TimeoutError:
            return []
        return await self.since(after)

    async def claim(self, owner: str, slot: str, limit: int, ttl: float) -> bool:
        now = time.monotonic()
        slots = {s: until for s, until in self._slots.get(owner, {}).items() if until > now}
        if slot not in slots and len(slots) >= limit:
            self._slots[owner] = slots
            return False
        slots[slot] = now + ttl
        self._slots[owner] = slots
        return True

    async def release(self, owner: str, slot: str) -> None:
        slots = self._slots.get(owner)
        if slots is not None:
            slots.pop(slot, None)
            if not slots:
                del self._slots[owner]

    async def close(self) -> None:
        return None


# Drop the expired slots, then hold this one if it is held already or there is room.
_CLAIM = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


class RedisFeed:
    """The feed as one Redis stream; blocking reads on a connection of their own."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "pc:",
        timeout: float = 0.25,
        history: int = DEFAULT_HISTORY,
        approximate: bool = True,
    ) -> None:
        self.key = f"{prefix}feed"
        self.slots_prefix = f"{prefix}streams:"
        self.history = history
        # Trimming whole nodes of the stream (at least `history` kept) costs far less.
        self.approximate = approximate
        self._client = aioredis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
        )
        # A blocking read waits on its socket for up to `block`: no short timeout there.
        self._url = url
        self._timeout = timeout
        self._follower: aioredis.Redis | None = None
        self._claim = self._client.register_script(_CLAIM)

    async def publish(self, payloads: Sequence[bytes]) -> None:
        if not payloads:
            return
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for payload in payloads:
                    pipe.xadd(
                        self.key, {"n": payload}, maxlen=self.history, approximate=self.approximate
                    )
                await pipe.execute()
        except RedisError as exc:
            raise FeedUnavailable(repr(exc)) from exc

    async def last_id(self) -> str:
        try:
            newest = await self._client.xrevrange(self.key, count=1)
        except RedisError as exc:
            raise FeedUnavailable(repr(exc)) from exc
        return _entries(newest)[0].id if newest else "0-0"

    async def since(self, after: str) -> list[FeedEntry]:
        """Ids are times, not a count, so nothing is missing only if `after` itself is
        still held (the newest entries are the last trimmed), or if the stream has never
        lost an entry and `after` is its beginning."""
        if parse_id(after) == (0, 0):
            try:
                info = await self._client.xinfo_stream(self.key)
            except ResponseError:  # no stream yet: nothing was ever published
                return []
            except RedisError as exc:
                raise FeedUnavailable(repr(exc)) from exc
            if info["entries-added"] != info["length"]:
                raise FeedGap(after)
            rows = await self._range("-")
        else:
            rows = await self._range(after)
            if not rows or rows[0].id != after:
                raise FeedGap(after)
            rows = rows[1:]
        return rows

    async def _range(self, start: str) -> list[FeedEntry]:
        try:
            rows = await self._client.xrange(self.key, min=start)
        except RedisError as exc:
            raise FeedUnavailable(repr(exc)) from exc
        return _entries(rows)

    async def follow(self, after: str, block: float) -> list[FeedEntry]:
        parse_id(after)
        if self._follower is None:
            self._follower = aioredis.Redis.from_url(
                self._url,
                socket_timeout=block + 5,
                socket_connect_timeout=self._timeout,
                retry_on_timeout=False,
            )
        try:
            found: Any = await self._follower.xread(
                {self.key: after}, count=1000, block=max(1, int(block * 1000))
            )
        except RedisError as exc:
            raise FeedUnavailable(repr(exc)) from exc
        # `[[key, entries]]` for the one stream read, empty when the wait ended with none.
        return _entries(found[0][1]) if found else []

    async def claim(self, owner: str, slot: str, limit: int, ttl: float) -> bool:
        now = time.time()
        try:
            held = await self._claim(
                keys=[self.slots_prefix + owner],
                args=[now, now + ttl, slot, limit, int(ttl * 1000) + 1000],
            )
        except RedisError as exc:
            raise FeedUnavailable(repr(exc)) from exc
        return bool(held)

    async def release(self, owner: str, slot: str) -> None:
        try:
            await self._client.zrem(self.slots_prefix + owner, slot)
        except RedisError as exc:
            raise FeedUnavailable(repr(exc)) from exc

    async def close(self) -> None:
        await self._client.aclose()
        if self._follower is not None:
            await self._follower.aclose()


def _entries(rows: Any) -> list[FeedEntry]:
    """Stream entries as redis-py answers them: `[(id, {b"n": payload}), …]`."""
    return [FeedEntry(bytes(entry_id).decode(), bytes(fields[b"n"])) for entry_id, fields in rows]


def make_feed(redis_url: str | None, *, prefix: str = "pc:", timeout: float = 0.25) -> Feed:
    return RedisFeed(redis_url, prefix=prefix, timeout=timeout) if redis_url else MemoryFeed()
