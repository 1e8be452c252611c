"""EXPLAIN of the statements each filter and sort of a task list sends, on PostgreSQL.

    python -m bench.task_plans --projects-url postgresql://postgres@127.0.0.1/pc_projects \\
        --user <user id> --project <project id> [--analyze]

prints, for every read of `READS`, the plan of each statement the service ran for its first
page (a page reads one index range per segment of its sort: see projects.listing). The
tests (tests/integration/test_task_list_plans.py) assert on the same plans; `bench.run`
reports the plans of its own reads through the same `bench.plans`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from bench.plans import Reads, Services, statement_plans
from projectconnect.projects.listing import TaskQuery

# A read's name → the query string of `GET /projects/{id}/tasks` it stands for.
READS: dict[str, dict[str, Any]] = {
    "created (default)": {},
    "updated": {"sort": "updated"},
    "due date": {"sort": "due_date"},
    "due date, descending": {"sort": "due_date", "order": "desc"},
    "priority": {"sort": "priority"},
    "board column": {"sort": "position", "status": ["todo"]},
    "board, every column": {"sort": "position"},
    "status filter": {"status": ["in_progress"]},
    "priority filter, by due date": {"priority": ["urgent"], "sort": "due_date"},
    "assignee me": {"assignee": ["me"]},
    "nobody assigned, by priority": {"assignee": ["none"], "sort": "priority"},
    "label": {"label": [str(uuid.UUID(int=1))]},
    "due before, by due date": {"due_before": dt.date(2027, 2, 1), "sort": "due_date"},
    "overdue, by due date": {"overdue": True, "sort": "due_date"},
    "text": {"q": "task 12"},
}


async def task_list_plans(
    projects_url: str,
    user_id: uuid.UUID,
    project_id: uuid.UUID,
    *,
    analyze: bool = False,
    limit: int = 20,
) -> dict[str, list[str]]:
    """Each read of `READS`: the plan of each statement on `tasks` its first page ran."""

    def reads(s: Services) -> Reads:
        def first_page(params: dict[str, Any]) -> Callable[[], Awaitable[object]]:
            query = TaskQuery.parse(user_id, today=dt.date(2027, 1, 15), **params)
            return lambda: s.projects.list_tasks(user_id, str(project_id), limit, None, query)

        return {name: first_page(params) for name, params in READS.items()}

    return await statement_plans(
        projects_url,
        reads,
        options="ANALYZE, BUFFERS, COSTS OFF" if analyze else "COSTS OFF",
        keep=lambda statement: re.search(r"\bFROM tasks\b", statement) is not None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects-url", required=True)
    parser.add_argument("--user", required=True, type=uuid.UUID)
    parser.add_argument("--project", required=True, type=uuid.UUID)
    parser.add_argument("--analyze", action="store_true")
    args = parser.parse_args()
    plans = asyncio.run(
        task_list_plans(args.projects_url, args.user, args.project, analyze=args.analyze)
    )
    for name, texts in plans.items():
        print(f"#### {name}\n")
        for text in texts:
            print(f"```\n{text}\n```\n")


if __name__ == "__main__":
    main()
