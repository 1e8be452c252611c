"""Fill the auth and projects PostgreSQL databases fast, with COPY, for the benchmarks.

    python -m bench.seed --auth-url postgresql://postgres@127.0.0.1/pc_auth \\
        --projects-url postgresql://postgres@127.0.0.1/pc_projects \\
        [--users 100000] [--projects 1000000] [--tasks 10000000] [--heavy-owner 1000000]

Projects are spread over users with a long tail (a few users own many, most own a few),
tasks over projects the same way, about a third of them done; each project's task and
done counts are written with it, as the service keeps them. `--heavy-owner N` gives
user 0 exactly N projects, for list pages at scale. Every user's password is
`bench-password`, hashed once. The databases must be migrated (`projectconnect migrate`).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import asyncpg

from projectconnect.auth.passwords import PasswordHasher

PASSWORD = "bench-password"  # noqa: S105 - the seeded accounts' known password
CHUNK = 50_000
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
USER_COLUMNS = (
    "id",
    "email",
    "email_key",
    "display_name",
    "password_hash",
    "created_at",
    "updated_at",
)
PROJECT_COLUMNS = (
    "id",
    "owner_id",
    "name",
    "description",
    "task_count",
    "done_count",
    "created_at",
    "updated_at",
)
TASK_COLUMNS = ("id", "project_id", "owner_id", "title", "done", "created_at", "updated_at")


@dataclass(frozen=True, slots=True)
class Sizes:
    users: int
    projects: int
    tasks: int
    heavy_owner: int = 0


def long_tail(rng: random.Random, total: int, buckets: int) -> list[int]:
    """`total` items over `buckets` with a Pareto-like spread; sums exactly to total."""
    if buckets == 0:
        return []
    weights = [rng.paretovariate(1.2) for _ in range(buckets)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in rng.sample(range(buckets), k=min(buckets, total - sum(counts))):
        counts[i] += 1
    return counts


def _moment(rng: random.Random) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=rng.uniform(0, 300 * 86400))


def users(sizes: Sizes, password_hash: str) -> Iterator[tuple[object, ...]]:
    for i in range(sizes.users):
        email = f"user{i}@bench.example"
        moment = EPOCH + dt.timedelta(seconds=i)
        yield (_user_id(i), email, email, f"User {i}", password_hash, moment, moment)


def _user_id(i: int) -> uuid.UUID:
    # Stable ids, so load scripts can address user i without a look-up.
    return uuid.UUID(int=(0xB0 << 120) | i)


def projects_and_tasks(
    sizes: Sizes, rng: random.Random
) -> Iterator[tuple[tuple[object, ...], list[tuple[object, ...]]]]:
    """Each project row with its task rows."""
    heavy = min(sizes.heavy_owner, sizes.projects)
    per_user = [heavy, *long_tail(rng, sizes.projects - heavy, sizes.users - 1)]
    tasks_per_project = long_tail(rng, sizes.tasks, sizes.projects)
    index = 0
    for user, count in enumerate(per_user):
        owner = _user_id(user)
        for _ in range(count):
            project_id, created = uuid.uuid4(), _moment(rng)
            tasks: list[tuple[object, ...]] = []
            done_count = 0
            for t in range(tasks_per_project[index]):
                done = rng.random() < 0.35
                done_count += done
                moment = created + dt.timedelta(seconds=t + 1)
                tasks.append((uuid.uuid4(), project_id, owner, f"Task {t}", done, moment, moment))
            project: tuple[object, ...] = (
                project_id,
                owner,
                f"Project {index}",
                None if index % 3 else "Seeded for the benchmarks.",
                len(tasks),
                done_count,
                created,
                created,
            )
            yield project, tasks
            index += 1


async def _copy(
    connection: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    rows: list[tuple[object, ...]],
) -> None:
    if rows:
        await connection.copy_records_to_table(table, records=rows, columns=list(columns))


async def seed(auth_url: str, projects_url: str, sizes: Sizes, seed_value: int = 1) -> float:
    """Seed both databases; the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(seed_value)  # noqa: S311 - benchmark data, not secrets
    password_hash = await PasswordHasher().hash(PASSWORD)
    auth = await asyncpg.connect(auth_url)
    projects = await asyncpg.connect(projects_url)
    try:
        user_columns = USER_COLUMNS
        batch: list[tuple[object, ...]] = []
        for row in users(sizes, password_hash):
            batch.append(row)
            if len(batch) >= CHUNK:
                await _copy(auth, "users", user_columns, batch)
                batch = []
        await _copy(auth, "users", user_columns, batch)

        project_columns, task_columns = PROJECT_COLUMNS, TASK_COLUMNS
        project_rows: list[tuple[object, ...]] = []
        task_rows: list[tuple[object, ...]] = []
        for project, tasks in projects_and_tasks(sizes, rng):
            project_rows.append(project)
            task_rows.extend(tasks)
            if len(project_rows) >= CHUNK or len(task_rows) >= CHUNK:
                # Projects first: tasks refer to them.
                await _copy(projects, "projects", project_columns, project_rows)
                await _copy(projects, "tasks", task_columns, task_rows)
                project_rows, task_rows = [], []
        await _copy(projects, "projects", project_columns, project_rows)
        await _copy(projects, "tasks", task_columns, task_rows)
        # Statistics and the visibility map now, so autovacuum does not start on the
        # fresh rows in the middle of a measurement.
        for connection in (auth, projects):
            await connection.execute("VACUUM (ANALYZE)")
    finally:
        await auth.close()
        await projects.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--auth-url", required=True)
    parser.add_argument("--projects-url", required=True)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=1_000_000)
    parser.add_argument("--tasks", type=int, default=10_000_000)
    parser.add_argument("--heavy-owner", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = Sizes(args.users, args.projects, args.tasks, args.heavy_owner)
    seconds = asyncio.run(seed(args.auth_url, args.projects_url, sizes, args.seed))
    rows = sizes.users + sizes.projects + sizes.tasks
    print(f"seeded {sizes} in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")


if __name__ == "__main__":
    main()
