"""Throttles on counters shared through Redis (in-process in embedded mode), via `limits`.

An attempt is reserved before the work it guards (a password hash), in one atomic increment,
so concurrent requests cannot all pass a check and then overshoot; one that turns out not to
count (a successful login) is given back. `limits` cannot take a hit back from its sliding
windows, so the counters are its fixed windows, whose one storage key `release` decrements.
A window starts at its first hit and lasts the rule's period: at most twice the limit can
pass within one period around a window's end, and never more than the limit on average.

Degradation policy: when Redis fails or is cooling down after a failure, the same rules
are enforced on per-process counters. Each replica then allows up to the full limit on its
own, so the effective limit is multiplied by the number of replicas until Redis returns;
an attacker is still slowed down, and no login is refused because Redis is unwell.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

from projectconnect.infra import metrics
from projectconnect.infra.cache import CircuitBreaker
from projectconnect.infra.problems import ServiceError

logger = logging.getLogger(__name__)

_STORAGE_ERRORS = (TimeoutError, StorageError, RedisError, OSError)


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


@dataclass(frozen=True, slots=True)
class Reservation:
    """One counted use of a rule, which `Throttle.release` can give back."""

    rule: Rule
    key: str
    limiter: FixedWindowRateLimiter

    async def give_back(self) -> None:
        # limits' strategies take no negative cost; its storage increments by any amount.
        # Were the window to have ended meanwhile, the next one would start one lower.
        limit = self.rule.limit
        key = limit.key_for(self.rule.name, self.key)
        await self.limiter.storage.incr(key, limit.get_expiry(), amount=-1)


class Throttle:
    def __init__(
        self,
        redis_url: str | None = None,
        *,
        timeout: float = 0.05,
        prefix: str = "pc:",
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._local = FixedWindowRateLimiter(MemoryStorage())
        self._shared: FixedWindowRateLimiter | None = None
        if redis_url is not None:
            storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix=f"{prefix}throttle",
                wrap_exceptions=True,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
            )
            self._shared = FixedWindowRateLimiter(storage)
        self.breaker = breaker or CircuitBreaker()

    def _limiter(self) -> FixedWindowRateLimiter:
        if self._shared is None or self.breaker.is_open:
            return self._local
        return self._shared

    async def acquire(self, rule: Rule, key: str) -> Reservation:
        """Count one use of `rule` by `key`, or raise TooManyRequests when none is left.

        One atomic increment: concurrent requests cannot all pass a check and then overshoot.
        """
        limiter = self._limiter()
        if limiter is not self._local:
            # Uses counted on this process while Redis was away still count until their
            # window ends: a blip in the middle of a burst must not hand out a fresh allowance.
            await self._refuse_if_used_up(self._local, rule, key)
        try:
            return await self._acquire_on(limiter, rule, key)
        except _STORAGE_ERRORS as exc:
            self._fail(exc)
            return await self._acquire_on(self._local, rule, key)

    @staticmethod
    async def _refuse_if_used_up(limiter: FixedWindowRateLimiter, rule: Rule, key: str) -> None:
        if not await limiter.test(rule.limit, rule.name, key):
            _refuse(rule, (await limiter.get_window_stats(rule.limit, rule.name, key)).reset_time)

    @staticmethod
    async def _acquire_on(limiter: FixedWindowRateLimiter, rule: Rule, key: str) -> Reservation:
        reservation = Reservation(rule, key, limiter)
        if not await limiter.hit(rule.limit, rule.name, key):
            # The window's counter went past the limit: a refusal does not count as a use.
            reset_at = (await limiter.get_window_stats(rule.limit, rule.name, key)).reset_time
            await reservation.give_back()
            _refuse(rule, reset_at)
        return reservation

    async def acquire_all(self, uses: Sequence[tuple[Rule, str]]) -> list[Reservation]:
        """Reserve every (rule, key), or none: those taken are given back when one refuses."""
        taken: list[Reservation] = []
        try:
            for rule, key in uses:
                taken.append(await self.acquire(rule, key))
        except TooManyRequests:
            await self.release(*taken)
            raise
        return taken

    async def release(self, *reservations: Reservation) -> None:
        """Give reserved uses back: they did not count (the password was right, or unchecked)."""
        for reservation in reservations:
            try:
                await reservation.give_back()
            except _STORAGE_ERRORS as exc:
                self._fail(exc)

    async def clear(self, rule: Rule, key: str) -> None:
        limiter = self._limiter()
        try:
            await limiter.clear(rule.limit, rule.name, key)
        except _STORAGE_ERRORS as exc:
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
