"""Throttle reservations: atomic, all or none, given back, and kept across a Redis blip."""

from __future__ import annotations

import asyncio

import pytest
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter

from projectconnect.infra.cache import CircuitBreaker
from projectconnect.infra.throttle import Rule, Throttle, TooManyRequests
from tests.support.waiting import eventually


async def test_concurrent_acquires_never_pass_the_limit() -> None:
    throttle = Throttle()
    rule = Rule.parse("guesses", "5 per 15 minutes")
    outcomes = await asyncio.gather(
        *(throttle.acquire(rule, "ann") for _ in range(20)), return_exceptions=True
    )
    refused = [o for o in outcomes if isinstance(o, TooManyRequests)]
    assert len(refused) == 15
    assert all(0 < error.retry_after <= 15 * 60 for error in refused)
    assert refused[0].headers == {"Retry-After": str(refused[0].retry_after)}


async def test_a_released_reservation_can_be_taken_again() -> None:
    throttle = Throttle()
    rule = Rule.parse("guesses", "2 per hour")
    first = await throttle.acquire(rule, "ann")
    await throttle.acquire(rule, "ann")
    with pytest.raises(TooManyRequests):
        await throttle.acquire(rule, "ann")
    await throttle.release(first)
    await throttle.acquire(rule, "ann")
    with pytest.raises(TooManyRequests):
        await throttle.acquire(rule, "ann")


async def test_acquire_all_takes_every_rule_or_none() -> None:
    throttle = Throttle()
    roomy = Rule.parse("roomy", "10 per hour")
    tight = Rule.parse("tight", "1 per hour")
    await throttle.acquire(tight, "ann")
    with pytest.raises(TooManyRequests):
        await throttle.acquire_all([(roomy, "ann"), (tight, "ann")])
    # The refused attempt left nothing taken on the rule that had room.
    taken = [await throttle.acquire(roomy, "ann") for _ in range(10)]
    assert len(taken) == 10
    with pytest.raises(TooManyRequests):
        await throttle.acquire(roomy, "ann")


async def test_clear_forgets_one_key_only() -> None:
    throttle = Throttle()
    rule = Rule.parse("guesses", "1 per hour")
    await throttle.acquire(rule, "ann")
    await throttle.acquire(rule, "bob")
    await throttle.clear(rule, "ann")
    await throttle.acquire(rule, "ann")
    with pytest.raises(TooManyRequests):
        await throttle.acquire(rule, "bob")


async def test_uses_counted_while_the_shared_store_was_away_still_count_after_it_returns() -> None:
    throttle = Throttle(breaker=CircuitBreaker(cooldown=0.05))
    # A second in-memory store stands in for Redis: the breaker picks between the two.
    throttle._shared = FixedWindowRateLimiter(MemoryStorage())
    rule = Rule.parse("guesses", "3 per hour")
    await throttle.acquire(rule, "ann")
    throttle.breaker.trip()  # the shared store failed: this process counts on its own
    await throttle.acquire(rule, "ann")
    await throttle.acquire(rule, "ann")
    await throttle.acquire(rule, "ann")
    with pytest.raises(TooManyRequests):
        await throttle.acquire(rule, "ann")
    await eventually(lambda: not throttle.breaker.is_open, within=5)
    # The shared store has seen one use; the three counted locally still stand.
    with pytest.raises(TooManyRequests):
        await throttle.acquire(rule, "ann")
    await throttle.acquire(rule, "bob")
