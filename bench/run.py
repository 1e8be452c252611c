"""Every benchmark of docs/benchmarks.md in one run: `make bench`, or

    python -m bench.run [--size full|quick|tiny] [--seconds 15] [--out bench/results]
        [--only servers,topology,scale,tasks,dbpaths]

1. Seeds two pairs of databases with bench.seed: a small one (1 000 projects, 10 000 tasks)
   and a large one (1 000 000 projects, 10 000 000 tasks by default), each user with a
   personal workspace, shared workspaces of 5 to 50 members, and the same heavy owner in
   both (500 projects of their own, member of 10 shared workspaces, assigned to 300 tasks,
   owner of a team with a project of exactly 2 000 tasks).
2. Servers: uvicorn and Granian at 1, 2 and 4 workers, each beside the bare ASGI ceiling
   on the same server and worker count, directly: cached GET /projects (beside the lean
   floor of bench/floor.py, same server and workers), /auth/validate.
3. The topology (nginx gateway, auth, projects) on the chosen server: static file and
   bare endpoint through the same gateway as ceilings, cached GET /projects and
   /auth/validate through it and directly (directly also cached GET /projects/{id} and
   its tasks; each cached read beside the floor), the 70/20/5/5 mix, a login burst
   during reads.
4. Scale: list and project pages from the database (read cache off) at both sizes, across
   the heavy owner's workspaces and of one, their workspaces and a workspace's members,
   with EXPLAIN (ANALYZE, BUFFERS) of their statements.
5. Tasks at scale (`tasks`): the heavy owner's task reads from the database (read cache off)
   at both sizes: a filtered task list of the 2 000-task project, its board (each of the
   five status columns, then their sum), search for a rare and a common word, My tasks;
   p50/p99 and the ratio large/small of each, with EXPLAIN (ANALYZE, BUFFERS) of their
   statements.

6. The database paths (`dbpaths`): bench.dbpaths on databases of its own (the small size,
   seeded again, since its writes change them): GET /projects, a project, its tasks,
   POST /projects and a task's PATCH with the read cache off, one projects worker, at
   `--connections`, three rounds; the projects process's CPU and SQL per request.
7. Live updates (`live`, only when named in `--only`): bench.live with its defaults but
   `--seconds` and `--connections`, on databases of its own (nothing seeded): 1 000 open
   streams, writes fanned out to 50 of them, cached GET /projects with and without them.

`--size tiny` (100 000 tasks) checks that every phase runs, in minutes.

Results go to OUT/results.json and OUT/results.md; the tables in docs/benchmarks.md are
copied from there.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

from bench import live_report
from bench.ceiling import body_of
from bench.load import Counters, ProcessSampler, Wrk, WrkResult, system_pids
from bench.plans import Reads, Services, statement_plans
from bench.profile import record, summarise
from bench.seed import (
    PASSWORD,
    Sizes,
    _user_id,
    board_workspace,
    personal_workspace_id,
    seed,
)
from bench.task_fields import COMMON_WORD, RARE_WORD
from projectconnect.gateway import RateLimits
from projectconnect.servers import Server
from projectconnect.stack import Stack, StackOptions, free_port, wait_until_ok

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
NAMESPACE = "pcbench"
HEAVY_OWNER = 0
# The heavy owner's teams; the same number at both sizes, so their pages compare.
HEAVY_TEAMS = 10
# The same at both sizes as well: the heavy owner's assignments (My tasks) and the size of
# the project whose board is read.
HEAVY_ASSIGNED = 300
BOARD_TASKS = 2000
# The load generator is one address: the gateway's per-address limits would measure
# themselves, not the services. They are opened wide here and nowhere else.
OPEN_LIMITS = RateLimits(
    per_ip_rate="100000r/s",
    per_ip_burst=100000,
    login_rate="100000r/s",
    login_burst=100000,
    writes_per_user_rate="100000r/s",
    writes_per_user_burst=100000,
    connections_per_ip=10000,
)


def _sizes(users: int, projects: int, tasks: int, teams: int) -> Sizes:
    return Sizes(
        users=users,
        projects=projects,
        tasks=tasks,
        heavy_owner=500,
        teams=teams,
        heavy_teams=HEAVY_TEAMS,
        heavy_assigned=HEAVY_ASSIGNED,
        board_tasks=BOARD_TASKS,
    )


SMALL = _sizes(users=100, projects=1_000, tasks=10_000, teams=10)
SIZES = {
    "full": {
        "small": SMALL,
        "large": _sizes(users=100_000, projects=1_000_000, tasks=10_000_000, teams=10_000),
    },
    "quick": {
        "small": SMALL,
        "large": _sizes(users=10_000, projects=100_000, tasks=1_000_000, teams=1_000),
    },
    "tiny": {
        "small": SMALL,
        "large": _sizes(users=1_000, projects=10_000, tasks=100_000, teams=100),
    },
}
# The phases that read the seeded databases; `live` makes its own people.
SEEDED_PHASES = frozenset({"servers", "topology", "scale", "tasks"})
# The database paths' rounds: their medians are reported, the host's noise being wide.
DBPATHS_ROUNDS = 3
# The tasks part: the filtered list of the board project, as a team member would read it.
FILTERED_TASKS = "status=todo&assignee=me&sort=due_date"


@dataclasses.dataclass
class Options:
    size: str
    seconds: float
    connections: int
    scale_connections: int
    users: int
    servers: list[Server]
    workers: list[int]
    server: Server
    server_workers: int
    out: Path
    only: set[str]
    profile: bool = False


@dataclasses.dataclass
class Row:
    """One measured load: what ran, the figures, and who spent the machine."""

    name: str
    target: str
    result: WrkResult
    usage: dict[str, Any]
    statements: dict[str, float | None] = dataclasses.field(default_factory=dict)
    ceiling: str | None = None
    # The lean floor for the same work (bench/floor.py), when there is one.
    floor: str | None = None
    # The logins run beside this load, when there were any.
    burst: WrkResult | None = None
    # The role (of `usage`) that answered the load by itself, when one did: its CPU time
    # per request is reported.
    serves: str | None = None

    def cpu_per_request(self) -> float | None:
        """Microseconds of CPU the serving role spent per request."""
        usage = self.usage.get(self.serves or "")
        if not usage or not self.result.rps:
            return None
        return round(float(usage["cpu_percent"]) * 10_000 / self.result.rps, 1)

    def as_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "name": self.name,
            "target": self.target,
            "rps": round(r.rps, 1),
            "p50_ms": r.p50_ms,
            "p90_ms": r.p90_ms,
            "p99_ms": r.p99_ms,
            "max_ms": r.max_ms,
            "requests": r.requests,
            "errors": r.errors,
            "mix": dict(r.mix),
            "sql_per_request": self.statements,
            "usage": self.usage,
            "ceiling": self.ceiling,
            "floor": self.floor,
            "serves": self.serves,
            "cpu_us_per_request": self.cpu_per_request(),
            "burst": None
            if self.burst is None
            else {
                "rps": round(self.burst.rps, 1),
                "p50_ms": self.burst.p50_ms,
                "p99_ms": self.burst.p99_ms,
                "errors": self.burst.errors,
            },
        }


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- databases ---


async def _drop_databases(prefix: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        for service in ("auth", "projects"):
            await connection.execute(f'DROP DATABASE IF EXISTS "{prefix}_{service}" WITH (FORCE)')
    finally:
        await connection.close()


def prepare_databases(prefix: str, sizes: Sizes, runtime: Path) -> float:
    """Fresh, migrated and seeded databases PREFIX_auth and PREFIX_projects; seconds taken."""
    asyncio.run(_drop_databases(prefix))
    stack = Stack(_stack_options(runtime, prefix, Server.uvicorn, 1))
    stack.prepare()
    return asyncio.run(seed(stack.auth_url, stack.projects_url, sizes))


def _stack_options(
    runtime: Path,
    prefix: str,
    server: Server,
    workers: int,
    static: Path | None = None,
    *,
    namespace: str = NAMESPACE,
    limits: RateLimits = OPEN_LIMITS,
    environment: Mapping[str, str] | None = None,
) -> StackOptions:
    return StackOptions(
        runtime_dir=runtime,
        http_port=free_port(),
        https_port=free_port(),
        auth_replicas=1,
        projects_replicas=1,
        server=server,
        workers=workers,
        postgres_url=ADMIN_URL,
        database_prefix=prefix,
        redis_url=REDIS_URL,
        amqp_url=AMQP_URL,
        events_namespace=namespace,
        cache_prefix=f"{namespace}:{uuid.uuid4().hex[:8]}:",
        static_root=static,
        limits=limits,
        environment=dict(environment or {}),
    )


async def _bench_users(projects_url: str, count: int) -> list[tuple[int, str, str]]:
    """Users 1..: (index, a project of their personal workspace with tasks, one of its tasks)."""
    connection = await asyncpg.connect(projects_url)
    try:
        rows = await connection.fetch(
            """
            SELECT DISTINCT ON (p.workspace_id) p.workspace_id, p.id AS project, t.id AS task
            FROM projects p
            JOIN LATERAL (SELECT id FROM tasks WHERE project_id = p.id LIMIT 1) t ON true
            WHERE p.workspace_id = ANY($1::uuid[])
            ORDER BY p.workspace_id, p.task_count DESC
            """,
            [personal_workspace_id(i) for i in range(1, count * 4)],
        )
    finally:
        await connection.close()
    by_home = {r["workspace_id"]: (str(r["project"]), str(r["task"])) for r in rows}
    found = [
        (i, *by_home[personal_workspace_id(i)])
        for i in range(1, count * 4)
        if personal_workspace_id(i) in by_home
    ]
    return found[:count]


async def _login_all(auth_base: str, emails: list[str]) -> list[str]:
    limit = asyncio.Semaphore(4)
    async with httpx.AsyncClient(base_url=auth_base, timeout=60) as client:

        async def one(email: str) -> str:
            async with limit:
                response = await client.post(
                    "/auth/login", json={"email": email, "password": PASSWORD}
                )
                response.raise_for_status()
                token: str = response.json()["access_token"]
                return token

        return list(await asyncio.gather(*(one(e) for e in emails)))


def write_users_file(stack: Stack, auth_base: str, count: int, path: Path) -> Path:
    """Log `count` seeded users in and write the tab-separated file the wrk script reads."""
    users = asyncio.run(_bench_users(stack.projects_url, count))
    emails = [f"user{i}@bench.example" for i, _, _ in users]
    tokens = asyncio.run(_login_all(auth_base, emails))
    lines = [
        f"{token}\t{project}\t{task}\t{email}\t{PASSWORD}"
        for token, (_, project, task), email in zip(tokens, users, emails, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


# --- processes ---


@contextlib.contextmanager
def running(stack: Stack) -> Iterator[Stack]:
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@contextlib.contextmanager
def serving(
    command: list[str],
    log_path: Path,
    ready_url: str,
    name: str,
    *,
    within: float,
    stop_within: float,
    env: Mapping[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """`command` in a session of its own, its output appended to `log_path`, once
    `ready_url` answers 200; afterwards stopped politely, then firmly, with what it forked."""
    with log_path.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - our own commands
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_until_ok(ready_url, process, time.monotonic() + within, name)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=stop_within)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def ceiling_server(server: Server, workers: int, runtime: Path) -> Iterator[tuple[int, int]]:
    """The bare endpoint on `server` with `workers`: (port, pid)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "bench.ceiling",
        *("--server", server.value, "--workers", str(workers), "--port", str(port)),
    ]
    log_path = runtime / f"ceiling-{server}-{workers}.log"
    url = f"http://127.0.0.1:{port}/bytes/10"
    with serving(
        command, log_path, url, "the ceiling server", within=30, stop_within=15
    ) as ceiling:
        yield port, ceiling.pid


