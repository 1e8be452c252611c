"""Every look the harness takes behind the API: the services' databases and the broker.

The one place to adapt when a table changes. Each simulated user works in their personal
workspace, so what they own is what they created (`created_by`). Connections go straight
to the servers, never through the proxies the stack uses, so a fault never hides the
truth from the checks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aio_pika
import asyncpg

from projectconnect.infra.rabbitmq import Topology

CONSUMING_SERVICE = "projects"


@dataclass(frozen=True, slots=True)
class StoredProject:
    id: str
    owner_id: str
    name: str
    description: str | None
    task_count: int
    done_count: int


@dataclass(frozen=True, slots=True)
class StoredTask:
    id: str
    project_id: str
    title: str
    done: bool


@dataclass(frozen=True, slots=True)
class WrongCounter:
    project_id: str
    task_count: int
    tasks: int
    done_count: int
    done: int


@dataclass(frozen=True, slots=True)
class Leftovers:
    """What is left of a deleted account; all zero once it is purged."""

    users: int
    projects: int
    tasks: int
    people: int

    @property
    def purged(self) -> bool:
        return self.users == self.projects == self.tasks == self.people == 0


class Databases:
    def __init__(self, auth_url: str, projects_url: str) -> None:
        self.auth_url = auth_url
        self.projects_url = projects_url
        self._auth: asyncpg.Pool | None = None
        self._projects: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._auth = await asyncpg.create_pool(self.auth_url, min_size=1, max_size=2)
        self._projects = await asyncpg.create_pool(self.projects_url, min_size=1, max_size=2)

    async def close(self) -> None:
        for pool in (self._auth, self._projects):
            if pool is not None:
                await pool.close()

    @property
    def auth(self) -> asyncpg.Pool:
        assert self._auth is not None, "Databases.open() first"
        return self._auth

    @property
    def projects(self) -> asyncpg.Pool:
        assert self._projects is not None, "Databases.open() first"
        return self._projects

    # --- auth ---

    async def unsent_events(self, created_before: dt.datetime | None = None) -> int:
        """Outbox rows (all, or those written before a moment) not yet published."""
        unsent = (
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            " AND ($1::timestamptz IS NULL OR created_at < $1)"
        )
        return int(await self.auth.fetchval(unsent, created_before))

    # --- projects ---

    async def projects_of(self, owner_id: str) -> dict[str, StoredProject]:
        """The owner's projects that are not in the trash (a delete moves them there)."""
        rows = await self.projects.fetch(
            "SELECT id, created_by AS owner_id, name, description, task_count, done_count"
            " FROM projects WHERE created_by = $1::uuid AND deleted_at IS NULL",
            owner_id,
        )
        return {
            str(r["id"]): StoredProject(
                str(r["id"]),
                str(r["owner_id"]),
                r["name"],
                r["description"],
                r["task_count"],
                r["done_count"],
            )
            for r in rows
        }

    async def tasks_of(self, owner_id: str) -> dict[str, StoredTask]:
        rows = await self.projects.fetch(
            "SELECT t.id, t.project_id, t.title, t.done FROM tasks t"
            " JOIN projects p ON p.id = t.project_id WHERE p.created_by = $1::uuid"
            " AND p.deleted_at IS NULL AND t.deleted_at IS NULL",
            owner_id,
        )
        return {
            str(r["id"]): StoredTask(str(r["id"]), str(r["project_id"]), r["title"], r["done"])
            for r in rows
        }

    async def display_name(self, user_id: str) -> tuple[bool, str | None]:
        """(known, display name) in the projects service's directory of people."""
        row = await self.projects.fetchrow(
            "SELECT display_name FROM people WHERE user_id = $1::uuid", user_id
        )
        return (row is not None, row["display_name"] if row else None)

    async def wrong_counters(self) -> list[WrongCounter]:
        """Projects whose stored counts differ from their task rows (the trash left out: a
        trashed task leaves its project's counts, a trashed project is out of every read)."""
        rows = await self.projects.fetch(
            "SELECT p.id, p.task_count, p.done_count,"
            " count(t.id) FILTER (WHERE t.status <> 'cancelled') AS tasks,"
            " count(t.id) FILTER (WHERE t.done) AS done"
            " FROM projects p LEFT JOIN tasks t ON t.project_id = p.id AND t.deleted_at IS NULL"
            " WHERE p.deleted_at IS NULL"
            " GROUP BY p.id, p.task_count, p.done_count"
            " HAVING p.task_count <> count(t.id) FILTER (WHERE t.status <> 'cancelled')"
            " OR p.done_count <> count(t.id) FILTER (WHERE t.done)"
        )
        return [
            WrongCounter(str(r["id"]), r["task_count"], r["tasks"], r["done_count"], r["done"])
            for r in rows
        ]

    async def count_rows(self) -> tuple[int, int]:
        """(projects, tasks) in the whole projects database."""
        projects = await self.projects.fetchval("SELECT count(*) FROM projects")
        tasks = await self.projects.fetchval("SELECT count(*) FROM tasks")
        return int(projects), int(tasks)

    # --- both: a deleted account ---

    async def leftovers(self, user_ids: list[str]) -> dict[str, Leftovers]:
        """For each user id, the rows of that account still in either database."""
        users = await self._counts(self.auth, "SELECT id AS who FROM users", user_ids)
        projects = await self._counts(
            self.projects, "SELECT created_by AS who FROM projects", user_ids
        )
        tasks = await self._counts(self.projects, "SELECT created_by AS who FROM tasks", user_ids)
        people = await self._counts(self.projects, "SELECT user_id AS who FROM people", user_ids)
        return {
            u: Leftovers(users.get(u, 0), projects.get(u, 0), tasks.get(u, 0), people.get(u, 0))
            for u in user_ids
        }

    @staticmethod
    async def _counts(pool: asyncpg.Pool, rows: str, user_ids: list[str]) -> dict[str, int]:
        if not user_ids:
            return {}
        found = await pool.fetch(
            f"SELECT who, count(*) AS n FROM ({rows}) r"  # noqa: S608 - fixed fragments only
            " WHERE who = ANY($1::uuid[]) GROUP BY who",
            user_ids,
        )
        return {str(r["who"]): int(r["n"]) for r in found}


@dataclass(frozen=True, slots=True)
class QueueDepths:
    waiting: int
    retrying: int
    dead: int


async def queue_depths(amqp_url: str, namespace: str) -> QueueDepths:
    """Messages in the consuming service's queue, its retry queues and its dead letters."""
    topology = Topology(namespace=namespace)
    connection = await aio_pika.connect(amqp_url, timeout=5)
    async with connection:
        channel = await connection.channel()

        async def depth(name: str) -> int:
            queue = await channel.declare_queue(name, passive=True)
            count = queue.declaration_result.message_count
            return int(count or 0)

        retry_names = {topology.retry_queue(CONSUMING_SERVICE, d) for d in topology.retry_delays}
        return QueueDepths(
            waiting=await depth(topology.queue(CONSUMING_SERVICE)),
            retrying=sum([await depth(name) for name in sorted(retry_names)]),
            dead=await depth(topology.dead_letter_queue(CONSUMING_SERVICE)),
        )
