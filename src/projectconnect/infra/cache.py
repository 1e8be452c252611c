"""Caches: Redis across processes, a bounded dict in one process. Both fail open.

The cache is an optimisation, never the source of truth: a Redis error or timeout is
counted and answered as a miss, and after one the client leaves Redis alone for a short
cool-down so a dead Redis costs requests nothing; the first call after it tries again.
A process's pool that is merely busy is not a dead Redis: a call waits briefly for a
connection, and one that waits in vain fails alone, the breaker left closed.
A caller that must tell "not there" from "could not ask" uses `lookup`, which raises
CacheUnavailable instead.

A hot read that needs several keys, some named by another key's value (an entry under its
scope's current generation), asks for them all at once with `fetch`: one round trip.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeVar

import redis.asyncio as aioredis
from cachetools import TLRUCache
from prometheus_client import Counter
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from projectconnect.infra import metrics

logger = logging.getLogger(__name__)

T = TypeVar("T")


class CacheUnavailable(Exception):
    """The cache could not answer (an error, a timeout, or its circuit breaker is open)."""


@dataclass(frozen=True, slots=True)
class Derived:
    """A key named by another's value: `prefix + value of source + suffix`.

    Read only when `source` holds a value that does not start with the fetch's `unless`.
    """

    source: str
    prefix: str
    suffix: str


# What `fetch` found: the plain keys' values, then each derived read's (source, value).
Fetched = tuple[list[bytes | None], list[tuple[bytes | None, bytes | None]]]


class Cache(Protocol):
    """Bytes by key with a time to live. Failures read as misses and writes that did not land."""

    async def get(self, key: str) -> bytes | None: ...

    async def lookup(self, key: str) -> bytes | None:
        """Like `get`, but a failure raises CacheUnavailable instead of reading as a miss.

        For callers to whom "absent" and "could not ask" mean different things (the
        session check); the read caches use `get` and fail open.
        """

    async def set(
        self, key: str, value: bytes, ttl: float, *, only_if_absent: bool = False
    ) -> bool:
        """True when the value was stored."""

    async def delete(self, *keys: str) -> None: ...

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values of `keys` in one round trip; a failure reads as misses."""

    async def set_many(
        self, items: Mapping[str, bytes], ttl: float, *, strict: bool = False
    ) -> bool:
        """Store every item in one round trip; True when stored.

        `strict`: a failure raises CacheUnavailable instead (for a write that must know it
        landed), and the attempt is made even while the circuit breaker is open.
        """

    async def fetch(
        self, keys: Sequence[str], derived: Sequence[Derived], unless: bytes
    ) -> Fetched:
        """`keys`' values and each derived read's source and value, in one round trip; a
        failure reads as misses."""


# What an entry costs beyond its key and value: the dict slots, the LRU and expiry
# bookkeeping, the objects' headers. A rough figure, so the bound also limits tiny entries.
ENTRY_OVERHEAD = 256
DEFAULT_MEMORY_BYTES = 64 * 1024 * 1024


class _Entry(NamedTuple):
    expires: float
    value: bytes
    charge: int


class MemoryCache:
    """An in-process cache bounded by total bytes and by entries; least recently used go first.

    Expired entries are swept on every write (cachetools' TLRUCache keeps them in expiry
    order), so the entries a process no longer reads still leave once they expire.
    """

    def __init__(
        self,
        max_entries: int = 50_000,
        *,
        max_bytes: int = DEFAULT_MEMORY_BYTES,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: TLRUCache[str, _Entry] = TLRUCache(
            maxsize=max_bytes,
            ttu=lambda _key, entry, _now: entry.expires,
            timer=timer,
            getsizeof=lambda entry: entry.charge,
        )
        self._timer = timer

    @property
    def entries(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """The bytes the entries are charged: keys, values and a fixed overhead each."""
        return int(self._entries.currsize)

    def sweep(self) -> None:
        """Drop every expired entry now (writes do this too)."""
        self._entries.expire()

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        return entry.value if entry is not None else None

    async def lookup(self, key: str) -> bytes | None:
        return await self.get(key)

    async def set(
        self, key: str, value: bytes, ttl: float, *, only_if_absent: bool = False
    ) -> bool:
        if only_if_absent and key in self._entries:
            return False
        charge = len(key) + len(value) + ENTRY_OVERHEAD
        if charge > self.max_bytes:
            self._entries.pop(key, None)
            return False
        self._entries[key] = _Entry(self._timer() + ttl, value, charge)
        while len(self._entries) > self.max_entries:
            self._entries.popitem()
        return True

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._entries.pop(key, None)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [await self.get(key) for key in keys]

    async def set_many(
        self, items: Mapping[str, bytes], ttl: float, *, strict: bool = False
    ) -> bool:
        stored = [await self.set(key, value, ttl) for key, value in items.items()]
        return all(stored)

    async def fetch(
        self, keys: Sequence[str], derived: Sequence[Derived], unless: bytes
    ) -> Fetched:
        found = []
        for read in derived:
            source = await self.get(read.source)
            value = None
            if source is not None and not source.startswith(unless):
                value = await self.get(read.prefix + source.decode() + read.suffix)
            found.append((source, value))
        return [await self.get(key) for key in keys], found


class CircuitBreaker:
    """Open for `cooldown` seconds after a failure: callers skip the service meanwhile."""

    def __init__(self, cooldown: float = 1.0) -> None:
        self.cooldown = cooldown
        self._open_until = 0.0

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self) -> None:
        self._open_until = time.monotonic() + self.cooldown


# How many connections one process's cache client opens at most, and how long a call waits
# for one of them when all are busy before it gives up (as a miss, without blaming Redis).
POOL_CONNECTIONS = 64
POOL_WAIT_SECONDS = 0.25


class PoolExhausted(RedisConnectionError):
    """Every connection of the process's pool stayed busy for the whole wait: the process
    is busy, Redis may be well. Not a reason to leave Redis alone (the circuit breaker)."""


class WaitingPool(aioredis.BlockingConnectionPool):
    """A bounded pool where a burst waits briefly for a connection instead of failing;
    one that waited in vain raises PoolExhausted."""

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call]
        except RedisConnectionError as exc:
            # redis-py's own words for "the wait for a free connection timed out".
            if isinstance(exc.__cause__, TimeoutError) and exc.args == (
                "No connection available.",
            ):
                raise PoolExhausted(
                    f"no free connection among {self.max_connections} in {self.timeout}s"
                ) from exc
            raise