@contextlib.contextmanager
def floor_server(
    server: Server, workers: int, runtime: Path, stack: Stack
) -> Iterator[tuple[int, int]]:
    """The lean floor (bench/floor.py) on `server` with `workers`, reading the cache of
    `stack`'s projects service with its tokens: (port, pid)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "bench.floor",
        *("--server", server.value, "--workers", str(workers), "--port", str(port)),
    ]
    env = {
        **os.environ,
        "REDIS_URL": stack.options.redis_url,
        "CACHE_PREFIX": stack.options.cache_prefix,
        "JWKS_URL": f"http://127.0.0.1:{_port(stack, 'auth-0')}/auth/.well-known/jwks.json",
        **stack.options.environment,
    }
    log_path = runtime / f"floor-{server}-{workers}.log"
    url = f"http://127.0.0.1:{port}/ready"
    with serving(
        command, log_path, url, "the floor server", within=30, stop_within=15, env=env
    ) as floor:
        yield port, floor.pid


# The cached reads of the projects service the floor does too: (title, wrk scenario).
CACHED_READS = (
    ("GET /projects (cached)", "projects"),
    ("GET /projects/{id} (cached)", "project"),
    ("GET /projects/{id}/tasks (cached)", "tasks"),
)


def fill_cache(projects: str, users: Path, scenario: str) -> None:
    """Each user's read of `scenario` through the service once, so that the floor finds
    what the service cached (a read's first answer fills it; the floor only reads)."""
    with httpx.Client(base_url=projects, timeout=30) as client:
        for line in users.read_text().splitlines():
            token, project = line.split("\t")[:2]
            path = {
                "projects": "/projects",
                "project": f"/projects/{project}",
                "tasks": f"/projects/{project}/tasks",
            }[scenario]
            client.get(path, headers={"Authorization": f"Bearer {token}"}).raise_for_status()


def _child_pid(stack: Stack, name: str) -> int:
    return next(c.process.pid for c in stack.children if c.name == name)


def _port(stack: Stack, name: str) -> int:
    port = next(c.port for c in stack.children if c.name == name)
    assert port is not None
    return port


class Measure:
    """Runs wrk with the shared settings and records each row."""

    def __init__(self, options: Options, roles: dict[str, list[int]]) -> None:
        self.options = options
        self.roles = roles
        self.rows: list[Row] = []

    def __call__(
        self,
        name: str,
        url: str,
        scenario: str,
        users: Path,
        *,
        path: str = "/",
        connections: int | None = None,
        counters: dict[str, str] | None = None,
        ceiling: str | None = None,
        floor: str | None = None,
        beside: Wrk | None = None,
        serves: str | None = None,
    ) -> Row:
        wrk = Wrk(
            url=url,
            scenario=scenario,
            users=users,
            connections=connections or self.options.connections,
            seconds=self.options.seconds,
            path=path,
        )
        # A short warm-up fills caches, pools and connections first.
        dataclasses.replace(wrk, seconds=2).run()
        before = {k: Counters.scrape(v) for k, v in (counters or {}).items()}
        extra = beside.start() if beside else None
        process = wrk.start()
        profiles = self._profile(name) if self.options.profile else {}
        roles = {**self.roles, "wrk": [process.pid]}
        if extra:
            roles["wrk (burst)"] = [extra.pid]
        with ProcessSampler(roles) as sampler:
            result = Wrk.finish(process)
            burst = Wrk.finish(extra) if extra else None
        for out, recorder in profiles.items():
            recorder.wait()
            if out.exists():
                out.with_suffix(".summary.txt").write_text(summarise(out.read_text()))
        statements = {
            k: Counters.scrape(v).per_request_since(before[k]) for k, v in (counters or {}).items()
        }
        usage = {k: dataclasses.asdict(u) for k, u in sampler.usage().items() if u.processes}
        target = url + (path if scenario == "path" else "")
        row = Row(name, target, result, usage, statements, ceiling, floor, burst, serves)
        self.rows.append(row)
        log(
            f"{name:<44} {result.rps:9.0f} req/s  p50 {result.p50_ms:6.2f} ms"
            f"  p99 {result.p99_ms:6.2f} ms  errors {result.errors}"
        )
        return row

    def _profile(self, name: str) -> dict[Path, subprocess.Popen[bytes]]:
        folder = self.options.out / "profiles"
        folder.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        return {
            folder / f"{slug}.{role}.txt": record(
                pids[0], self.options.seconds, folder / f"{slug}.{role}.txt"
            )
            for role, pids in self.roles.items()
            if role in ("auth", "projects") and pids
        }


# --- the phases ---


def server_matrix(
    options: Options, stack_for: Callable[[Server, int], Stack], runtime: Path
) -> list[Row]:
    rows: list[Row] = []
    for server in options.servers:
        for workers in options.workers:
            stack = stack_for(server, workers)
            with (
                running(stack),
                ceiling_server(server, workers, runtime) as (ceiling, pid),
                floor_server(server, workers, runtime, stack) as (floor, floor_pid),
            ):
                auth = f"http://127.0.0.1:{_port(stack, 'auth-0')}"
                projects = f"http://127.0.0.1:{_port(stack, 'projects-0')}"
                users = write_users_file(stack, auth, options.users, runtime / "users.tsv")
                sizes = _body_sizes(projects, auth, users)
                roles = {
                    "auth": [_child_pid(stack, "auth-0")],
                    "projects": [_child_pid(stack, "projects-0")],
                    "ceiling": [pid],
                    "floor": [floor_pid],
                    "redis": system_pids("redis-server"),
                }
                measure = Measure(options, roles)
                label = f"{server} x{workers}"
                endpoints = (
                    ("GET /projects (cached)", projects, "projects", "projects"),
                    ("GET /auth/validate", auth, "validate", "auth"),
                )
                for title, base, scenario, service in endpoints:
                    bare = measure(
                        f"{label} bare endpoint ({sizes[scenario]} B)",
                        f"http://127.0.0.1:{ceiling}",
                        "path",
                        users,
                        path=f"/bytes/{sizes[scenario]}",
                        serves="ceiling",
                    )
                    lean = None
                    if service == "projects":
                        fill_cache(projects, users, scenario)
                        lean = measure(
                            f"{label} floor: {title}",
                            f"http://127.0.0.1:{floor}",
                            scenario,
                            users,
                            serves="floor",
                        )
                    measure(
                        f"{label} {title}",
                        base,
                        scenario,
                        users,
                        counters={service: base},
                        ceiling=bare.name,
                        floor=lean.name if lean else None,
                        serves=service,
                    )
                rows.extend(measure.rows)
    return rows


def _body_sizes(projects: str, auth: str, users: Path) -> dict[str, int]:
    token = users.read_text().split("\t", 1)[0]
    headers = {"Authorization": f"Bearer {token}"}
    project = users.read_text().split("\t", 2)[1]
    return {
        "projects": len(httpx.get(f"{projects}/projects", headers=headers).content),
        "project": len(httpx.get(f"{projects}/projects/{project}", headers=headers).content),
        "tasks": len(httpx.get(f"{projects}/projects/{project}/tasks", headers=headers).content),
        "validate": len(httpx.get(f"{auth}/auth/validate", headers=headers).content),
    }


def topology(options: Options, stack: Stack, runtime: Path) -> list[Row]:
    o = options
    with (
        running(stack),
        ceiling_server(o.server, o.server_workers, runtime) as (bare_port, pid),
        floor_server(o.server, o.server_workers, runtime, stack) as (floor_port, floor_pid),
    ):
        auth = f"http://127.0.0.1:{_port(stack, 'auth-0')}"
        projects = f"http://127.0.0.1:{_port(stack, 'projects-0')}"
        gateway = f"https://127.0.0.1:{stack.options.https_port}"
        users = write_users_file(stack, auth, o.users, runtime / "users.tsv")
        sizes = _body_sizes(projects, auth, users)
        (runtime / "static" / "ceiling.json").write_bytes(body_of(sizes["projects"]))
        # The same gateway configuration with the bare endpoint in place of projects.
        bare_stack = Stack(
            dataclasses.replace(
                stack.options,
                runtime_dir=runtime / "bare-gateway",
                http_port=free_port(),
                https_port=free_port(),
                status_port=free_port(),
            )
        )
        (runtime / "bare-gateway" / "logs").mkdir(parents=True, exist_ok=True)
        bare_gateway_process = bare_stack.start_gateway([_port(stack, "auth-0")], [bare_port])
        bare_gateway = f"https://127.0.0.1:{bare_stack.options.https_port}"
        try:
            roles = {
                "gateway": [_child_pid(stack, "gateway"), bare_gateway_process.process.pid],
                "auth": [_child_pid(stack, "auth-0")],
                "projects": [_child_pid(stack, "projects-0")],
                "ceiling": [pid],
                "floor": [floor_pid],
                "postgres": system_pids("postgres"),
                "redis": system_pids("redis-server"),
            }
            measure = Measure(o, roles)
            both = {"auth": auth, "projects": projects}
            label = f"{o.server} x{o.server_workers}"
            static = measure(
                "nginx static file (gateway)", gateway, "path", users, path="/ceiling.json"
            )
            bare = measure(
                f"bare endpoint via gateway ({label})",
                bare_gateway,
                "projects",
                users,
                counters={"auth": auth},
            )
            direct_bare = measure(
                f"bare endpoint direct ({label})",
                f"http://127.0.0.1:{bare_port}",
                "path",
                users,
                path=f"/bytes/{sizes['projects']}",
                serves="ceiling",
            )
            reads = measure(
                "GET /projects (cached) via gateway",
                gateway,
                "projects",
                users,
                counters=both,
                ceiling=bare.name,
            )
            for title, scenario in CACHED_READS:
                ceiling = direct_bare
                if sizes[scenario] != sizes["projects"]:
                    ceiling = measure(
                        f"bare endpoint direct ({label}, {sizes[scenario]} B)",
                        f"http://127.0.0.1:{bare_port}",
                        "path",
                        users,
                        path=f"/bytes/{sizes[scenario]}",
                        serves="ceiling",
                    )
                fill_cache(projects, users, scenario)
                lean = measure(
                    f"floor direct ({label}): {title}",
                    f"http://127.0.0.1:{floor_port}",
                    scenario,
                    users,
                    serves="floor",
                )
                measure(
                    f"{title} direct",
                    projects,
                    scenario,
                    users,
                    counters={"projects": projects},
                    ceiling=ceiling.name,
                    floor=lean.name,
                    serves="projects",
                )
            measure(
                "GET /auth/validate via gateway",
                gateway,
                "validate",
                users,
                counters={"auth": auth},
                ceiling=static.name,
            )
            validate_direct = measure(
                "GET /auth/validate direct",
                auth,
                "validate",
                users,
                counters={"auth": auth},
                ceiling=direct_bare.name,
                serves="auth",
            )
            measure("mix 70/20/5/5 via gateway", gateway, "mix", users, counters=both)
            burst = Wrk(
                url=gateway, scenario="login", users=users, connections=8, seconds=o.seconds
            )
            measure(
                "GET /projects during a login burst",
                gateway,
                "projects",
                users,
                counters=both,
                ceiling=reads.name,
                beside=burst,
            )
            # The same burst beside requests the auth service itself answers.
            measure(
                "GET /auth/validate direct during a login burst",
                auth,
                "validate",
                users,
                counters={"auth": auth},
                ceiling=validate_direct.name,
                beside=burst,
            )
        finally:
            bare_stack.stop()
        return measure.rows


def scale(
    options: Options, stacks: dict[str, Stack], runtime: Path
) -> tuple[list[Row], dict[str, Any]]:
    rows: list[Row] = []
    plans: dict[str, Any] = {}
    for name, stack in stacks.items():
        with running(stack):
            auth = f"http://127.0.0.1:{_port(stack, 'auth-0')}"
            projects = f"http://127.0.0.1:{_port(stack, 'projects-0')}"
            users = heavy_owner_file(stack, auth, runtime / f"heavy-{name}.tsv")
            token, project = users.read_text().split("\t")[:2]
            deep = _cursor_after(projects, token, pages=10)
            personal = personal_workspace_id(HEAVY_OWNER)
            team = asyncio.run(largest_team(stack.projects_url))
            roles = {
                "projects": [_child_pid(stack, "projects-0")],
                "postgres": system_pids("postgres"),
            }
            measure = Measure(options, roles)
            conns = options.scale_connections
            counters = {"projects": projects}
            measure(
                f"{name}: list across workspaces, first page",
                projects,
                "projects",
                users,
                connections=conns,
                counters=counters,
            )
            measure(
                f"{name}: list across workspaces, 11th page",
                projects,
                "path",
                users,
                path=f"/projects?cursor={deep}",
                connections=conns,
                counters=counters,
            )
            measure(
                f"{name}: list of one workspace, first page",
                projects,
                "path",
                users,
                path=f"/projects?workspace={personal}",
                connections=conns,
                counters=counters,
            )
            measure(
                f"{name}: project", projects, "project", users, connections=conns, counters=counters
            )
            measure(
                f"{name}: project's tasks",
                projects,
                "tasks",
                users,
                connections=conns,
                counters=counters,
            )
            measure(
                f"{name}: workspaces",
                projects,
                "path",
                users,
                path="/workspaces",
                connections=conns,
                counters=counters,
            )
            measure(
                f"{name}: members of a workspace",
                projects,
                "path",
                users,
                path=f"/workspaces/{team}/members",
                connections=conns,
                counters=counters,
            )
            rows.extend(measure.rows)
            plans[name] = asyncio.run(
                explain(stack.projects_url, project, deep, str(personal), str(team))
            )
    return rows, plans


def heavy_owner_file(stack: Stack, auth_base: str, path: Path, project: str | None = None) -> Path:
    """The heavy owner's token with `project` (else their personal project of most tasks)."""

    async def pick() -> str:
        connection = await asyncpg.connect(stack.projects_url)
        try:
            found = await connection.fetchval(
                "SELECT id FROM projects WHERE workspace_id = $1 ORDER BY task_count DESC LIMIT 1",
                personal_workspace_id(HEAVY_OWNER),
            )
        finally:
            await connection.close()
        return str(found)

    project = project or asyncio.run(pick())
    email = f"user{HEAVY_OWNER}@bench.example"
    (token,) = asyncio.run(_login_all(auth_base, [email]))
    path.write_text(f"{token}\t{project}\t-\t{email}\t{PASSWORD}\n")
    return path


async def largest_team(projects_url: str) -> uuid.UUID:
    """The shared workspace with the most members among the heavy owner's."""
    connection = await asyncpg.connect(projects_url)
    try:
        team: uuid.UUID = await connection.fetchval(
            """
            SELECT m.workspace_id FROM memberships m
            JOIN memberships mine ON mine.workspace_id = m.workspace_id AND mine.user_id = $1
            WHERE m.workspace_id <> $2
            GROUP BY m.workspace_id ORDER BY count(*) DESC, m.workspace_id LIMIT 1
            """,
            _user_id(HEAVY_OWNER),
            personal_workspace_id(HEAVY_OWNER),
        )
    finally:
        await connection.close()
    return team


def _cursor_after(projects: str, token: str, pages: int) -> str:
    cursor = ""
    for _ in range(pages):
        page = httpx.get(
            f"{projects}/projects",
            params={"cursor": cursor} if cursor else {},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        cursor = page["next_cursor"]
    return cursor


async def explain_reads(projects_url: str, reads_of: Callable[[Services], Reads]) -> dict[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements each read sends, in order."""
    plans = await statement_plans(projects_url, reads_of)
    return {name: "\n\n".join(texts) for name, texts in plans.items()}


async def explain(
    projects_url: str, project_id: str, cursor: str, personal: str, team: str
) -> dict[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements each page's read sends."""
    from projectconnect.projects.listing import TaskQuery

    owner = _user_id(HEAVY_OWNER)

    def reads(s: Services) -> Reads:
        service, workspaces = s.projects, s.workspaces
        return {
            "list across workspaces, first page": lambda: service.list_projects(owner, 20, None),
            "list across workspaces, 11th page": lambda: service.list_projects(owner, 20, cursor),
            "list of one workspace, first page": lambda: service.list_projects(
                owner, 20, None, personal
            ),
            "project": lambda: service.get_project(owner, project_id),
            "project's tasks": lambda: service.list_tasks(owner, project_id, 20, None),
            "project's tasks, a board column": lambda: service.list_tasks(
                owner,
                project_id,
                20,
                None,
                TaskQuery(statuses=frozenset({"todo"}), sort="position"),
            ),
            "project's tasks, by due date": lambda: service.list_tasks(
                owner, project_id, 20, None, TaskQuery(sort="due_date")
            ),
            "project's tasks, by priority": lambda: service.list_tasks(
                owner, project_id, 20, None, TaskQuery(sort="priority", order="desc")
            ),
            "workspaces": lambda: workspaces.list_workspaces(owner),
            "members of a workspace": lambda: workspaces.members(owner, team, 20, None),
        }

    return await explain_reads(projects_url, reads)


# --- tasks at scale ---

BOARD_COLUMNS = ("backlog", "todo", "in_progress", "done", "cancelled")
BOARD_COLUMN = "status={}&sort=position&limit=100"
# The reads of one board's columns; the ratio table adds them up into the board's.
BOARD = "board column"


def task_reads(board: str) -> list[tuple[str, str, str]]:
    """(read, wrk scenario, path) of each measured read of the heavy owner's tasks."""
    return [
        (
            "filtered task list (todo, mine, by due date)",
            "path",
            f"/projects/{board}/tasks?{FILTERED_TASKS}",
        ),
        *(
            (f"{BOARD} {status}", "path", f"/projects/{board}/tasks?{BOARD_COLUMN.format(status)}")
            for status in BOARD_COLUMNS
        ),
        (f"search, a rare word ({RARE_WORD})", "path", f"/search?q={RARE_WORD}"),
        (f"search, a common word ({COMMON_WORD})", "path", f"/search?q={COMMON_WORD}"),
        ("My tasks", "path", "/me/tasks"),
    ]


async def board_project(projects_url: str, sizes: Sizes) -> str:
    """The project of exactly `board_tasks` tasks in the heavy owner's board workspace."""
    connection = await asyncpg.connect(projects_url)
    try:
        project = await connection.fetchval(
            """
            SELECT t.project_id FROM tasks t JOIN projects p ON p.id = t.project_id
            WHERE p.workspace_id = $1 GROUP BY t.project_id HAVING count(*) = $2 LIMIT 1
            """,
            board_workspace(sizes),
            sizes.board_tasks,
        )
    finally:
        await connection.close()
    if project is None:
        raise RuntimeError(f"no project of {sizes.board_tasks} tasks: seeded without a board?")
    return str(project)


async def explain_task_reads(projects_url: str, board: str) -> dict[str, str]:
    from projectconnect.projects.listing import TaskQuery

    owner = _user_id(HEAVY_OWNER)
    today = dt.datetime.now(dt.UTC).date()
    filtered = TaskQuery.parse(owner, status=["todo"], assignee=["me"], sort="due_date")

    async def whole_board(s: Services) -> None:
        for status in BOARD_COLUMNS:
            query = TaskQuery(statuses=frozenset({status}), sort="position")
            await s.projects.list_tasks(owner, board, 100, None, query)

    def reads(s: Services) -> Reads:
        return {
            "filtered task list (todo, mine, by due date)": lambda: s.projects.list_tasks(
                owner, board, 20, None, filtered
            ),
            "board: its 5 columns, 100 tasks each": lambda: whole_board(s),
            f"search, a rare word ({RARE_WORD})": lambda: s.search.search(owner, RARE_WORD, 20),
            f"search, a common word ({COMMON_WORD})": lambda: s.search.search(
                owner, COMMON_WORD, 20
            ),
            "My tasks": lambda: s.my_tasks.agenda(owner, today),
        }

    return await explain_reads(projects_url, reads)


def tasks_at_scale(
    options: Options, stacks: dict[str, tuple[Stack, Sizes]], runtime: Path
) -> tuple[list[Row], dict[str, Any]]:
    rows: list[Row] = []
    plans: dict[str, Any] = {}
    for name, (stack, sizes) in stacks.items():
        with running(stack):
            auth = f"http://127.0.0.1:{_port(stack, 'auth-0')}"
            projects = f"http://127.0.0.1:{_port(stack, 'projects-0')}"
            board = asyncio.run(board_project(stack.projects_url, sizes))
            slug = re.sub(r"[^a-z0-9]+", "-", name.lower())
            users = heavy_owner_file(stack, auth, runtime / f"tasks-{slug}.tsv", board)
            roles = {
                "projects": [_child_pid(stack, "projects-0")],
                "postgres": system_pids("postgres"),
            }
            measure = Measure(options, roles)
            for read, scenario, path in task_reads(board):
                measure(
                    f"{name}: {read}",
                    projects,
                    scenario,
                    users,
                    path=path,
                    connections=options.scale_connections,
                    counters={"projects": projects},
                )
            rows.extend(measure.rows)
            plans[name] = asyncio.run(explain_task_reads(stack.projects_url, board))
    return rows, plans


def _whole_board(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per size, the board's columns added up (the p99s too: an upper bound)."""
    by_size: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        size, read = row["name"].split(": ", 1)
        if read.startswith(BOARD):
            by_size.setdefault(size, []).append(row)
    return [
        {
            "name": f"{size}: board, its {len(columns)} columns one after the other (sum)",
            "p50_ms": round(sum(r["p50_ms"] for r in columns), 2),
            "p99_ms": round(sum(r["p99_ms"] for r in columns), 2),
            "rps": round(1 / sum(1 / r["rps"] for r in columns), 1)
            if all(r["rps"] for r in columns)
            else 0.0,
        }
        for size, columns in by_size.items()
    ]


def task_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per read: its figures at the first size and the last, and the ratios last/first."""
    by_read: dict[str, list[dict[str, Any]]] = {}
    for row in [*rows, *_whole_board(rows)]:
        by_read.setdefault(row["name"].split(": ", 1)[1], []).append(row)
    found = []
    for read, measured in by_read.items():
        small, large = measured[0], measured[-1]
        found.append(
            {
                "read": read,
                "sizes": [r["name"].split(": ", 1)[0] for r in (small, large)],
                "p50_ms": [small["p50_ms"], large["p50_ms"]],
                "p99_ms": [small["p99_ms"], large["p99_ms"]],
                "rps": [small["rps"], large["rps"]],
                "p50_ratio": round(large["p50_ms"] / small["p50_ms"], 2)
                if small["p50_ms"]
                else None,
                "p99_ratio": round(large["p99_ms"] / small["p99_ms"], 2)
                if small["p99_ms"]
                else None,
            }
        )
    return found


def ratio_table(ratios: list[dict[str, Any]]) -> str:
    if not ratios:
        return ""
    small, large = ratios[0]["sizes"]
    lines = [
        f"| read | p50 ms {small} | p50 ms {large} | p50 ratio | p99 ms {small} "
        f"| p99 ms {large} | p99 ratio | req/s {small} | req/s {large} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in ratios:
        lines.append(
            f"| {r['read']} | {r['p50_ms'][0]:.2f} | {r['p50_ms'][1]:.2f} | {r['p50_ratio']}x "
            f"| {r['p99_ms'][0]:.2f} | {r['p99_ms'][1]:.2f} | {r['p99_ratio']}x "
            f"| {r['rps'][0]:,.0f} | {r['rps'][1]:,.0f} |"
        )
    return "\n".join(lines)


# --- report ---


def _ratio(row: dict[str, Any], by_name: dict[str, dict[str, Any]], of: str = "ceiling") -> str:
    """The row's req/s as a share of its ceiling's (or floor's), named."""
    ceiling = by_name.get(row.get(of) or "")
    if not ceiling or not ceiling["rps"]:
        return ""
    found = f"{row['rps'] / ceiling['rps']:.0%} of {ceiling['name']}"
    mine, theirs = row.get("cpu_us_per_request"), ceiling.get("cpu_us_per_request")
    if mine and theirs:
        found += f" ({mine / theirs:.1f}x its CPU/req)"
    return found


def _usage(row: dict[str, Any]) -> str:
    return ", ".join(
        f"{role} {u['cpu_percent']:.0f}% {u['rss_mib']:.0f} MiB" for role, u in row["usage"].items()
    )


def _cpu(row: dict[str, Any]) -> str:
    value = row.get("cpu_us_per_request")
    return f"{value:,.0f} ({row['serves']})" if value else ""


def _sql(row: dict[str, Any]) -> str:
    values = row["sql_per_request"]
    return ", ".join(f"{k} {v:.2f}" for k, v in values.items() if v is not None) or "-"


def table(rows: list[dict[str, Any]], by_name: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| load | req/s | p50 ms | p99 ms | errors | SQL/req | CPU µs/req | vs floor | vs ceiling "
        "| CPU (100% = 1 core), peak RSS |",
        "|---|---:|---:|---:|---:|---|---:|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
            f"| {r['errors']} | {_sql(r)} | {_cpu(r)} | {_ratio(r, by_name, 'floor')} "
            f"| {_ratio(r, by_name)} | {_usage(r)} |"
        )
    return "\n".join(lines)


def dbpaths_table(rows: list[dict[str, Any]]) -> str:
    """Each path's rounds in one line: the median of each figure, the errors summed."""
    lines = [
        "| path | req/s | p50 ms | p99 ms | CPU µs/req | SQL/req | errors | non-2xx by status |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    paths = dict.fromkeys(r["path"] for r in rows)
    for path in paths:
        rounds = [r for r in rows if r["path"] == path]

        def median(key: str, rounds: list[dict[str, Any]] = rounds) -> float:
            return float(statistics.median(r[key] for r in rounds if r[key] is not None))

        statuses: collections.Counter[str] = collections.Counter()
        for r in rounds:
            statuses.update(r["statuses"])
        mix = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items())) or "-"
        sql = median("sql_per_request") if any(r["sql_per_request"] for r in rounds) else None
        lines.append(
            f"| {path} | {median('rps'):,.0f} | {median('p50_ms'):.2f} | {median('p99_ms'):.2f} "
            f"| {median('cpu_us_per_request'):,.0f} | {'-' if sql is None else f'{sql:.1f}'} "
            f"| {sum(r['errors'] for r in rounds)} | {mix} |"
        )
    return "\n".join(lines)


def render(report: dict[str, Any]) -> str:
    every = [r for key in ("servers", "topology", "scale", "tasks") for r in report.get(key, [])]
    by_name = {r["name"]: r for r in every}
    parts = [
        f"Run {report['started']} on {report['machine']}",
        f"Command: `{report['command']}`",
        f"Seeding: {report['seeding'] or 'none (no phase reads the seeded databases)'}",
    ]
    titles = {
        "servers": "Servers and workers, directly (64 connections)",
        "topology": "Through the gateway and directly",
        "scale": "Scale: pages from the database (read cache off)",
        "tasks": "Tasks at scale: the heavy owner's task reads from the database (read cache off)",
    }
    for key, title in titles.items():
        if report.get(key):
            parts.append(f"### {title}\n\n{table(report[key], by_name)}")
    if report.get("task_ratios"):
        parts.append(
            "### Tasks at scale: large against small (req/s of the board: whole boards)\n\n"
            + ratio_table(report["task_ratios"])
        )
    for r in report.get("topology", []):
        b = r.get("burst")
        if b:
            parts.append(
                f"{r['name']}: the burst beside it made {b['rps']:.1f} logins/s, "
                f"p50 {b['p50_ms']:.0f} ms, p99 {b['p99_ms']:.0f} ms, errors {b['errors']}."
            )
    if report.get("dbpaths"):
        parts.append(
            "### The database paths (read cache off, one projects worker; medians of "
            f"{DBPATHS_ROUNDS} rounds, errors summed)\n\n" + dbpaths_table(report["dbpaths"])
        )
    for target in report.get("live", {}).get("targets", []):
        parts.append(live_report.render_target(target))
    for key in ("plans", "task_plans"):
        for size, plans in report.get(key, {}).items():
            for page, plan in plans.items():
                parts.append(f"#### EXPLAIN, {size}: {page}\n\n```\n{plan}\n```")
    return "\n\n".join(parts) + "\n"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = psutil.virtual_memory().total / 2**30
    return f"{psutil.cpu_count()} x {cpu}, {memory:.0f} GiB, Python {platform.python_version()}"


async def _clean_up_shared(namespace: str = NAMESPACE) -> None:
    """The Redis keys and RabbitMQ queues of the stacks run under `namespace`."""
    import redis.asyncio as redis
    from aio_pika import connect_robust

    from projectconnect.infra.rabbitmq import Topology

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in client.scan_iter(match=f"{namespace}:*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start : start + 1000])
    finally:
        await client.aclose()
    connection = await connect_robust(AMQP_URL)
    try:
        channel = await connection.channel()
        await Topology(namespace=namespace).delete(channel)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--scale-connections", type=int, default=16)
    parser.add_argument("--users", type=int, default=64, help="Distinct users in the load.")
    parser.add_argument("--servers", default="uvicorn,granian")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument(
        "--server",
        type=Server,
        default=Server.uvicorn,
        help="The server for the topology and scale phases.",
    )
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument(
        "--only",
        default="servers,topology,scale,tasks,dbpaths",
        help="Phases among servers, topology, scale, tasks, dbpaths and live.",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the services during each load."
    )
    args = parser.parse_args()
    options = Options(
        size=args.size,
        seconds=args.seconds,
        connections=args.connections,
        scale_connections=args.scale_connections,
        users=args.users,
        servers=[Server(s) for s in args.servers.split(",")],
        workers=[int(w) for w in args.workers.split(",")],
        server=args.server,
        server_workers=args.server_workers,
        out=args.out,
        only=set(args.only.split(",")),
        profile=args.profile,
    )
    report: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": shlex.join(["python", "-m", "bench.run", *sys.argv[1:]]),
    }
    sizes = SIZES[options.size]
    prefixes = {name: f"{NAMESPACE}_{name}" for name in sizes}
    with tempfile.TemporaryDirectory(prefix="pcbench-") as scratch:
        runtime = Path(scratch)
        (runtime / "static").mkdir()
        try:
            seeding = []
            for name, size in sizes.items() if options.only & SEEDED_PHASES else ():
                log(f"seeding {name}: {size}")
                seconds = prepare_databases(prefixes[name], size, runtime / name)
                count = size.users + size.projects + size.tasks
                seeding.append(f"{name} {size} in {seconds:.1f} s ({count / seconds:,.0f} rows/s)")
                log(seeding[-1])
            report["seeding"] = "; ".join(seeding)

            def stack_for(server: Server, workers: int, name: str = "large", **env: str) -> Stack:
                options = _stack_options(
                    runtime / name,
                    prefixes[name],
                    server,
                    workers,
                    runtime / "static",
                    environment=env,
                )
                return Stack(options)

            if "servers" in options.only:
                rows = server_matrix(options, stack_for, runtime)
                report["servers"] = [r.as_dict() for r in rows]
            if "topology" in options.only:
                rows = topology(options, stack_for(options.server, options.server_workers), runtime)
                report["topology"] = [r.as_dict() for r in rows]
            if "scale" in options.only:
                stacks = {
                    f"{sizes[name].projects:,} projects": stack_for(
                        options.server, options.server_workers, name, PROJECTS_READ_CACHE="false"
                    )
                    for name in ("small", "large")
                }
                rows, plans = scale(options, stacks, runtime)
                report["scale"] = [r.as_dict() for r in rows]
                report["plans"] = plans
            if "tasks" in options.only:
                task_stacks = {
                    f"{sizes[name].tasks:,} tasks": (
                        stack_for(
                            options.server,
                            options.server_workers,
                            name,
                            PROJECTS_READ_CACHE="false",
                        ),
                        sizes[name],
                    )
                    for name in ("small", "large")
                }
                rows, plans = tasks_at_scale(options, task_stacks, runtime)
                report["tasks"] = [r.as_dict() for r in rows]
                report["task_ratios"] = task_ratios(report["tasks"])
                report["task_plans"] = plans
            if "dbpaths" in options.only:
                from bench import dbpaths  # it imports this module: only when asked for

                settings = dbpaths.Settings(
                    seconds=options.seconds,
                    connections=options.connections,
                    rounds=DBPATHS_ROUNDS,
                    profile=options.out / "profiles" / "dbpaths" if options.profile else None,
                )
                report["dbpaths"] = [f.as_dict() for f in dbpaths.run(settings)]
            if "live" in options.only:
                from bench import live  # it imports this module: only when asked for

                live_options = live.Options(
                    seconds=options.seconds,
                    connections=options.connections,
                    out=options.out / "live",
                )
                report["live"] = live.measure(
                    live_options, ["python", "-m", "bench.run", *sys.argv[1:]]
                )
        finally:
            for prefix in prefixes.values():
                asyncio.run(_drop_databases(prefix))
            asyncio.run(_clean_up_shared())
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    (options.out / "results.md").write_text(render(report))
    log(f"wrote {options.out / 'results.md'}")


if __name__ == "__main__":
    main()
