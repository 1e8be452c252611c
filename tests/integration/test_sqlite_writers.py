"""SQLite has one writer at a time: the writers of one process take turns in order rather
than each polling the lock until its busy timeout runs out (which, with many waiting, let
one of them fail with "database is locked", a 500)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy import text

from projectconnect.infra.db import Database
from tests.support.waiting import eventually

# Far shorter than the 5 s a service connection waits: the wait below outlasts it.
SHORT_BUSY_TIMEOUT_MS = 50


async def test_a_writer_waits_its_turn_beyond_the_busy_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}", name="turns")
    try:
        async with db.session() as session:
            await session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
            await session.execute(text("INSERT INTO counter VALUES (0)"))
            await session.commit()

        holding = asyncio.Event()
        second_started = 0.0

        def second_waited_long() -> bool:
            waited = time.monotonic() - second_started
            return second_started > 0 and waited > 4 * SHORT_BUSY_TIMEOUT_MS / 1000

        async def first() -> None:
            async with db.writer_turn(), db.session() as session:
                await session.execute(text("UPDATE counter SET n = n + 1"))
                holding.set()
                # Hold the write lock well past the second writer's busy timeout.
                await eventually(second_waited_long, message="the second writer never started")
                await session.commit()

        async def second() -> None:
            nonlocal second_started
            await holding.wait()
            second_started = time.monotonic()
            async with db.writer_turn(), db.session() as session:
                await session.execute(text(f"PRAGMA busy_timeout={SHORT_BUSY_TIMEOUT_MS}"))
                await session.execute(text("UPDATE counter SET n = n + 1"))
                await session.commit()

        await asyncio.wait_for(asyncio.gather(first(), second()), timeout=30)
        async with db.session() as session:
            assert (await session.execute(text("SELECT n FROM counter"))).scalar_one() == 2
    finally:
        await db.dispose()


async def test_postgresql_writers_are_not_queued(tmp_path: Path) -> None:
    db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none", name="pg")
    try:
        async with db.writer_turn(), db.writer_turn():  # would deadlock if it were a lock
            pass
    finally:
        await db.dispose()
