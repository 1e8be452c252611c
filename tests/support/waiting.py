"""The one way tests wait: for a condition, until a deadline, never for a fixed time.

The machines are shared and slow down without warning, so deadlines are generous and a
test that meets its condition early moves on at once.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

DEFAULT_WITHIN = 20.0
POLL_INTERVAL = 0.05


async def until(
    check: Callable[[], Awaitable[bool] | bool],
    within: float = DEFAULT_WITHIN,
    *,
    interval: float = POLL_INTERVAL,
) -> float | None:
    """Wait until `check()` is true: the monotonic time it first was, or None at the
    deadline. For callers that measure or report rather than fail (the chaos harness)."""
    deadline = time.monotonic() + within
    while True:
        outcome = check()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return time.monotonic()
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(interval)


async def eventually(
    check: Callable[[], Awaitable[bool] | bool],
    within: float = DEFAULT_WITHIN,
    *,
    message: str = "condition not met in time",
) -> None:
    """Wait until `check()` is true, failing the test after `within` seconds."""
    met = await until(check, within)
    assert met is not None, f"{message} (within {within} s)"


def eventually_sync(
    check: Callable[[], bool],
    within: float = DEFAULT_WITHIN,
    *,
    message: str = "condition not met in time",
) -> None:
    """`eventually` for synchronous tests."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"{message} (within {within} s)"
        time.sleep(POLL_INTERVAL)
