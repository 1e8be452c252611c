"""A job that one process runs every so often, for as long as it runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


async def every(interval: float, job: Callable[[], Awaitable[object]], *, name: str) -> None:
    """Run `job` now and every `interval` seconds after, until cancelled; a failure is
    logged and waits for the next turn (the database may be away)."""
    while True:
        try:
            await job()
        except Exception:
            logger.exception("%s failed", name)
        await asyncio.sleep(interval)
