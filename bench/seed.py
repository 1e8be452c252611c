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
same way. Tasks are spread over projects the same way, with the fields of `bench.task_fields`:
statuses over the five columns (about a third done, with `completed_at`), priorities, due
dates around the seeding day, descriptions on a share of them (common and rare words for
search), assignees among their workspace's members, labels (a handful per workspace) and
positions per status column; each project's task count (all but the cancelled) and done
count are written with it, as the service keeps them.
`--heavy-owner N` gives user 0 exactly N projects in their personal workspace, and
`--heavy-teams K` makes user 0 a member of K teams (owner of the first), for list pages at
scale. `--heavy-assigned A` assigns user 0 to exactly A tasks of their workspaces (My
tasks), and `--board-tasks B` puts exactly B tasks in the first project of their first team
(their personal workspace without teams), for a board at scale. Every user's password is
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
from fractional_indexing import generate_n_keys_between

from bench import task_fields as fields
from projectconnect.auth.passwords import PasswordHasher
from projectconnect.projects.notifications import OPEN, OVERDUE_WITHIN

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
    "workspace_id",
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
    "description",
    "due_date",
    "comment_count",
)
ASSIGNEE_COLUMNS = ("task_id", "user_id")
LABEL_COLUMNS = ("id", "workspace_id", "name", "colour", "created_at")
TASK_LABEL_COLUMNS = ("task_id", "label_id")
TEAM_SIZES = (5, 50)
# Their secondary indexes (the search vector's GIN among them) are built once after the
# load: several times faster than kept up row by row.
BULK_TABLES = ("tasks", "task_assignees", "task_labels")


@dataclass(frozen=True, slots=True)
class Sizes:
    users: int
    projects: int
    tasks: int
    heavy_owner: int = 0
    teams: int = 0
    heavy_teams: int = 0
    team_share: float = 0.3
    # User 0's assignments across their workspaces (My tasks) and the one project of exactly
    # this many tasks in their first team (a board).
    heavy_assigned: int = 0
    board_tasks: int = 0


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


@dataclass(frozen=True, slots=True)
class Home:
    """A workspace that holds projects: who may create them, who may be assigned, and how
    many projects it holds."""

    id: uuid.UUID
    ordinal: int  # the workspace's place among all of them, for its labels' ids
    creators: list[int]
    members: list[int]
    projects: int
    heavy: bool  # one of user 0's workspaces


def _homes(sizes: Sizes, rng: random.Random, shared: list[Team]) -> list[Home]:
    """Every workspace with its share of the projects; with `board_tasks`, the board
    project is the first of the heavy user's first team (else of their personal one)."""
    board = 1 if sizes.board_tasks else 0
    heavy = min(sizes.heavy_owner, sizes.projects)
    rest = sizes.projects - heavy
    in_teams = round(rest * sizes.team_share) if shared else 0
    per_user = [heavy, *long_tail(rng, rest - in_teams, sizes.users - 1)]
    per_team = long_tail(rng, in_teams - board, len(shared)) if shared else []
    if shared and board:
        per_team[0] += 1
    elif board and not heavy:
        raise ValueError("a board needs the heavy user's personal projects or a team")
    homes = [
        Home(personal_workspace_id(user), user, [user], [user], count, user == 0)
        for user, count in enumerate(per_user)
    ]
    homes += [
        Home(
            team.id,
            sizes.users + j,
            team.creators,
            [user for user, _ in team.members],
            count,
            j < sizes.heavy_teams,
        )
        for j, (team, count) in enumerate(zip(shared, per_team, strict=True))
    ]
    return homes


def _tasks_per_project(
    sizes: Sizes, rng: random.Random, homes: list[Home], shared: list[Team]
) -> list[int]:
    if not sizes.board_tasks:
        return long_tail(rng, sizes.tasks, sizes.projects)
    if sizes.board_tasks > sizes.tasks:
        raise ValueError("more board tasks than tasks")
    counts = long_tail(rng, sizes.tasks - sizes.board_tasks, sizes.projects - 1)
    board_home = sizes.users if shared else 0
    board_index = sum(h.projects for h in homes[:board_home])
    counts.insert(board_index, sizes.board_tasks)
    return counts


def board_workspace(sizes: Sizes) -> uuid.UUID:
    """Where the board project is: the heavy user's first team, else their own workspace."""
    return team_id(0) if sizes.teams else personal_workspace_id(0)


