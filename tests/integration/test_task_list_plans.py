"""Every filter and sort of a task list reads through an index on PostgreSQL: the plans of
the statements a first page runs, on a database with enough rows for the planner to care
(100 000 tasks in 40 projects), name the index each sort was given and never scan the
whole table."""

from __future__ import annotations

import re
import uuid

import asyncpg
import pytest

from bench.plans import Reads, Services, statement_plans
from bench.task_plans import READS, task_list_plans
from projectconnect.infra import migrations
from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS
from tests.support.services import ThrowawayPostgres

pytestmark = pytest.mark.postgres

USER = uuid.UUID(int=7)
WORKSPACE = uuid.UUID(int=8)
LABEL = uuid.UUID(int=1)  # the label `READS` filters on
PROJECTS = 40
TASKS_EACH = 2_500

# The index the first statement of a read walks, for the sorts the indexes were made for.
EXPECTED_INDEX = {
    "created (default)": "ix_tasks_project_created",
    "updated": "ix_tasks_project_updated",
    "due date": "ix_tasks_project_due",
    "due date, descending": "ix_tasks_project_due",
    "priority": "ix_tasks_project_priority_created",
    "board column": "ix_tasks_project_status_position",
    "board, every column": "ix_tasks_project_status_position",
    "status filter": "ix_tasks_project_",
    "due before, by due date": "ix_tasks_project_due",
    "overdue, by due date": "ix_tasks_project_due",
}


