"""bench.statement measures every layer on a database of its own, and leaves none behind."""

from __future__ import annotations

import os

import asyncpg

from bench.run import ADMIN_URL
from bench.statement import measure
from tests.support.services import ThrowawayPostgres


async def test_every_layer_is_measured_against_the_floor(postgres: ThrowawayPostgres) -> None:
    rows = await measure(statements=20, rounds=1)
    assert [row["layer"] for row in rows] == [
        "asyncpg",
        "Core, one connection",
        "Core, a checkout each",
        "Core, a checkout each, plain engine",
        "Core, in reading()",
        "ORM, reading()",
        "ORM, session()",
        "ORM, session(), pre-ping",
    ]
    assert rows[0]["of_floor"] == 1.0
    assert all(isinstance(row["cpu_us"], int) and row["cpu_us"] > 0 for row in rows)
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        left = await admin.fetchval(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            f"pcbench_statement_{os.getpid()}",
        )
    finally:
        await admin.close()
    assert left == 0
