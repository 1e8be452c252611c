"""What one indexed statement costs the service's process, layer by layer, by hand:

    python -m bench.statement [--statements 3000] [--rounds 3] [--json OUT]

A PostgreSQL database of its own (dropped afterwards) holds one project in a workspace
with one member, and the statement every project-scoped request runs (the project with the
caller's role) is run `--statements` times in a row on each layer, the layers taking turns
within each round:

- `asyncpg`: the same SQL as a prepared statement on one connection: the floor;
- `Core, one connection`: SQLAlchemy Core (the tables' columns, no ORM entity), built
  once, on one connection held in autocommit;
- `Core, a checkout each`: the same, checking a connection out of the service's pool
  (autocommit, its metrics and checkout listener) for each statement;
- `Core, a checkout each, plain engine`: the same from an engine created in autocommit
  with none of the service's listeners (nothing set and reset per checkout);
- `Core, in reading()`: the same on a reading session's connection (the session's
  set-up and close on top);
- `ORM, reading()`: `Access.project` in a reading session per statement, as the
  service's reads run;
- `ORM, session()`: a transaction per statement (BEGIN, the statement, ROLLBACK);
- `ORM, session(), pre-ping`: the same on an engine pinging each checkout (three round
  trips more), as every read ran before reads took `Database.reading()`.

Each line gives the process's CPU and the wall time per statement (medians of the rounds)
and the CPU as a multiple of the floor's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.live_client import own_cpu_seconds
from bench.run import ADMIN_URL
from projectconnect.infra import migrations
from projectconnect.infra.db import Database, session_factory
from projectconnect.projects.access import Access, Action
from projectconnect.projects.app import MIGRATIONS
from projectconnect.projects.models import Membership, Project

SQL = (
    "SELECT p.*, m.role FROM projects p JOIN memberships m ON m.workspace_id = p.workspace_id"
    " WHERE m.user_id = $1 AND p.id = $2 AND p.deleted_at IS NULL"
)


async def _seed(url: str, user_id: uuid.UUID, project_id: uuid.UUID) -> None:
    connection = await asyncpg.connect(url)
    try:
        workspace = uuid.uuid4()
        await connection.execute(
            "INSERT INTO workspaces (id, name, created_by, created_at)"
            " VALUES ($1, 'Bench', $2, now())",
            workspace,
            user_id,
        )
        await connection.execute(
            "INSERT INTO memberships (workspace_id, user_id, role, joined_at)"
            " VALUES ($1, $2, 'owner', now())",
            workspace,
            user_id,
        )
        await connection.execute(
            "INSERT INTO projects (id, workspace_id, created_by, name, task_count, done_count,"
            " created_at, updated_at) VALUES ($1, $2, $3, 'Measured', 0, 0, now(), now())",
            project_id,
            workspace,
            user_id,
        )
    finally:
        await connection.close()


async def measure(statements: int, rounds: int) -> list[dict[str, object]]:
    name = f"pcbench_statement_{os.getpid()}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    raw_url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    url = raw_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        await migrations.upgrade(MIGRATIONS, url)
        user_id, project_id = uuid.uuid4(), uuid.uuid4()
        await _seed(raw_url, user_id, project_id)
        return await _layers(url, raw_url, user_id, project_id, statements, rounds)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _layers(
    url: str,
    raw_url: str,
    user_id: uuid.UUID,
    project_id: uuid.UUID,
    statements: int,
    rounds: int,
) -> list[dict[str, object]]:
    db = Database(url, name="bench_statement", pool_size=2)
    pinging = create_async_engine(url, pool_size=2, pool_pre_ping=True)
    pinged_sessions = session_factory(pinging)
    raw = await asyncpg.connect(raw_url)
    autocommit = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    plain = create_async_engine(url, pool_size=2, isolation_level="AUTOCOMMIT")
    held = await autocommit.connect()
    statement = (
        select(Project.__table__, Membership.role)
        .join(Membership, Membership.workspace_id == Project.workspace_id)
        .where(
            Membership.user_id == bindparam("user_id"),
            Project.id == bindparam("project_id"),
            Project.deleted_at.is_(None),
        )
    )
    values = {"user_id": user_id, "project_id": project_id}
    named = str(project_id)
    prepared = await raw.prepare(SQL)

    async def floor() -> None:
        assert await prepared.fetchrow(user_id, project_id) is not None

    async def core() -> None:
        assert (await held.execute(statement, values)).first() is not None

    async def reading() -> None:
        async with db.reading() as session:
            await Access(session, user_id).project(named, Action.READ)

    def checkout_each(engine: AsyncEngine) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            async with engine.connect() as connection:
                assert (await connection.execute(statement, values)).first() is not None

        return run

    async def reading_core() -> None:
        async with db.reading() as session:
            connection = await session.connection()
            assert (await connection.execute(statement, values)).first() is not None

    async def transaction() -> None:
        async with db.session() as session:
            await Access(session, user_id).project(named, Action.READ)

    async def pinged() -> None:
        async with pinged_sessions() as session:
            await Access(session, user_id).project(named, Action.READ)

    layers: dict[str, Callable[[], Awaitable[None]]] = {
        "asyncpg": floor,
        "Core, one connection": core,
        "Core, a checkout each": checkout_each(autocommit),
        "Core, a checkout each, plain engine": checkout_each(plain),
        "Core, in reading()": reading_core,
        "ORM, reading()": reading,
        "ORM, session()": transaction,
        "ORM, session(), pre-ping": pinged,
    }
    samples: dict[str, list[tuple[float, float]]] = {layer: [] for layer in layers}
    try:
        for run in layers.values():  # warm up: statement caches, prepared statements
            for _ in range(200):
                await run()
        for _ in range(rounds):
            for layer, run in layers.items():
                cpu, wall = own_cpu_seconds(), time.perf_counter()
                for _ in range(statements):
                    await run()
                cpu_spent = own_cpu_seconds() - cpu
                wall_spent = time.perf_counter() - wall
                samples[layer].append((cpu_spent / statements, wall_spent / statements))
    finally:
        await held.close()
        await raw.close()
        await db.dispose()
        await pinging.dispose()
        await plain.dispose()
    floor_cpu = statistics.median(cpu for cpu, _ in samples["asyncpg"])
    return [
        {
            "layer": layer,
            "cpu_us": round(1e6 * statistics.median(cpu for cpu, _ in runs)),
            "wall_us": round(1e6 * statistics.median(wall for _, wall in runs)),
            "of_floor": round(statistics.median(cpu for cpu, _ in runs) / floor_cpu, 2),
        }
        for layer, runs in samples.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()
    rows = asyncio.run(measure(args.statements, args.rounds))
    print(f"# {' '.join(sys.argv)}")
    print(f"{'layer':<36} {'CPU µs/stmt':>12} {'wall µs/stmt':>13} {'CPU / floor':>12}")
    for row in rows:
        print(f"{row['layer']:<36} {row['cpu_us']:>12} {row['wall_us']:>13} {row['of_floor']:>12}")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