async def seed(url: str) -> uuid.UUID:
    """A workspace of one owner with 40 projects of 2 500 tasks each; the first project's id."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(
            "INSERT INTO workspaces (id, name, created_by, created_at) VALUES ($1, 'W', $2, now())",
            WORKSPACE,
            USER,
        )
        await connection.execute(
            "INSERT INTO memberships (workspace_id, user_id, role, joined_at) "
            "VALUES ($1, $2, 'owner', now())",
            WORKSPACE,
            USER,
        )
        await connection.execute(
            "INSERT INTO labels (id, workspace_id, name, colour, created_at) "
            "VALUES ($1, $2, 'L', '#000000', now())",
            LABEL,
            WORKSPACE,
        )
        await connection.execute(
            """
            INSERT INTO projects (id, workspace_id, created_by, name, task_count, done_count,
                                  created_at, updated_at)
            SELECT gen_random_uuid(), $1, $2, 'Project ' || p, $3, 0,
                   now() - p * interval '1 hour', now() - p * interval '1 hour'
            FROM generate_series(1, $4) AS p
            """,
            WORKSPACE,
            USER,
            TASKS_EACH,
            PROJECTS,
        )
        await connection.execute(
            """
            INSERT INTO tasks (id, project_id, workspace_id, created_by, title, done, status,
                               priority, due_date, position, version, comment_count,
                               created_at, updated_at)
            SELECT gen_random_uuid(), p.id, p.workspace_id, $1, 'Task ' || n,
                   s.status = 'done', s.status,
                   (ARRAY['none', 'low', 'medium', 'high', 'urgent'])[n % 5 + 1],
                   CASE WHEN n % 3 = 0 THEN NULL
                        ELSE date '2027-01-01' + (n % 90) END,
                   'a' || lpad(n::text, 8, '0'), 1, 0,
                   now() - n * interval '1 minute', now() - ((n * 7919) % 100000) * interval '1 s'
            FROM projects p, generate_series(1, $2) AS n,
                 LATERAL (SELECT (ARRAY['backlog', 'todo', 'in_progress', 'done', 'cancelled'])
                                 [n % 5 + 1] AS status) s
            """,
            USER,
            TASKS_EACH,
        )
        await connection.execute(
            "INSERT INTO task_assignees (task_id, user_id) "
            "SELECT id, $1 FROM tasks WHERE title LIKE '%7'",
            USER,
        )
        await connection.execute(
            "INSERT INTO task_labels (task_id, label_id) "
            "SELECT id, $1 FROM tasks WHERE title LIKE '%3'",
            LABEL,
        )
        await connection.execute("ANALYZE")
        project: uuid.UUID = await connection.fetchval(
            "SELECT id FROM projects ORDER BY created_at DESC LIMIT 1"
        )
    finally:
        await connection.close()
    return project


async def test_every_filter_and_sort_reads_through_an_index(postgres: ThrowawayPostgres) -> None:
    url = await postgres.create(f"plans_{uuid.uuid4().hex[:8]}")
    await migrations.upgrade(PROJECTS_MIGRATIONS, url)
    project = await seed(url)

    plans = await task_list_plans(url, USER, project)

    assert set(plans) == set(READS)
    for name, texts in plans.items():
        assert texts, f"{name}: no statement on tasks"
        for text in texts:
            assert "Seq Scan on tasks" not in text, f"{name}:\n{text}"
            assert "Index" in text, f"{name}:\n{text}"
        if name in EXPECTED_INDEX:
            assert EXPECTED_INDEX[name] in texts[0], f"{name}:\n{texts[0]}"
    # The main sorts read their index in order: nothing sorts the rows again (a board
    # column orders ties of position by id as it reads: an incremental sort at most).
    for name in ("created (default)", "updated", "due date", "priority", "board column"):
        assert not full_sorts(plans[name][0]), f"{name}:\n{plans[name][0]}"
    print_plans(plans)


def under_the_limit(plan: str) -> str:
    """The part of a plan below its first Limit node."""
    lines = plan.splitlines()
    start = next(i for i, line in enumerate(lines) if "Limit" in line)
    indent = len(lines[start]) - len(lines[start].lstrip())
    below = []
    for line in lines[start + 1 :]:
        if len(line) - len(line.lstrip()) <= indent:
            break
        below.append(line)
    return "\n".join(below)


def full_sorts(plan: str) -> list[str]:
    return [line for line in plan.splitlines() if re.fullmatch(r"\s*(->\s+)?Sort", line)]


def print_plans(plans: dict[str, list[str]]) -> None:
    """Shown with `pytest -s`: what the bench report would show."""
    for name, texts in plans.items():
        print(f"\n#### {name}")
        for text in texts:
            print(text)


async def test_search_reads_only_the_matches_inside_the_callers_workspaces(
    postgres: ThrowawayPostgres,
) -> None:
    """A word that another workspace holds 50 000 times and the caller's workspace 80 times:
    the search's GIN index leads with the workspace, so only the caller's matches are read;
    and a prefix never goes through the index, which would read every workspace's matches."""
    url = await postgres.create(f"plans_{uuid.uuid4().hex[:8]}")
    await migrations.upgrade(PROJECTS_MIGRATIONS, url)
    await seed(url)
    others = uuid.uuid4()
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        updated = await connection.execute(
            "UPDATE tasks SET description = 'the quartzite sample' WHERE title LIKE '%777'"
        )
        mine = int(updated.split()[-1])
        await connection.execute(
            "INSERT INTO workspaces (id, name, created_by, created_at) VALUES ($1, 'O', $1, now())",
            others,
        )
        await connection.execute(
            """
            WITH project AS (
                INSERT INTO projects (id, workspace_id, created_by, name, task_count,
                                      done_count, created_at, updated_at)
                VALUES (gen_random_uuid(), $1, $1, 'Theirs', 50000, 0, now(), now())
                RETURNING id
            )
            INSERT INTO tasks (id, project_id, workspace_id, created_by, title, description,
                               done, status, priority, position, version, comment_count,
                               created_at, updated_at)
            SELECT gen_random_uuid(), project.id, $1, $1, 'Theirs ' || n, 'quartzite',
                   false, 'todo', 'none', 'a' || lpad(n::text, 8, '0'), 1, 0, now(), now()
            FROM project, generate_series(1, 50000) AS n
            """,
            others,
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()

    def reads(s: Services) -> Reads:
        return {
            # A whole word (a space after it): found through the index.
            "word": lambda: s.search.search(USER, "quartzite ", 20, kind="task"),
            # Being typed: a prefix, checked on the caller's own tasks.
            "prefix": lambda: s.search.search(USER, "sample quartz", 20, kind="task"),
        }

    plans = await statement_plans(url, reads, keep=lambda statement: "ts_rank" in statement)
    (word,) = plans["word"]
    scans = re.findall(r"Bitmap Index Scan on (\w+) \(actual time=\S+ rows=(\d+)", word)
    assert {name for name, _ in scans} == {"ix_tasks_workspace_search"}, word
    assert 0 < mine == sum(int(rows) for _, rows in scans), word
    # A task's project is looked up for the page's hits only, never under the ranking.
    assert not re.search(r"on projects \(", under_the_limit(word)), word
    (prefix,) = plans["prefix"]
    conditions = re.findall(r"Index Cond: (.*)", prefix)
    assert any("'sample'" in c for c in conditions), prefix
    assert not any("quartz" in c for c in conditions), prefix
    scans = re.findall(r"Bitmap Index Scan on (\w+) \(actual time=\S+ rows=(\d+)", prefix)
    assert 0 < sum(int(rows) for _, rows in scans) <= mine, prefix
