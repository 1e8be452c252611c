"""The two kinds of session a service's database hands out, on the real PostgreSQL: a
reading session runs each SELECT on its own (no BEGIN and ROLLBACK around it) and writes
nothing; `session()` holds one transaction; and a pooled connection the server closed is
replaced at the next checkout without a ping on every checkout."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.infra.db import Database
from projectconnect.projects.models import Label
from tests.support.services import ThrowawayPostgres
from tests.support.waiting import eventually


@pytest.fixture
async def db(postgres: ThrowawayPostgres) -> AsyncIterator[Database]:
    database = Database(
        await postgres.create(f"sessions_{secrets.token_hex(3)}"), name="sessions", pool_size=1
    )
    try:
        yield database
    finally:
        await database.dispose()


async def _transaction_starts(session: AsyncSession) -> set[object]:
    started = set()
    for _ in range(2):
        started.add(await session.scalar(select(func.transaction_timestamp())))
    return started


async def test_a_reading_session_runs_each_statement_in_its_own_transaction(
    db: Database,
) -> None:
    async with db.reading() as session:
        assert len(await _transaction_starts(session)) == 2
    async with db.session() as session:
        assert len(await _transaction_starts(session)) == 1
    # The pool's one connection went back to holding transactions.
    async with db.engine.connect() as connection:
        level = await connection.get_isolation_level()
        assert level.lower() == "read committed"
        await connection.execute(text("create temporary table held (n int)"))
        await connection.rollback()
        assert not await connection.scalar(text("select to_regclass('pg_temp.held') is not null"))


async def test_a_reading_session_refuses_to_write(db: Database) -> None:
    async with db.reading() as session:
        with pytest.raises(RuntimeError, match="SELECT"):
            await session.execute(text("CREATE TABLE written (n int)"))
    async with db.session() as session:
        assert await session.scalar(text("select to_regclass('written')")) is None

    async with db.reading() as session:
        session.add(Label())
        with pytest.raises(RuntimeError, match="does not write"):
            await session.flush()


async def test_a_connection_the_server_closed_is_replaced_at_the_next_checkout(
    db: Database, postgres: ThrowawayPostgres
) -> None:
    async with db.reading() as session:
        first = await session.scalar(select(func.pg_backend_pid()))
    admin = await asyncpg.connect(postgres.admin_url)
    try:
        assert await admin.fetchval("select pg_terminate_backend($1)", first)

        async def gone() -> bool:
            alive = await admin.fetchval(
                "select count(*) from pg_stat_activity where pid = $1", first
            )
            return bool(alive == 0)

        await eventually(gone, message="the terminated backend left")
    finally:
        await admin.close()
    # asyncpg notices the closed socket by itself once the loop runs its reader.
    async with db.reading() as session:
        second = await session.scalar(select(func.pg_backend_pid()))
    assert second != first
