"""Fill the auth and projects PostgreSQL databases fast, with COPY, for the benchmarks.

    python -m bench.seed --auth-url postgresql://postgres@127.0.0.1/pc_auth \\
        --projects-url postgresql://postgres@127.0.0.1/pc_projects \\
        [--users 100000] [--projects 1000000] [--tasks 10000000] [--heavy-owner 1000000] \\
        [--teams 10000] [--heavy-teams 10] [--team-share 0.3]

Every user has a personal workspace whose id is their user id (as migration 0004 makes
them), with them as its owner, and an entry in the projects service's directory of people.
`--teams` shared workspaces have 5 to 50 members each (a long tail: most teams are small),
one owner, then admins, members and viewers; `--team-share` of the projects are spread over
them with a long tail, created by their members, the rest over the personal workspaces the
same way. Tasks are spread over projects the same way, about a third of them done (their
status follows), positioned in the order they were made; each project's task and done
counts are written with it, as the service keeps them.
`--heavy-owner N` gives user 0 exactly N projects in their personal workspace, and
`--heavy-teams K` makes user 0 a member of K teams (owner of the first), for list pages at
scale. Every user's password is `bench-password`, hashed once. The databases must be
migrated (`projectconnect migrate`).
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
from fractional_indexing import generate_n_keys_between

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
PEOPLE_COLUMNS = ("user_id", "display_name", "email", "profile_version", "updated_at")
WORKSPACE_COLUMNS = ("id", "name", "created_by", "created_at", "personal_of")
MEMBERSHIP_COLUMNS = ("workspace_id", "user_id", "role", "joined_at")
PROJECT_COLUMNS = (
    "id",
    "workspace_id",
    "created_by",
    "name",
    "description",
    "task_count",
    "done_count",
    "created_at",
    "updated_at",
)
TASK_COLUMNS = (
    "id",
    "project_id",
    "created_by",
    "title",
    "done",
    "created_at",
    "updated_at",
    "status",
    "priority",
    "position",
    "version",
    "completed_at",
)
TEAM_SIZES = (5, 50)


@dataclass(frozen=True, slots=True)
class Sizes:
    users: int
    projects: int
    tasks: int
    heavy_owner: int = 0
    teams: int = 0
    heavy_teams: int = 0
    team_share: float = 0.3


@dataclass(frozen=True, slots=True)
class Team:
    """A shared workspace: its members in the order they joined, the first its owner."""

    id: uuid.UUID
    created_at: dt.datetime
    members: list[tuple[int, str]]

    @property
    def creators(self) -> list[int]:
        """The members who may create projects."""
        return [user for user, role in self.members if role != "viewer"]


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


def personal_workspace_id(i: int) -> uuid.UUID:
    """User i's personal workspace: its id is theirs, as migration 0004 makes it."""
    return _user_id(i)


def team_id(j: int) -> uuid.UUID:
    return uuid.UUID(int=(0xB1 << 120) | j)


def people(sizes: Sizes) -> Iterator[tuple[object, ...]]:
    """The projects service's directory, as the auth service's events would have filled it."""
    for i in range(sizes.users):
        moment = EPOCH + dt.timedelta(seconds=i)
        yield (_user_id(i), f"User {i}", f"user{i}@bench.example", 1, moment)


def personal_workspaces(sizes: Sizes) -> Iterator[tuple[tuple[object, ...], tuple[object, ...]]]:
    """Each user's personal workspace row with their owner membership."""
    for i in range(sizes.users):
        user, moment = _user_id(i), EPOCH + dt.timedelta(seconds=i)
        yield (user, "Personal", user, moment, user), (user, user, "owner", moment)


def _role(rng: random.Random) -> str:
    r = rng.random()
    return "admin" if r < 0.1 else "viewer" if r < 0.3 else "member"


def teams(sizes: Sizes, rng: random.Random) -> list[Team]:
    """Shared workspaces of 5 to 50 members; user 0 joins the first `heavy_teams`."""
    low, high = TEAM_SIZES
    others = range(1, sizes.users)
    found = []
    for j in range(sizes.teams):
        size = min(high, int(low * rng.paretovariate(1.2)), len(others))
        users = rng.sample(others, k=size)
        if j < sizes.heavy_teams:
            # The heavy owner owns the first of their teams and is a member of the rest.
            users = [0, *users[:-1]] if j == 0 else [*users[:-1], 0]
        roles = ["owner", *(_role(rng) for _ in users[1:])]
        if j < sizes.heavy_teams and j > 0:
            roles[-1] = "member"
        found.append(Team(team_id(j), _moment(rng), list(zip(users, roles, strict=True))))
    return found