def labels(sizes: Sizes, shared: list[Team]) -> Iterator[tuple[object, ...]]:
    """Each workspace's handful of labels."""
    for i in range(sizes.users):
        yield from fields.label_rows(i, personal_workspace_id(i), EPOCH + dt.timedelta(seconds=i))
    for j, team in enumerate(shared):
        yield from fields.label_rows(sizes.users + j, team.id, team.created_at)


@dataclass(slots=True)
class Batch:
    """A project's rows: its own, its tasks', their assignees' and their labels'."""

    project: tuple[object, ...]
    tasks: list[tuple[object, ...]]
    assignees: list[tuple[object, ...]]
    labels: list[tuple[object, ...]]


class _HeavyAssignments:
    """Picks exactly `wanted` of the tasks in user 0's workspaces for them (or all)."""

    def __init__(self, rng: random.Random, visible: int, wanted: int) -> None:
        self.chosen = set(rng.sample(range(visible), k=min(wanted, visible)))
        self.seen = 0

    def next(self) -> bool:
        self.seen += 1
        return self.seen - 1 in self.chosen


def _assignees(rng: random.Random, home: Home, heavy: _HeavyAssignments) -> list[int]:
    if home.heavy:
        # User 0 only where chosen, so My tasks holds as many tasks at every size.
        people = [u for u in home.members if u != 0]
        count = fields.TEAM_ASSIGNEES(rng) if people else 0
        assert isinstance(count, int)
        picked = rng.sample(people, k=min(count, len(people)))
        return [0, *picked] if heavy.next() else picked
    if len(home.members) == 1:
        return home.members if rng.random() < fields.PERSONAL_ASSIGNED_SHARE else []
    count = fields.TEAM_ASSIGNEES(rng)
    assert isinstance(count, int)
    return rng.sample(home.members, k=count)


def _positions(statuses: list[str]) -> list[str]:
    """Fractional-indexing keys per status column, in the order the tasks were made."""
    by_status: dict[str, list[int]] = {}
    for t, status in enumerate(statuses):
        by_status.setdefault(status, []).append(t)
    positions = [""] * len(statuses)
    for indexes in by_status.values():
        for t, key in zip(indexes, generate_n_keys_between(None, None, len(indexes)), strict=True):
            positions[t] = key
    return positions


def projects_and_tasks(
    sizes: Sizes,
    rng: random.Random,
    shared: list[Team] | None = None,
    today: dt.date | None = None,
) -> Iterator[Batch]:
    """Each project with its tasks, their assignees and labels."""
    shared = shared or []
    today = today or dt.datetime.now(dt.UTC).date()
    homes = _homes(sizes, rng, shared)
    tasks_per_project = _tasks_per_project(sizes, rng, homes, shared)
    pool = fields.description_pool(rng)
    visible, index = 0, 0
    for home in homes:
        if home.heavy:
            visible += sum(tasks_per_project[index : index + home.projects])
        index += home.projects
    heavy = _HeavyAssignments(rng, visible, sizes.heavy_assigned)
    index = 0
    for home in homes:
        workspace_labels = fields.label_ids(home.ordinal)
        for _ in range(home.projects):
            creators = home.creators
            creator = _user_id(creators[0] if len(creators) == 1 else rng.choice(creators))
            project_id, created = uuid.uuid4(), _moment(rng)
            count_here = tasks_per_project[index]
            statuses = [str(fields.STATUS(rng)) for _ in range(count_here)]
            positions = _positions(statuses)
            batch = Batch((), [], [], [])
            counted = done_count = 0
            for t, status in enumerate(statuses):
                done = status == "done"
                counted += status != "cancelled"
                done_count += done
                task_id, moment = uuid.uuid4(), created + dt.timedelta(seconds=t + 1)
                completed = moment + dt.timedelta(hours=rng.uniform(1, 500)) if done else None
                batch.tasks.append(
                    (
                        task_id,
                        project_id,
                        home.id,
                        creator,
                        f"Task {t}",
                        done,
                        moment,
                        completed or moment,
                        status,
                        fields.PRIORITY(rng),
                        positions[t],
                        1,
                        completed,
                        fields.description(rng, pool),
                        fields.due_date(rng, today),
                        0,
                    )
                )
                batch.assignees.extend((task_id, _user_id(u)) for u in _assignees(rng, home, heavy))
                batch.labels.extend(
                    (task_id, label) for label in fields.labels_of_task(rng, workspace_labels)
                )
            batch.project = (
                project_id,
                home.id,
                creator,
                f"Project {index}",
                None if index % 3 else "Seeded for the benchmarks.",
                counted,
                done_count,
                created,
                created,
            )
            yield batch
            index += 1


