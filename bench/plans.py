"""The plans of the statements a read sends: run the use case on a database with the read
cache off, capture every statement it sends, and EXPLAIN each one.

One home for `bench.run`'s report (ANALYZE, BUFFERS) and `bench.task_plans` (the task
list's filters and sorts, also asserted on by tests/integration/test_task_list_plans.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event

from projectconnect.infra.cache import MemoryCache
from projectconnect.infra.config import normalize_database_url
from projectconnect.infra.db import Database
from projectconnect.infra.feed import MemoryFeed
from projectconnect.projects.cache import ReadCache
from projectconnect.projects.live import Publisher
from projectconnect.projects.my_tasks import MyTasksService
from projectconnect.projects.search import SearchService
from projectconnect.projects.service import ProjectService
from projectconnect.projects.workspaces import WorkspaceService
from projectconnect.projects.writes import Writes


@dataclasses.dataclass(frozen=True)
class Services:
    """The projects service's use cases on one database, the read cache off."""

    projects: ProjectService
    workspaces: WorkspaceService
    search: SearchService
    my_tasks: MyTasksService


Reads = dict[str, Callable[[], Awaitable[object]]]


async def statement_plans(
    projects_url: str,
    reads_of: Callable[[Services], Reads],
    *,
    options: str = "ANALYZE, BUFFERS, COSTS OFF",
    keep: Callable[[str], bool] = lambda _statement: True,
) -> dict[str, list[str]]:
    """Each read's statements that `keep` admits, in the order sent: `EXPLAIN (options)`."""
    db = Database(normalize_database_url(projects_url), name="bench-plans", pool_size=1)
    writes = Writes(db, ReadCache(MemoryCache(), ttl=1, enabled=False), Publisher(MemoryFeed()))
    workspaces = WorkspaceService(db, writes)
    services = Services(
        ProjectService(db, writes, workspaces), workspaces, SearchService(db), MyTasksService(db)
    )
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    plans: dict[str, list[str]] = {}
    try:
        for name, read in reads_of(services).items():
            captured.clear()
            await read()
            statements = [(s, p) for s, p in captured if keep(s)]
            texts = []
            async with db.engine.connect() as connection:
                for statement, parameters in statements:
                    result = await connection.exec_driver_sql(
                        f"EXPLAIN ({options}) {statement}", parameters
                    )
                    texts.append("\n".join(row[0] for row in result))
            plans[name] = texts
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
        await db.dispose()
    return plans
