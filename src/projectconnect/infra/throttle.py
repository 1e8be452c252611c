"""Throttles on counters shared through Redis (in-process in embedded mode), via `limits`.

Degradation policy: when Redis fails or is cooling down after a failure, the same rules
are enforced on per-process counters. Each replica then allows up to the full limit on its
own, so the effective limit is multiplied by the number of replicas until Redis returns;
an attacker is still slowed down, and no login is refused because Redis is unwell.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import NoReturn

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

from projectconnect.infra import metrics
from projectconnect.infra.cache import CircuitBreaker
from projectconnect.infra.problems import ServiceError

logger = logging.getLogger(__name__)


class TooManyRequests(ServiceError):
    status = 429
    code = "too_many_requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    limit: RateLimitItem

    @classmethod
    def parse(cls, name: str, spec: str) -> Rule:
        """`spec` in the limits notation, e.g. "10 per 15 minutes"."""
        return cls(name, parse(spec))


class Throttle:
    def __init__(
        self,
        redis_url: str | None = None,
        *,
        timeout: float = 0.05,
        prefix: str = "pc:",
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._local = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._shared: SlidingWindowCounterRateLimiter | None = None
        self._storage: Storage | None = None
        if redis_url is not None:
            self._storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix=f"{prefix}throttle",
                wrap_exceptions=True,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
            )
            self._shared = SlidingWindowCounterRateLimiter(self._storage)
        self.breaker = breaker or CircuitBreaker()

    def _limiter(self) -> SlidingWindowCounterRateLimiter:
        if self._shared is None or self.breaker.is_open:
            return self._local
        return self._shared

    async def check(self, rule: Rule, key: str) -> None:
        """Raise TooManyRequests when `key` has used up `rule`'s allowance."""
        try:
            reset_at = await self._exhausted_until(self._limiter(), rule, key)
        except (TimeoutError, StorageError, RedisError, OSError) as exc:
            self._fail(exc)
            reset_at = await self._exhausted_until(self._local, rule, key)
        if reset_at is not None:
            _refuse(rule, reset_at)

    @staticmethod
    async def _exhausted_until(
        limiter: SlidingWindowCounterRateLimiter, rule: Rule, key: str
    ) -> float | None:
        if await limiter.test(rule.limit, rule.name, key):
            return None
        return (await limiter.get_window_stats(rule.limit, rule.name, key)).reset_time

    async def acquire(self, rule: Rule, key: str) -> None:
        """Count one use of `rule` by `key`, or raise TooManyRequests when none is left.

        One atomic step: concurrent requests cannot all pass a check and then overshoot.
        """
        limiter = self._limiter()
        try:
            allowed = await limiter.hit(rule.limit, rule.name, key)
            if allowed:
                return
            reset_at = (await limiter.get_window_stats(rule.limit, rule.name, key)).reset_time
        except (TimeoutError, StorageError, RedisError, OSError) as exc:
            self._fail(exc)
            if await self._local.hit(rule.limit, rule.name, key):
                return
            reset_at = (await self._local.get_window_stats(rule.limit, rule.name, key)).reset_time
        _refuse(rule, reset_at)

    async def hit(self, rule: Rule, key: str) -> None:
        """Count one use of `rule` by `key`."""
        limiter = self._limiter()
        try:
            await limiter.hit(rule.limit, rule.name, key)
        except (TimeoutError, StorageError, RedisError, OSError) as exc:
            self._fail(exc)
            await self._local.hit(rule.limit, rule.name, key)

    async def clear(self, rule: Rule, key: str) -> None:
        limiter = self._limiter()
        try:
            await limiter.clear(rule.limit, rule.name, key)
        except (TimeoutError, StorageError, RedisError, OSError) as exc:
            self._fail(exc)
        if limiter is not self._local:
            await self._local.clear(rule.limit, rule.name, key)

    def _fail(self, exc: BaseException) -> None:
        self.breaker.trip()
        metrics.CACHE_ERRORS.labels(cache="throttle", reason=type(exc).__name__).inc()
        logger.warning("throttle storage unavailable, using per-process counters: %r", exc)


def _refuse(rule: Rule, reset_at: float) -> NoReturn:
    metrics.THROTTLED.labels(rule=rule.name).inc()
    retry_after = max(1, math.ceil(reset_at - time.time()))
    raise TooManyRequests("Too many attempts; try again later.", retry_after)