def redis_client(
    url: str,
    *,
    timeout: float,
    max_connections: int = POOL_CONNECTIONS,
    pool_wait: float = POOL_WAIT_SECONDS,
) -> aioredis.Redis:
    """A client whose every call gives up after `timeout` seconds (tens of milliseconds)
    once it has a connection, and waits up to `pool_wait` for one when all are busy."""
    pool = WaitingPool.from_url(
        url,
        max_connections=max_connections,
        timeout=pool_wait,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry_on_timeout=False,
        health_check_interval=30,
    )
    return aioredis.Redis.from_pool(pool)


# `fetch` in Redis: KEYS are the plain keys, then each derived read's source; ARGV[1] says
# how many keys are plain, ARGV[2] is `unless`, then a prefix and a suffix per derived read.
# The derived keys are built in the script, so they are not declared: one Redis, not a
# cluster, which is what the services run against.
FETCH = """
local plain = tonumber(ARGV[1])
local unless = ARGV[2]
local out = {}
for i = 1, plain do
  out[i] = redis.call('GET', KEYS[i])
end
for i = plain + 1, #KEYS do
  local source = redis.call('GET', KEYS[i])
  local value = false
  if source and string.sub(source, 1, #unless) ~= unless then
    local at = 2 * (i - plain) + 1
    value = redis.call('GET', ARGV[at] .. source .. ARGV[at + 1])
  end
  out[#out + 1] = source
  out[#out + 1] = value
end
return out
"""


