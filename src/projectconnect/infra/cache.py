"""Caches: Redis across processes, a bounded dict in one process. Both fail open.

The cache is an optimisation, never the source of truth: a Redis error or timeout is
counted and answered as a miss, and after one the client leaves Redis alone for a short
cool-down so a dead Redis costs requests nothing; the first call after it tries again.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from projectconnect.infra import metrics

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Cache(Protocol):
    """Bytes by key with a time to live. Failures read as misses and writes that did not land."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(
        self, key: str, value: bytes, ttl: float, *, only_if_absent: bool = False
    ) -> bool:
        """True when the value was stored."""

    async def delete(self, *keys: str) -> None: ...


class MemoryCache:
    """An in-process cache with a bound on entries (least recently used go first)."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max_entries = max_entries

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(
        self, key: str, value: bytes, ttl: float, *, only_if_absent: bool = False
    ) -> bool:
        if only_if_absent and await self.get(key) is not None:
            return False
        self._entries[key] = (time.monotonic() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return True

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._entries.pop(key, None)


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


def redis_client(url: str, *, timeout: float) -> aioredis.Redis:
    """A client whose every call gives up after `timeout` seconds (tens of milliseconds)."""
    return aioredis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry_on_timeout=False,
        health_check_interval=30,
        max_connections=64,
    )


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

    async def _call(self, operation: Callable[[], Awaitable[T]], default: T) -> T:
        if self.breaker.is_open:
            metrics.CACHE_ERRORS.labels(cache=self.name, reason="circuit_open").inc()
            return default
        try:
            return await operation()
        except (TimeoutError, RedisError, OSError) as exc:
            self.breaker.trip()
            metrics.CACHE_ERRORS.labels(cache=self.name, reason=type(exc).__name__).inc()
            logger.warning("redis unavailable for %s cache: %r", self.name, exc)
            return default

    async def get(self, key: str) -> bytes | None:
        async def get() -> bytes | None:
            value = await self.client.get(self.prefix + key)
            return value if isinstance(value, bytes) else None

        return await self._call(get, None)

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


class InstrumentedCache:
    """Counts hits and misses of one logical cache (sessions, project lists, ...)."""

    def __init__(self, inner: Cache, name: str) -> None:
        self.inner = inner
        self.name = name

    async def get(self, key: str) -> bytes | None:
        value = await self.inner.get(key)
        metrics.CACHE_REQUESTS.labels(cache=self.name, result="hit" if value else "miss").inc()
        return value

    async def set(
        self, key: str, value: bytes, ttl: float, *, only_if_absent: bool = False
    ) -> bool:
        return await self.inner.set(key, value, ttl, only_if_absent=only_if_absent)

    async def delete(self, *keys: str) -> None:
        await self.inner.delete(*keys)


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
    ) -> None:
        self.prefix = prefix
        self.breaker = CircuitBreaker()
        self.client = redis_client(redis_url, timeout=timeout) if redis_url else None
        self.memory = memory or MemoryCache()

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
