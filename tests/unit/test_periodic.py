"""`infra.periodic.every`: a periodic job runs again after each interval, a failed turn
does not end it, and cancelling does."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from projectconnect.infra.periodic import every
from tests.support.waiting import eventually


async def test_a_failed_turn_is_logged_and_the_next_turn_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    turns: list[int] = []

    async def job() -> None:
        turns.append(len(turns))
        if len(turns) == 1:
            raise RuntimeError("the database is away")

    caplog.set_level(logging.ERROR, logger="projectconnect.infra.periodic")
    running = asyncio.create_task(every(0.01, job, name="the test job"))
    try:
        await eventually(lambda: len(turns) >= 3, message="the job stopped after its failure")
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert [r.getMessage() for r in caplog.records] == ["the test job failed"]
    assert running.cancelled()  # it runs until cancelled, and cancelling ends it