class RedisCache:
    def __init__(
        self,
        client: aioredis.Redis,
        *,
        name: str,
        prefix: str = "pc:",
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.client = client
        self.name = name
        self.prefix = prefix
        self.breaker = breaker or CircuitBreaker()
        self._fetch = client.register_script(FETCH)

    async def _strict(
        self, operation: Callable[[], Awaitable[T]], *, despite_breaker: bool = False
    ) -> T:
        """Run `operation` on Redis, or raise CacheUnavailable (counted, and trips the breaker
        unless only this process's pool was out of connections)."""
        if self.breaker.is_open and not despite_breaker:
            metrics.CACHE_ERRORS.labels(cache=self.name, reason="circuit_open").inc()
            raise CacheUnavailable(f"{self.name} cache: circuit open")
        try:
            return await operation()
        except PoolExhausted as exc:
            metrics.CACHE_ERRORS.labels(cache=self.name, reason="pool_exhausted").inc()
            logger.warning("no redis connection free for %s cache: %s", self.name, exc)
            raise CacheUnavailable(f"{self.name} cache: {exc}") from exc
        except (TimeoutError, RedisError, OSError) as exc:
            self.breaker.trip()
            metrics.CACHE_ERRORS.labels(cache=self.name, reason=type(exc).__name__).inc()
            logger.warning("redis unavailable for %s cache: %r", self.name, exc)
            raise CacheUnavailable(f"{self.name} cache: {exc!r}") from exc

    async def _call(self, operation: Callable[[], Awaitable[T]], default: T) -> T:
        try:
            return await self._strict(operation)
        except CacheUnavailable:
            return default

    async def _get(self, key: str) -> bytes | None:
        value = await self.client.get(self.prefix + key)
        return value if isinstance(value, bytes) else None

    async def get(self, key: str) -> bytes | None:
        return await self._call(lambda: self._get(key), None)

    async def lookup(self, key: str) -> bytes | None:
        return await self._strict(lambda: self._get(key))

    async def set(
        self, key: str, value: bytes, ttl: float, *, only_if_absent: bool = False
    ) -> bool:
        async def set_() -> bool:
            stored = await self.client.set(
                self.prefix + key, value, px=max(1, int(ttl * 1000)), nx=only_if_absent
            )
            return bool(stored)

        return await self._call(set_, False)

    async def delete(self, *keys: str) -> None:
        async def delete() -> None:
            await self.client.delete(*(self.prefix + k for k in keys))

        if keys:
            await self._call(delete, None)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        async def get_many() -> list[bytes | None]:
            values = await self.client.mget([self.prefix + k for k in keys])
            return [v if isinstance(v, bytes) else None for v in values]

        if not keys:
            return []
        return await self._call(get_many, [None] * len(keys))

    async def set_many(
        self, items: Mapping[str, bytes], ttl: float, *, strict: bool = False
    ) -> bool:
        async def set_many() -> bool:
            async with self.client.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(self.prefix + key, value, px=max(1, int(ttl * 1000)))
                results = await pipe.execute()
            return all(results)

        if not items:
            return True
        if not strict:
            return await self._call(set_many, False)
        try:
            return await self._strict(set_many, despite_breaker=True)
        except CacheUnavailable:
            # Once more: the first call after Redis restarted meets a connection it closed.
            return await self._strict(set_many, despite_breaker=True)

    async def fetch(
        self, keys: Sequence[str], derived: Sequence[Derived], unless: bytes
    ) -> Fetched:
        async def fetch() -> Fetched:
            sources = [self.prefix + read.source for read in derived]
            parts = [part for read in derived for part in (self.prefix + read.prefix, read.suffix)]
            args: list[bytes | str | int] = [len(keys), unless, *parts]
            values = await self._fetch(keys=[*(self.prefix + k for k in keys), *sources], args=args)
            found = [v if isinstance(v, bytes) else None for v in values]
            pairs = found[len(keys) :]
            return found[: len(keys)], list(zip(pairs[::2], pairs[1::2], strict=True))

        missed: Fetched = ([None] * len(keys), [(None, None)] * len(derived))
        return await self._call(fetch, missed)


def count_read(cache: str, value: bytes | None) -> bytes | None:
    """Count a read of the logical cache `cache` as a hit or a miss."""
    _reads(cache, "hit" if value else "miss").inc()
    return value


@functools.cache
def _reads(cache: str, result: str) -> Counter:
    """A series of the reads, looked up once: every cached read counts one or more."""
    return metrics.CACHE_REQUESTS.labels(cache=cache, result=result)


class InstrumentedCache:
    """Counts hits and misses of one logical cache (sessions, project lists, ...)."""

    def __init__(self, inner: Cache, name: str) -> None:
        self.inner = inner
        self.name = name

    async def get(self, key: str) -> bytes | None:
        return self._count(await self.inner.get(key))

    async def lookup(self, key: str) -> bytes | None:
        return self._count(await self.inner.lookup(key))

    def _count(self, value: bytes | None) -> bytes | None:
        return count_read(self.name, value)

    async def set(
        self, key: str, value: bytes, ttl: float, *, only_if_absent: bool = False
    ) -> bool:
        return await self.inner.set(key, value, ttl, only_if_absent=only_if_absent)

    async def delete(self, *keys: str) -> None:
        await self.inner.delete(*keys)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [self._count(value) for value in await self.inner.get_many(keys)]

    async def set_many(
        self, items: Mapping[str, bytes], ttl: float, *, strict: bool = False
    ) -> bool:
        return await self.inner.set_many(items, ttl, strict=strict)

    async def fetch(
        self, keys: Sequence[str], derived: Sequence[Derived], unless: bytes
    ) -> Fetched:
        """Counts the derived reads; the plain keys are counted by the caches that own them."""
        values, found = await self.inner.fetch(keys, derived, unless)
        return values, [(source, self._count(value)) for source, value in found]


class CacheBackend:
    """One process's cache connection: Redis when configured, else an in-process dict.

    Logical caches (`named`) share the connection and its circuit breaker.
    """

    def __init__(
        self,
        redis_url: str | None,
        *,
        timeout: float = 0.05,
        prefix: str = "pc:",
        memory: MemoryCache | None = None,
        memory_max_bytes: int = DEFAULT_MEMORY_BYTES,
        max_connections: int = POOL_CONNECTIONS,
        pool_wait: float = POOL_WAIT_SECONDS,
    ) -> None:
        self.prefix = prefix
        self.breaker = CircuitBreaker()
        self.client = (
            redis_client(
                redis_url, timeout=timeout, max_connections=max_connections, pool_wait=pool_wait
            )
            if redis_url
            else None
        )
        self.memory = memory or MemoryCache(max_bytes=memory_max_bytes)

    def named(self, name: str) -> Cache:
        inner: Cache = (
            RedisCache(self.client, name=name, prefix=self.prefix, breaker=self.breaker)
            if self.client is not None
            else self.memory
        )
        return InstrumentedCache(inner, name)

    async def ping(self) -> None:
        """For readiness: raises when Redis is configured and does not answer."""
        if self.client is not None:
            await self.client.ping()

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
