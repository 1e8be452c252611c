"""Each service's Alembic history, on SQLite and PostgreSQL, and the `migrate` command."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from projectconnect.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from projectconnect.auth.models import OutboxEvent, User
from projectconnect.infra import migrations
from projectconnect.infra.config import normalize_database_url
from projectconnect.infra.db import UTCDateTime, utcnow
from projectconnect.infra.events import USER_REGISTERED, Envelope, UserProfile
from projectconnect.infra.migrations import MigrationTree
from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS
from tests.support.processes import run_command
from tests.support.services import ThrowawayPostgres

TREES = {"auth": AUTH_MIGRATIONS, "projects": PROJECTS_MIGRATIONS}


@pytest.fixture
async def postgres_database(postgres: ThrowawayPostgres) -> str:
    return await postgres.create(f"migrations_{uuid.uuid4().hex[:8]}")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database; PostgreSQL is only reached for its own parameter."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_database")
        return url
    return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(normalize_database_url(database_url))
    try:
        yield engine
    finally:
        await engine.dispose()


def _state(connection: Connection, tree: MigrationTree) -> tuple[set[str], str | None]:
    context = MigrationContext.configure(connection, opts={"version_table": tree.version_table})
    tables = {t for t in inspect(connection).get_table_names() if t not in tree.unmodelled}
    return tables, context.get_current_revision()


async def state(engine: AsyncEngine, tree: MigrationTree) -> tuple[set[str], str | None]:
    """The tables in the database and the revision the tree's version table records."""
    async with engine.connect() as connection:
        return await connection.run_sync(_state, tree)


def head(tree: MigrationTree) -> str:
    revision = ScriptDirectory.from_config(tree.config("sqlite://")).get_current_head()
    assert revision is not None
    return revision


def _diff(connection: Connection, tree: MigrationTree) -> list[Any]:
    # Configured as infra.migrations configures Alembic, so its own version table is ignored.
    context = MigrationContext.configure(
        connection,
        opts={
            "version_table": tree.version_table,
            "target_metadata": tree.metadata,
            "compare_type": True,
            "include_name": tree.include_name,
        },
    )
    return list(compare_metadata(context, tree.metadata))


@pytest.mark.parametrize("service", TREES)
async def test_upgrade_downgrade_upgrade_round_trip(
    service: str, database_url: str, engine: AsyncEngine
) -> None:
    tree = TREES[service]
    tables = set(tree.metadata.tables)
    assert tables, "the service declares tables"

    await migrations.upgrade(tree, database_url)
    assert await state(engine, tree) == (tables | {tree.version_table}, head(tree))

    await migrations.downgrade(tree, database_url, "base")
    remaining, revision = await state(engine, tree)
    assert remaining <= {tree.version_table}
    assert revision is None

    await migrations.upgrade(tree, database_url)
    assert await state(engine, tree) == (tables | {tree.version_table}, head(tree))


@pytest.mark.parametrize("service", TREES)
async def test_models_and_migrations_describe_the_same_schema(
    service: str, database_url: str, engine: AsyncEngine
) -> None:
    tree = TREES[service]
    async with engine.connect() as connection:
        before = await connection.run_sync(_diff, tree)
    # On the empty database the comparison does see every table missing.
    assert {d[1].name for d in before if d[0] == "add_table"} == set(tree.metadata.tables)

    await migrations.upgrade(tree, database_url)
    async with engine.connect() as connection:
        diff = await connection.run_sync(_diff, tree)
    assert diff == [], "autogenerate would write a migration for these differences"


async def add_user(engine: AsyncEngine) -> None:
    now = utcnow()
    async with engine.begin() as connection:
        await connection.execute(
            insert(User).values(
                id=uuid.uuid4(),
                email="kept@example.com",
                email_key="kept@example.com",
                password_hash="not-a-real-hash",
                created_at=now,
                updated_at=now,
            )
        )