def _chunks(
    batches: Iterator[Batch],
) -> Iterator[tuple[list[tuple[object, ...]], Batch]]:
    """The batches in chunks of about CHUNK projects or tasks: (project rows, the rest)."""
    projects: list[tuple[object, ...]] = []
    rest = Batch((), [], [], [])
    for made in batches:
        projects.append(made.project)
        rest.tasks.extend(made.tasks)
        rest.assignees.extend(made.assignees)
        rest.labels.extend(made.labels)
        if len(projects) >= CHUNK or len(rest.tasks) >= CHUNK:
            yield projects, rest
            projects, rest = [], Batch((), [], [], [])
    if projects:
        yield projects, rest


async def _copy(
    connection: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    rows: list[tuple[object, ...]],
) -> None:
    if rows:
        await connection.copy_records_to_table(table, records=rows, columns=list(columns))


async def _drop_secondary_indexes(connection: asyncpg.Connection) -> list[str]:
    """Drop the indexes of BULK_TABLES that no constraint owns; their definitions."""
    rows = await connection.fetch(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        ORDER BY i.indexname
        """,
        list(BULK_TABLES),
    )
    for row in rows:
        await connection.execute(f'DROP INDEX "{row["indexname"]}"')
    return [row["indexdef"] for row in rows]


# `DueReminders`' rule, as one statement: each assignee of an open task due tomorrow, or
# overdue since no earlier than OVERDUE_WITHIN ago, has had their reminder ($1: today).
REMINDERS_GIVEN = """
INSERT INTO notifications (id, user_id, kind, workspace_id, project_id, task_id, due_date,
                           created_at, read_at)
SELECT gen_random_uuid(), a.user_id,
       CASE WHEN t.due_date < $1 THEN 'overdue' ELSE 'due_soon' END,
       t.workspace_id, t.project_id, t.id, t.due_date, $4, $4
FROM tasks t JOIN task_assignees a ON a.task_id = t.id
WHERE t.status = ANY($3::text[]) AND t.deleted_at IS NULL
  AND (t.due_date = $1 + 1 OR t.due_date BETWEEN $2 AND $1 - 1)
"""


async def seed(
    auth_url: str,
    projects_url: str,
    sizes: Sizes,
    seed_value: int = 1,
    today: dt.date | None = None,
) -> float:
    """Seed both databases; the seconds it took. Due dates fall around `today` (UTC's)."""
    started = time.perf_counter()
    today = today or dt.datetime.now(dt.UTC).date()
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

        await _copy(projects, "labels", LABEL_COLUMNS, list(labels(sizes, shared)))

        indexes = await _drop_secondary_indexes(projects)
        # The next chunk is made on a thread while the database takes the last one.
        chunks = _chunks(projects_and_tasks(sizes, rng, shared, today))
        loop = asyncio.get_running_loop()
        coming = loop.run_in_executor(None, next, chunks, None)
        while (chunk := await coming) is not None:
            coming = loop.run_in_executor(None, next, chunks, None)
            project_rows, pending = chunk
            # Parents first: tasks refer to projects, assignees and labels to tasks.
            await _copy(projects, "projects", PROJECT_COLUMNS, project_rows)
            await _copy(projects, "tasks", TASK_COLUMNS, pending.tasks)
            await _copy(projects, "task_assignees", ASSIGNEE_COLUMNS, pending.assignees)
            await _copy(projects, "task_labels", TASK_LABEL_COLUMNS, pending.labels)
        await projects.execute("SET maintenance_work_mem = '512MB'")
        for definition in indexes:
            await projects.execute(definition)
        # The due reminders as a service that has been running leaves them: given and read.
        # Otherwise the first service started on these rows makes them all at once, and its
        # work loads whatever is being measured.
        await projects.execute(
            REMINDERS_GIVEN,
            today,
            today - OVERDUE_WITHIN,
            list(OPEN),
            dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC),
        )
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
    parser.add_argument("--heavy-assigned", type=int, default=0)
    parser.add_argument("--board-tasks", type=int, default=0)
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
        args.heavy_assigned,
        args.board_tasks,
    )
    seconds = asyncio.run(seed(args.auth_url, args.projects_url, sizes, args.seed))
    rows = sizes.users + sizes.projects + sizes.tasks
    print(f"seeded {sizes} in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")


if __name__ == "__main__":
    main()
