"""A relay stops when it is told to, and only then: not at a wake-up, not at a database error.

The embedded mode stops its relay on shutdown (Ctrl-C of `projectconnect dev`, the end of
every test app); a cancellation lost there keeps the process waiting out a whole poll.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from projectconnect.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from projectconnect.auth.models import OutboxEvent
from projectconnect.infra import migrations
from projectconnect.infra.db import Database
from projectconnect.infra.events import Envelope, user_deleted
from projectconnect.infra.outbox import Outbox, OutboxRelay
from tests.support.waiting import eventually


class Recorder:
    def __init__(self) -> None:
        self.published: list[Envelope] = []

    async def publish(self, envelope: Envelope) -> None:
        self.published.append(envelope)


@pytest.fixture
async def auth_db(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}"
    await migrations.upgrade(AUTH_MIGRATIONS, url)
    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()


async def test_a_relay_woken_as_it_is_cancelled_stops_at_once(auth_db: Database) -> None:
    outbox = Outbox(OutboxEvent)
    recorder = Recorder()
    relay = OutboxRelay(auth_db, outbox, recorder, idle_poll=60)
    task = asyncio.create_task(relay.run())
    try:
        async with auth_db.session() as session:
            await outbox.add(session, user_deleted(uuid.uuid4()))
            await session.commit()
        outbox.notify_committed()
        await eventually(lambda: len(recorder.published) == 1)
        # Idle again, waiting for the next wake-up (or its minute-long poll).
        await eventually(lambda: bool(relay._wake._waiters))

        relay._wake.set()  # a commit's wake-up and the shutdown, in the same instant
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=10)
        assert task in done, "the relay went on after it was cancelled"
        assert task.cancelled()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_database_error_between_batches_does_not_end_the_relay(
    auth_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = Outbox(OutboxEvent)
    recorder = Recorder()
    relay = OutboxRelay(auth_db, outbox, recorder, idle_poll=60, max_backoff=0.2)
    calls = failures = 0
    observe = relay.observe_backlog

    async def observe_once_failing() -> None:
        # Every sampling of the backlog is a query that a dropped connection can fail.
        nonlocal calls, failures
        calls += 1
        if calls == 2:
            failures += 1
            raise ConnectionResetError("connection was closed in the middle of operation")
        await observe()

    monkeypatch.setattr(relay, "observe_backlog", observe_once_failing)
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: failures == 1)
        async with auth_db.session() as session:
            await outbox.add(session, user_deleted(uuid.uuid4()))
            await session.commit()
        outbox.notify_committed()
        await eventually(lambda: len(recorder.published) == 1 or task.done())
        assert not task.done(), "the relay died of a passing database error"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
