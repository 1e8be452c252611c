"""The benchmark seeder fills real databases consistently (at a small size)."""

from __future__ import annotations

import asyncpg

from bench.seed import PASSWORD, Sizes, _user_id, long_tail, seed
from projectconnect.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from projectconnect.auth.passwords import PasswordHasher
from projectconnect.infra import migrations
from projectconnect.infra.cache import CacheBackend
from projectconnect.infra.db import Database
from projectconnect.infra.feed import MemoryFeed
from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS
from projectconnect.projects.cache import ReadCache
from projectconnect.projects.live import Publisher
from projectconnect.projects.notifications import DueReminders
from projectconnect.projects.writes import Writes
from tests.support.services import ThrowawayPostgres


async def _reminders_made(url: str) -> int:
    db = Database(url, name="seed-test", pool_size=1)
    try:
        cache = ReadCache(CacheBackend(None).named("projects"), ttl=60)
        return await DueReminders(Writes(db, cache, Publisher(MemoryFeed()))).remind_once()
    finally:
        await db.dispose()


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
        sizes = Sizes(users=50, projects=400, tasks=3000, heavy_owner=100, teams=6, heavy_teams=3)
        await seed(plain[0], plain[1], sizes)
        auth = await asyncpg.connect(plain[0])
        projects = await asyncpg.connect(plain[1])
        try:
            assert await auth.fetchval("SELECT count(*) FROM users") == 50
            assert await projects.fetchval("SELECT count(*) FROM projects") == 400
            assert await projects.fetchval("SELECT count(*) FROM tasks") == 3000
            drift = await projects.fetchval(
                """SELECT count(*) FROM projects p WHERE task_count <> (SELECT count(*)
                   FROM tasks t WHERE t.project_id = p.id AND t.status <> 'cancelled')
                   OR done_count <> (SELECT count(*)
                   FROM tasks t WHERE t.project_id = p.id AND t.done)"""
            )
            assert drift == 0
            heaviest = await projects.fetchval(
                "SELECT max(n) FROM (SELECT count(*) AS n FROM projects GROUP BY workspace_id) s"
            )
            assert heaviest == 100
            user0 = _user_id(0)
            assert (
                await projects.fetchval(
                    "SELECT count(*) FROM projects WHERE workspace_id = $1", user0
                )
                == 100
            )
            # Every user's personal workspace has their id, and them as its only owner.
            personal = await projects.fetch(
                """SELECT w.id, w.created_by, w.personal_of, array_agg(m.user_id) AS members,
                          array_agg(m.role) AS roles
                   FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
                   WHERE w.personal_of IS NOT NULL GROUP BY w.id"""
            )
            assert len(personal) == 50
            assert all(
                r["id"] == r["created_by"] == r["personal_of"]
                and r["members"] == [r["id"]]
                and r["roles"] == ["owner"]
                for r in personal
            )
            assert await projects.fetchval("SELECT count(*) FROM people") == 50
            # Teams: 5 to 50 members, one owner each, and a share of the projects.
            team_sizes = await projects.fetch(
                """SELECT count(*) AS members, count(*) FILTER (WHERE m.role = 'owner') AS owners
                   FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
                   WHERE w.personal_of IS NULL GROUP BY w.id"""
            )
            assert len(team_sizes) == 6
            assert all(5 <= r["members"] <= 50 and r["owners"] == 1 for r in team_sizes)
            in_teams = await projects.fetchval(
                """SELECT count(*) FROM projects p JOIN workspaces w ON w.id = p.workspace_id
                   WHERE w.personal_of IS NULL"""
            )
            assert in_teams == round(300 * 0.3)
            # Whoever created a project may create one there; tasks are by the same person.
            creators_at_fault = await projects.fetchval(
                """SELECT count(*) FROM projects p WHERE NOT EXISTS (SELECT 1 FROM memberships m
                   WHERE m.workspace_id = p.workspace_id AND m.user_id = p.created_by
                   AND m.role <> 'viewer')"""
            )
            assert creators_at_fault == 0
            # The heavy owner owns their personal workspace and the first team, and is a
            # member of two more.
            roles = await projects.fetch(
                "SELECT role FROM memberships WHERE user_id = $1 ORDER BY role", user0
            )
            assert [r["role"] for r in roles] == ["member", "member", "owner", "owner"]
            hash_ = await auth.fetchval("SELECT password_hash FROM users LIMIT 1")
            assert await PasswordHasher().verify(PASSWORD, hash_)
            # The due reminders are given already, as a running service leaves them: the
            # first service started on the rows has none to make.
            assert await projects.fetchval("SELECT count(*) FROM notifications") > 0
            assert await _reminders_made(projects_url) == 0
        finally:
            await auth.close()
            await projects.close()
    finally:
        await pg.drop_all()