async def count_users(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        result = await connection.execute(select(func.count()).select_from(User))
        return int(result.scalar_one())


async def test_migrate_command_applies_the_history_once(
    database_url: str, engine: AsyncEngine
) -> None:
    # The plain scheme an operator writes; the command picks the async driver itself.
    plain_url = database_url.replace("+aiosqlite", "").replace("+asyncpg", "")
    first = run_command(["migrate", "auth"], {"DATABASE_URL": plain_url})
    assert first.returncode == 0, first.stderr
    migrated = await state(engine, AUTH_MIGRATIONS)
    tables = set(AUTH_MIGRATIONS.metadata.tables) | {AUTH_MIGRATIONS.version_table}
    assert migrated == (tables, head(AUTH_MIGRATIONS))

    await add_user(engine)
    again = run_command(["migrate", "auth"], {"DATABASE_URL": plain_url})
    assert again.returncode == 0, again.stderr
    assert await state(engine, AUTH_MIGRATIONS) == migrated
    assert await count_users(engine) == 1  # the data survived the second run


def test_migrate_command_refuses_an_unsupported_database_clearly() -> None:
    result = run_command(["migrate", "auth"], {"DATABASE_URL": "mysql://x"})
    # The message may be wrapped inside a drawn box; read it as one line of words.
    output = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "DATABASE_URL" in output
    assert "unsupported database scheme" in output
    assert "Traceback" not in output


async def outbox_events(engine: AsyncEngine) -> list[Envelope]:
    async with engine.connect() as connection:
        payloads = (await connection.scalars(select(OutboxEvent.payload))).all()
    return [Envelope.model_validate_json(payload) for payload in payloads]


async def test_existing_accounts_are_announced_once_through_the_outbox(
    database_url: str, engine: AsyncEngine
) -> None:
    await migrations.upgrade(AUTH_MIGRATIONS, database_url, "0004")
    await add_user(engine)
    await migrations.upgrade(AUTH_MIGRATIONS, database_url)

    [event] = await outbox_events(engine)
    assert (event.type, event.version) == (USER_REGISTERED, 1)
    profile = UserProfile.model_validate(event.data)
    assert (profile.email, profile.display_name, profile.profile_version) == (
        "kept@example.com",
        None,
        1,
    )
    async with engine.connect() as connection:
        assert profile.user_id == await connection.scalar(select(User.id))

    # Down removes what it wrote and was never sent; up again announces the account anew.
    await migrations.downgrade(AUTH_MIGRATIONS, database_url, "0004")
    assert await outbox_events(engine) == []
    await migrations.upgrade(AUTH_MIGRATIONS, database_url)
    assert [e.data for e in await outbox_events(engine)] == [event.data]


OLD = MetaData()
# The single-owner schema (projects 0003), as far as these rows need it.
OLD_PROJECTS = Table(
    "projects",
    OLD,
    Column("id", Uuid),
    Column("owner_id", Uuid),
    Column("name", String),
    Column("description", Text),
    Column("task_count", Integer),
    Column("done_count", Integer),
    Column("created_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
)
OLD_TASKS = Table(
    "tasks",
    OLD,
    Column("id", Uuid),
    Column("project_id", Uuid),
    Column("owner_id", Uuid),
    Column("title", String),
    Column("done", Boolean),
    Column("created_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
)


async def _old_projects_schema_rows(engine: AsyncEngine) -> dict[str, list[Any]]:
    """Two owners' projects and tasks as the single-owner schema held them."""
    ann, bob = uuid.uuid4(), uuid.uuid4()
    early = dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
    late = dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    projects = [
        (uuid.uuid4(), ann, "Ann's first", "with a description", 2, 1, early),
        (uuid.uuid4(), ann, "Ann's second", None, 0, 0, late),
        (uuid.uuid4(), bob, "Bob's", None, 1, 0, late),
    ]
    tasks = [
        (uuid.uuid4(), projects[0][0], ann, "One", True, early),
        (uuid.uuid4(), projects[0][0], ann, "Two", False, late),
        (uuid.uuid4(), projects[2][0], bob, "Three", False, late),
    ]
    async with engine.begin() as connection:
        for pid, owner, name, description, count, done, when in projects:
            await connection.execute(
                insert(OLD_PROJECTS).values(
                    id=pid,
                    owner_id=owner,
                    name=name,
                    description=description,
                    task_count=count,
                    done_count=done,
                    created_at=when,
                    updated_at=when,
                )
            )
        for tid, pid, owner, title, done_flag, when in tasks:
            await connection.execute(
                insert(OLD_TASKS).values(
                    id=tid,
                    project_id=pid,
                    owner_id=owner,
                    title=title,
                    done=done_flag,
                    created_at=when,
                    updated_at=when,
                )
            )
    return {"owners": [ann, bob], "projects": projects, "tasks": tasks}


async def test_every_project_moves_into_its_owners_personal_workspace_with_nothing_lost(
    database_url: str, engine: AsyncEngine
) -> None:
    from projectconnect.projects.models import Membership, Project, Task, Workspace

    await migrations.upgrade(PROJECTS_MIGRATIONS, database_url, "0003")
    seeded = await _old_projects_schema_rows(engine)
    await migrations.upgrade(PROJECTS_MIGRATIONS, database_url)

    async with engine.connect() as connection:
        workspaces = (await connection.execute(select(Workspace))).all()
        memberships = (await connection.execute(select(Membership))).all()
        projects = (await connection.execute(select(Project))).all()
        tasks = (await connection.execute(select(Task))).all()
    ann, bob = seeded["owners"]
    # One personal workspace each, its owner its only member, dated from their first project.
    assert {(w.id, w.personal_of, w.created_by, w.name) for w in workspaces} == {
        (ann, ann, ann, "Personal"),
        (bob, bob, bob, "Personal"),
    }
    assert {(m.workspace_id, m.user_id, m.role) for m in memberships} == {
        (ann, ann, "owner"),
        (bob, bob, "owner"),
    }
    joined = {m.user_id: m.joined_at for m in memberships}
    assert joined[ann] == dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
    # Every project and task, field for field, in its owner's workspace.
    assert {
        (p.id, p.workspace_id, p.created_by, p.name, p.description, p.task_count, p.done_count)
        for p in projects
    } == {
        (pid, owner, owner, name, description, c, d)
        for pid, owner, name, description, c, d, _ in seeded["projects"]
    }
    assert {(t.id, t.project_id, t.created_by, t.title, t.done) for t in tasks} == {
        (tid, pid, owner, title, done) for tid, pid, owner, title, done, _ in seeded["tasks"]
    }

    # And back: each project returns to its workspace's owner.
    await migrations.downgrade(PROJECTS_MIGRATIONS, database_url, "0003")
    async with engine.connect() as connection:
        rows = (await connection.execute(select(OLD_PROJECTS.c.id, OLD_PROJECTS.c.owner_id))).all()
    assert dict(rows) == {pid: owner for pid, owner, *_ in seeded["projects"]}


# The workspaces schema (projects 0004), as far as tasks need it.
V4 = MetaData()
V4_WORKSPACES = Table(
    "workspaces",
    V4,
    Column("id", Uuid),
    Column("name", String),
    Column("created_by", Uuid),
    Column("created_at", UTCDateTime),
    Column("personal_of", Uuid),
)
V4_PROJECTS = Table(
    "projects",
    V4,
    Column("id", Uuid),
    Column("workspace_id", Uuid),
    Column("created_by", Uuid),
    Column("name", String),
    Column("description", Text),
    Column("task_count", Integer),
    Column("done_count", Integer),
    Column("created_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
)
V4_TASKS = Table(
    "tasks",
    V4,
    Column("id", Uuid),
    Column("project_id", Uuid),
    Column("created_by", Uuid),
    Column("title", String),
    Column("done", Boolean),
    Column("created_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
)


async def test_tasks_gain_a_status_and_positions_in_the_order_they_were_made(
    database_url: str, engine: AsyncEngine
) -> None:
    from projectconnect.projects.models import Project, Task
    from projectconnect.projects.tasks import key_between

    await migrations.upgrade(PROJECTS_MIGRATIONS, database_url, "0004")
    ann = uuid.uuid4()
    start = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)
    projects = [uuid.uuid4(), uuid.uuid4()]
    # Out of creation order on purpose, with a tie on created_at broken by id; the second
    # project's tasks are interleaved in time with the first's.
    made = [
        (uuid.uuid4(), projects[0], f"Task {n}", n % 3 == 0, start + dt.timedelta(minutes=n // 2))
        for n in range(70)
    ] + [(uuid.uuid4(), projects[1], "Other", True, start)]
    async with engine.begin() as connection:
        await connection.execute(
            insert(V4_WORKSPACES).values(
                id=ann, name="Personal", created_by=ann, created_at=start, personal_of=ann
            )
        )
        for pid in projects:
            await connection.execute(
                insert(V4_PROJECTS).values(
                    id=pid, workspace_id=ann, created_by=ann, name="P", description=None,
                    task_count=0, done_count=0, created_at=start, updated_at=start,
                )
            )  # fmt: skip
        for tid, pid, title, done, when in reversed(made):
            await connection.execute(
                insert(V4_TASKS).values(
                    id=tid, project_id=pid, created_by=ann, title=title, done=done,
                    created_at=when, updated_at=when + dt.timedelta(hours=1),
                )
            )  # fmt: skip

    await migrations.upgrade(PROJECTS_MIGRATIONS, database_url)

    async with engine.connect() as connection:
        tasks = {t.id: t for t in (await connection.execute(select(Task))).all()}
        assert (await connection.execute(select(func.count()).select_from(Project))).scalar() == 2
    assert set(tasks) == {m[0] for m in made}
    for tid, pid, title, done, when in made:
        task = tasks[tid]
        assert (task.project_id, task.title, task.done) == (pid, title, done)
        assert task.status == ("done" if done else "todo")
        assert (task.priority, task.version, task.description, task.due_date) == (
            "none",
            1,
            None,
            None,
        )
        assert task.completed_at == (when + dt.timedelta(hours=1) if done else None)
    # Positions follow creation (then id) order within each project, all distinct, and are
    # keys the fractional index extends: a task fits between any two neighbours.
    first = sorted((m for m in made if m[1] == projects[0]), key=lambda m: (m[4], m[0]))
    positions = [tasks[m[0]].position for m in first]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    for earlier, later in itertools.pairwise(positions):
        assert earlier < key_between(earlier, later) < later
    assert key_between(positions[-1], None) > positions[-1]

    # And back: the done flag is all that was, and it is still right.
    await migrations.downgrade(PROJECTS_MIGRATIONS, database_url, "0004")
    async with engine.connect() as connection:
        rows = (await connection.execute(select(V4_TASKS.c.id, V4_TASKS.c.done))).all()
        columns = {c["name"] for c in await connection.run_sync(
            lambda sync: inspect(sync).get_columns("tasks")
        )}  # fmt: skip
    assert dict(rows) == {m[0]: m[3] for m in made}
    assert "status" not in columns


async def test_tasks_gain_their_workspace_and_stay_findable_through_the_rebuild(
    database_url: str, engine: AsyncEngine
) -> None:
    from projectconnect.infra.db import Database
    from projectconnect.projects.models import Membership, Task
    from projectconnect.projects.search import SearchService

    await migrations.upgrade(PROJECTS_MIGRATIONS, database_url, "0004")
    ann, bob = uuid.uuid4(), uuid.uuid4()
    start = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)
    homes = {ann: uuid.uuid4(), bob: uuid.uuid4()}  # each one's workspace, of one project
    kept: dict[uuid.UUID, uuid.UUID] = {}  # task → its workspace
    async with engine.begin() as connection:
        for owner, workspace in homes.items():
            project = uuid.uuid4()
            await connection.execute(
                insert(V4_WORKSPACES).values(
                    id=workspace, name="Personal", created_by=owner, created_at=start,
                    personal_of=owner,
                )
            )  # fmt: skip
            await connection.execute(
                insert(V4_PROJECTS).values(
                    id=project, workspace_id=workspace, created_by=owner, name="P",
                    description=None, task_count=2, done_count=0, created_at=start,
                    updated_at=start,
                )
            )  # fmt: skip
            for n in range(2):
                tid = uuid.uuid4()
                kept[tid] = workspace
                await connection.execute(
                    insert(V4_TASKS).values(
                        id=tid, project_id=project, created_by=owner, title=f"Quartzite {n}",
                        done=False, created_at=start, updated_at=start,
                    )
                )  # fmt: skip

    await migrations.upgrade(PROJECTS_MIGRATIONS, database_url)

    async with engine.begin() as connection:
        rows = (await connection.execute(select(Task.id, Task.workspace_id))).all()
        assert dict(rows) == kept
        await connection.execute(
            insert(Membership).values(workspace_id=homes[ann], user_id=ann, role="owner")
        )
        # A task made after the rebuild: on SQLite, the search triggers must still hold.
        later = next(tid for tid, w in kept.items() if w == homes[ann])
        made = (await connection.execute(select(Task).where(Task.id == later))).one()
        fresh = uuid.uuid4()
        await connection.execute(
            insert(Task).values(
                {**made._asdict(), "id": fresh, "title": "Quartzite new", "position": "a9"}
            )
        )

    database = Database(database_url)
    try:
        found = await SearchService(database).search(ann, "quartzite", 20)
    finally:
        await database.dispose()
    mine = {tid for tid, w in kept.items() if w == homes[ann]} | {fresh}
    assert {hit.id for hit in found.items} == mine
    assert {hit.workspace_id for hit in found.items} == {homes[ann]}

    await migrations.downgrade(PROJECTS_MIGRATIONS, database_url, "0008")
    async with engine.connect() as connection:
        columns = {c["name"] for c in await connection.run_sync(
            lambda sync: inspect(sync).get_columns("tasks")
        )}  # fmt: skip
    assert "workspace_id" not in columns