def team_rows(team: Team) -> tuple[tuple[object, ...], list[tuple[object, ...]]]:
    owner = _user_id(team.members[0][0])
    workspace: tuple[object, ...] = (
        team.id,
        f"Team {team.id.int & 0xFFFFFFFF}",
        owner,
        team.created_at,
        None,
    )
    members: list[tuple[object, ...]] = [
        (team.id, _user_id(user), role, team.created_at + dt.timedelta(seconds=n))
        for n, (user, role) in enumerate(team.members)
    ]
    return workspace, members


def _homes(
    sizes: Sizes, rng: random.Random, shared: list[Team]
) -> Iterator[tuple[uuid.UUID, list[int], int]]:
    """(workspace, who may create its projects, how many projects) for every workspace."""
    heavy = min(sizes.heavy_owner, sizes.projects)
    rest = sizes.projects - heavy
    in_teams = round(rest * sizes.team_share) if shared else 0
    per_user = [heavy, *long_tail(rng, rest - in_teams, sizes.users - 1)]
    for user, count in enumerate(per_user):
        yield personal_workspace_id(user), [user], count
    for team, count in zip(shared, long_tail(rng, in_teams, len(shared)), strict=True):
        yield team.id, team.creators, count


def projects_and_tasks(
    sizes: Sizes, rng: random.Random, shared: list[Team] | None = None
) -> Iterator[tuple[tuple[object, ...], list[tuple[object, ...]]]]:
    """Each project row with its task rows."""
    homes = list(_homes(sizes, rng, shared or []))
    tasks_per_project = long_tail(rng, sizes.tasks, sizes.projects)
    index = 0
    for workspace, creators, count in homes:
        for _ in range(count):
            creator = _user_id(creators[0] if len(creators) == 1 else rng.choice(creators))
            project_id, created = uuid.uuid4(), _moment(rng)
            tasks: list[tuple[object, ...]] = []
            done_count = 0
            count_here = tasks_per_project[index]
            positions = generate_n_keys_between(None, None, count_here) if count_here else []
            for t in range(count_here):
                done = rng.random() < 0.35
                done_count += done
                moment = created + dt.timedelta(seconds=t + 1)
                tasks.append(
                    (
                        uuid.uuid4(),
                        project_id,
                        creator,
                        f"Task {t}",
                        done,
                        moment,
                        moment,
                        "done" if done else "todo",
                        "none",
                        positions[t],
                        1,
                        moment if done else None,
                    )
                )
            project: tuple[object, ...] = (
                project_id,
                workspace,
                creator,
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

        await _copy(projects, "people", PEOPLE_COLUMNS, list(people(sizes)))
        # Workspaces before their members and projects: both refer to them.
        workspace_rows: list[tuple[object, ...]] = []
        membership_rows: list[tuple[object, ...]] = []
        for workspace, owner in personal_workspaces(sizes):
            workspace_rows.append(workspace)
            membership_rows.append(owner)
        shared = teams(sizes, rng)
        for team in shared:
            workspace, members = team_rows(team)
            workspace_rows.append(workspace)
            membership_rows.extend(members)
        await _copy(projects, "workspaces", WORKSPACE_COLUMNS, workspace_rows)
        await _copy(projects, "memberships", MEMBERSHIP_COLUMNS, membership_rows)

        project_columns, task_columns = PROJECT_COLUMNS, TASK_COLUMNS
        project_rows: list[tuple[object, ...]] = []
        task_rows: list[tuple[object, ...]] = []
        for project, tasks in projects_and_tasks(sizes, rng, shared):
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
    parser.add_argument("--teams", type=int, default=0)
    parser.add_argument("--heavy-teams", type=int, default=0)
    parser.add_argument("--team-share", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = Sizes(
        args.users,
        args.projects,
        args.tasks,
        args.heavy_owner,
        args.teams,
        args.heavy_teams,
        args.team_share,
    )
    seconds = asyncio.run(seed(args.auth_url, args.projects_url, sizes, args.seed))
    rows = sizes.users + sizes.projects + sizes.tasks
    print(f"seeded {sizes} in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")


if __name__ == "__main__":
    main()
