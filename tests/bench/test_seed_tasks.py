"""The benchmark seed gives tasks the fields a board, filters, search and My tasks read."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bench import task_fields
from bench.seed import Sizes, _user_id, personal_workspace_id, seed, team_id
from projectconnect.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from projectconnect.infra import migrations
from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS
from tests.support.services import ThrowawayPostgres

SIZES = Sizes(
    users=60,
    projects=300,
    tasks=8000,
    heavy_owner=100,
    teams=6,
    heavy_teams=3,
    heavy_assigned=250,
    board_tasks=2000,
)
TODAY = dt.date(2027, 3, 10)
INDEXES = """SELECT tablename, indexname, indexdef FROM pg_indexes
             WHERE tablename IN ('tasks', 'task_assignees', 'task_labels') ORDER BY 2"""
# The index definitions of a freshly migrated database, before the seed.
MIGRATED: list[asyncpg.Record] = []


@pytest.fixture(scope="module")
async def seeded() -> AsyncIterator[asyncpg.Connection]:
    pg = ThrowawayPostgres()
    await pg.check()
    try:
        auth_url = await pg.create("bench_tasks_auth")
        projects_url = await pg.create("bench_tasks_projects")
        await migrations.upgrade(AUTH_MIGRATIONS, auth_url)
        await migrations.upgrade(PROJECTS_MIGRATIONS, projects_url)
        plain = [u.replace("+asyncpg", "") for u in (auth_url, projects_url)]
        connection = await asyncpg.connect(plain[1])
        MIGRATED[:] = await connection.fetch(INDEXES)
        await connection.close()
        await seed(plain[0], plain[1], SIZES, today=TODAY)
        connection = await asyncpg.connect(plain[1])
        try:
            yield connection
        finally:
            await connection.close()
    finally:
        await pg.drop_all()


async def test_statuses_spread_over_the_columns_and_counts_follow(
    seeded: asyncpg.Connection,
) -> None:
    shares = {
        r["status"]: r["n"] / SIZES.tasks
        for r in await seeded.fetch("SELECT status, count(*) AS n FROM tasks GROUP BY status")
    }
    assert set(shares) == {s for s, _ in task_fields.STATUSES}
    assert 0.30 < shares["done"] < 0.40
    assert shares["cancelled"] > 0
    # Done tasks (and only they) are done and completed, after they were made.
    assert (
        await seeded.fetchval(
            """SELECT count(*) FROM tasks WHERE done <> (status = 'done')
               OR (completed_at IS NOT NULL) <> (status = 'done')
               OR completed_at < created_at OR updated_at < created_at"""
        )
        == 0
    )
    # The stored counts: every task but the cancelled ones, and the done ones.
    drift = await seeded.fetchval(
        """SELECT count(*) FROM projects p LEFT JOIN (
               SELECT project_id, count(*) FILTER (WHERE status <> 'cancelled') AS counted,
                      count(*) FILTER (WHERE status = 'done') AS done
               FROM tasks GROUP BY project_id) t ON t.project_id = p.id
           WHERE (p.task_count, p.done_count)
                 IS DISTINCT FROM (coalesce(t.counted, 0), coalesce(t.done, 0))"""
    )
    assert drift == 0
    assert await seeded.fetchval("SELECT sum(task_count) FROM projects") == round(
        (1 - shares["cancelled"]) * SIZES.tasks
    )


async def test_every_column_is_ordered_by_distinct_positions(seeded: asyncpg.Connection) -> None:
    clashes = await seeded.fetchval(
        """SELECT count(*) FROM (SELECT project_id, status, position FROM tasks
           GROUP BY 1, 2, 3 HAVING count(*) > 1) s"""
    )
    assert clashes == 0
    # Within a column, positions follow the order the tasks were made in.
    out_of_order = await seeded.fetchval(
        """SELECT count(*) FROM (SELECT position, lag(position) OVER w AS before
           FROM tasks WINDOW w AS (PARTITION BY project_id, status ORDER BY created_at)) s
           WHERE position <= before"""
    )
    assert out_of_order == 0


async def test_priorities_and_due_dates_spread_around_the_day(
    seeded: asyncpg.Connection,
) -> None:
    priorities = await seeded.fetch("SELECT DISTINCT priority FROM tasks")
    assert {r["priority"] for r in priorities} == {p for p, _ in task_fields.PRIORITIES}
    row = await seeded.fetchrow(
        """SELECT count(*) FILTER (WHERE due_date IS NULL) AS undated,
                  count(*) FILTER (WHERE due_date < $1) AS past,
                  count(*) FILTER (WHERE due_date >= $1) AS ahead,
                  min(due_date) AS first, max(due_date) AS last FROM tasks""",
        TODAY,
    )
    assert row["undated"] > 0
    assert row["past"] > 0
    assert row["ahead"] > row["past"]
    low, high = task_fields.DUE_WINDOW
    assert row["first"] >= TODAY + dt.timedelta(days=low)
    assert row["last"] <= TODAY + dt.timedelta(days=high)


async def test_descriptions_are_searchable_with_common_and_rare_words(
    seeded: asyncpg.Connection,
) -> None:
    described = await seeded.fetchval("SELECT count(*) FROM tasks WHERE description IS NOT NULL")
    assert 0.5 < described / SIZES.tasks < 0.7

    async def matching(word: str) -> int:
        count: int = await seeded.fetchval(
            "SELECT count(*) FROM tasks WHERE search_vector @@ to_tsquery('simple', $1)", word
        )
        return count

    assert await matching(task_fields.COMMON_WORD) > 0.8 * described
    rare = await matching(task_fields.RARE_WORD)
    assert 0 < rare < 0.01 * described


async def test_assignees_and_labels_belong_to_the_task_s_workspace(
    seeded: asyncpg.Connection,
) -> None:
    elsewhere = await seeded.fetchval(
        """SELECT count(*) FROM tasks t JOIN projects p ON p.id = t.project_id
           WHERE t.workspace_id <> p.workspace_id"""
    )
    assert elsewhere == 0
    strangers = await seeded.fetchval(
        """SELECT count(*) FROM task_assignees a JOIN tasks t ON t.id = a.task_id
           JOIN projects p ON p.id = t.project_id
           WHERE NOT EXISTS (SELECT 1 FROM memberships m
                             WHERE m.workspace_id = p.workspace_id AND m.user_id = a.user_id)"""
    )
    assert strangers == 0
    foreign_labels = await seeded.fetchval(
        """SELECT count(*) FROM task_labels tl JOIN labels l ON l.id = tl.label_id
           JOIN tasks t ON t.id = tl.task_id JOIN projects p ON p.id = t.project_id
           WHERE l.workspace_id <> p.workspace_id"""
    )
    assert foreign_labels == 0
    assert await seeded.fetchval("SELECT count(*) FROM labels") == len(task_fields.LABELS) * (
        SIZES.users + SIZES.teams
    )
    assert await seeded.fetchval("SELECT count(*) FROM task_assignees") > SIZES.tasks / 3
    assert await seeded.fetchval("SELECT count(DISTINCT task_id) FROM task_labels") > 0


async def test_the_heavy_user_has_exactly_their_assignments_and_a_board(
    seeded: asyncpg.Connection,
) -> None:
    heavy = _user_id(0)
    assigned = await seeded.fetchval(
        "SELECT count(*) FROM task_assignees WHERE user_id = $1", heavy
    )
    assert assigned == SIZES.heavy_assigned
    # Spread over their workspaces, personal and shared.
    places = await seeded.fetch(
        """SELECT DISTINCT p.workspace_id FROM task_assignees a
           JOIN tasks t ON t.id = a.task_id JOIN projects p ON p.id = t.project_id
           WHERE a.user_id = $1""",
        heavy,
    )
    assert personal_workspace_id(0) in {r["workspace_id"] for r in places}
    assert len(places) > 1
    board = await seeded.fetch(
        """SELECT p.id, p.workspace_id FROM projects p
           WHERE (SELECT count(*) FROM tasks t WHERE t.project_id = p.id) = $1""",
        SIZES.board_tasks,
    )
    assert len(board) == 1
    assert board[0]["workspace_id"] == team_id(0)
    owner = await seeded.fetchval(
        "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2",
        team_id(0),
        heavy,
    )
    assert owner == "owner"
    columns = await seeded.fetch(
        "SELECT DISTINCT status FROM tasks WHERE project_id = $1", board[0]["id"]
    )
    assert len(columns) == len(task_fields.STATUSES)
    # The tasks add up with the board among them.
    assert await seeded.fetchval("SELECT count(*) FROM tasks") == SIZES.tasks
    assert await seeded.fetchval("SELECT count(*) FROM projects") == SIZES.projects


async def test_the_indexes_built_after_the_load_are_the_migrations(
    seeded: asyncpg.Connection,
) -> None:
    assert any(r["indexname"] == "ix_tasks_workspace_search" for r in MIGRATED)
    assert [tuple(r) for r in await seeded.fetch(INDEXES)] == [tuple(r) for r in MIGRATED]
    # And in use: the planner finds a rare word of one workspace through the GIN index.
    await seeded.execute("SET enable_seqscan = off")
    plan = "\n".join(
        r[0]
        for r in await seeded.fetch(
            "EXPLAIN SELECT id FROM tasks WHERE workspace_id = $1 "
            "AND search_vector @@ to_tsquery('simple', $2)",
            personal_workspace_id(0),
            task_fields.RARE_WORD,
        )
    )
    await seeded.execute("RESET enable_seqscan")
    assert "ix_tasks_workspace_search" in plan
