"""The benchmark seeder fills real databases consistently (at a small size)."""

from __future__ import annotations

import asyncpg

from bench.seed import PASSWORD, Sizes, long_tail, seed
from projectconnect.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from projectconnect.auth.passwords import PasswordHasher
from projectconnect.infra import migrations
from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS
from tests.support.services import ThrowawayPostgres


def test_the_long_tail_adds_up_and_has_a_tail() -> None:
    import random

    counts = long_tail(random.Random(3), 10_000, 1_000)
    assert sum(counts) == 10_000
    assert max(counts) > 10 * (10_000 / 1_000)


async def test_seeding_fills_both_databases_with_consistent_counts() -> None:
    pg = ThrowawayPostgres()
    await pg.check()
    try:
        auth_url = await pg.create("bench_auth")
        projects_url = await pg.create("bench_projects")
        await migrations.upgrade(AUTH_MIGRATIONS, auth_url)
        await migrations.upgrade(PROJECTS_MIGRATIONS, projects_url)
        plain = [u.replace("+asyncpg", "") for u in (auth_url, projects_url)]
        await seed(plain[0], plain[1], Sizes(users=50, projects=400, tasks=3000, heavy_owner=100))
        auth = await asyncpg.connect(plain[0])
        projects = await asyncpg.connect(plain[1])
        try:
            assert await auth.fetchval("SELECT count(*) FROM users") == 50
            assert await projects.fetchval("SELECT count(*) FROM projects") == 400
            assert await projects.fetchval("SELECT count(*) FROM tasks") == 3000
            drift = await projects.fetchval(
                """SELECT count(*) FROM projects p WHERE task_count <> (SELECT count(*)
                   FROM tasks t WHERE t.project_id = p.id) OR done_count <> (SELECT count(*)
                   FROM tasks t WHERE t.project_id = p.id AND t.done)"""
            )
            assert drift == 0
            heaviest = await projects.fetchval(
                "SELECT max(n) FROM (SELECT count(*) AS n FROM projects GROUP BY owner_id) s"
            )
            assert heaviest == 100
            hash_ = await auth.fetchval("SELECT password_hash FROM users LIMIT 1")
            assert await PasswordHasher().verify(PASSWORD, hash_)
        finally:
            await auth.close()
            await projects.close()
    finally:
        await pg.drop_all()
