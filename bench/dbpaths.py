"""The projects service's database paths under load, by hand:

    python -m bench.dbpaths [--seconds 10] [--connections 64] [--rounds 1]
        [--paths projects,project,tasks,create,patch] [--profile OUT_DIR] [--keep]

Seeds a small pair of databases (bench.seed), starts the stack with the read cache off
(`PROJECTS_READ_CACHE=false`, one projects worker) and runs wrk at `--connections` on each
path straight at the projects service: GET /projects, GET /projects/{id}, the project's
tasks, POST /projects and PATCH of a task's title. Each line: req/s, p50/p99, errors
(connect/read/write/timeout and non-2xx), the projects process's CPU per request and SQL
statements per request. `--profile DIR` samples the service with py-spy during each run
and writes DIR/PATH.summary.txt. `--keep` leaves the databases for the next run
(`--reuse` starts from them).

To compare two versions of the service in the same window, run this from each at the same
time (PYTHONPATH=OTHER/src picks the other's code) with the same `--turns LOCKFILE`: their
loads alternate. Each run's Redis keys and queues are its own (namespace `pcdbpathsPID`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import fcntl
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from bench.load import SCRIPT, Counters, ProcessSampler, Wrk, WrkResult
from bench.profile import record, summarise
from bench.run import (
    NAMESPACE,
    _child_pid,
    _clean_up_shared,
    _drop_databases,
    _port,
    _sizes,
    _stack_options,
    log,
    prepare_databases,
    running,
    write_users_file,
)
from projectconnect.servers import Server
from projectconnect.stack import Stack

DBPATHS_SCRIPT = SCRIPT.with_name("dbpaths.lua")
PATHS = {
    "projects": "GET /projects",
    "project": "GET /projects/{id}",
    "tasks": "GET /projects/{id}/tasks",
    "create": "POST /projects",
    "patch": "PATCH /projects/{id}/tasks/{task}",
}
SIZES = _sizes(users=100, projects=1_000, tasks=10_000, teams=10)


@dataclasses.dataclass(frozen=True, slots=True)
class PathWrk(Wrk):
    """wrk with the database paths' script."""

    def command(self) -> list[str]:
        command = Wrk.command(self)
        command[command.index(str(SCRIPT))] = str(DBPATHS_SCRIPT)
        return command


@dataclasses.dataclass(frozen=True, slots=True)
class Figures:
    path: str
    result: WrkResult
    cpu_us: float
    statements: float | None

    def line(self) -> str:
        r = self.result
        sql = "-" if self.statements is None else f"{self.statements:.1f}"
        statuses = " ".join(f"{code}: {count}" for code, count in sorted(r.mix.items()))
        return (
            f"{PATHS[self.path]:<36} {r.rps:7.0f} req/s  p50 {r.p50_ms:7.2f} ms  "
            f"p99 {r.p99_ms:7.2f} ms  errors {r.errors:5d} (non-2xx {r.status_errors:5d})  "
            f"CPU {self.cpu_us:6.0f} us/req  SQL {sql}/req  {statuses}"
        ).rstrip()

    def as_dict(self) -> dict[str, object]:
        r = self.result
        return {
            "path": PATHS[self.path],
            "rps": round(r.rps, 1),
            "p50_ms": r.p50_ms,
            "p99_ms": r.p99_ms,
            "errors": r.errors,
            "non_2xx": r.status_errors,
            "statuses": dict(r.mix),
            "cpu_us_per_request": round(self.cpu_us),
            "sql_per_request": self.statements,
        }


@dataclasses.dataclass(frozen=True)
class Settings:
    """One run of the database paths: what `main` reads from its arguments, and what
    `make bench`'s `dbpaths` phase passes."""

    seconds: float = 10.0
    connections: int = 64
    rounds: int = 1
    paths: tuple[str, ...] = tuple(PATHS)
    users: int = 32
    profile: Path | None = None
    prefix: str = f"{NAMESPACE}_dbpaths"
    turns: Path | None = None
    reuse: bool = False
    keep: bool = False
    wrk: str = "wrk"
    environment: Mapping[str, str] = dataclasses.field(default_factory=dict)


def measure(path: str, base: str, users: Path, pid: int, settings: Settings) -> Figures:
    wrk = PathWrk(
        url=base,
        scenario=path,
        users=users,
        connections=settings.connections,
        seconds=settings.seconds,
        executable=settings.wrk,
    )
    dataclasses.replace(wrk, seconds=2).run()  # warm: pools, connections, statement caches
    before = Counters.scrape(base)
    profile = None
    if settings.profile is not None:
        settings.profile.mkdir(parents=True, exist_ok=True)
        profile = settings.profile / f"{path}.txt"
        recorder = record(pid, settings.seconds, profile)
    process = wrk.start()
    with ProcessSampler({"projects": [pid]}) as sampler:
        result = Wrk.finish(process)
    usage = sampler.usage()["projects"]
    statements = Counters.scrape(base).per_request_since(before)
    if profile is not None:
        recorder.wait()
        if profile.exists():
            profile.with_suffix(".summary.txt").write_text(summarise(profile.read_text()))
    busy_seconds = usage.cpu_percent / 100 * result.seconds
    cpu_us = busy_seconds / result.requests * 1e6 if result.requests else 0.0
    return Figures(path, result, cpu_us, statements)


@contextlib.contextmanager
def turn(lock: Path | None) -> Iterator[None]:
    """Held around one load, so two runs side by side (two versions) alternate their loads
    in the same window; a pause after each lets the other one take the next turn."""
    if lock is None:
        yield
        return
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    time.sleep(1.0)


def run(settings: Settings) -> list[Figures]:
    """Seeds (unless reused), starts the stack with the read cache off and one projects
    worker, and loads each path `rounds` times; the databases are dropped afterwards unless
    kept, and this run's Redis keys and queues always."""
    environment = {"PROJECTS_READ_CACHE": "false", **settings.environment}
    figures: list[Figures] = []
    # Redis keys and queues of this run only: others may be benchmarking beside it.
    namespace = f"pcdbpaths{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="pcdbpaths-") as scratch:
        runtime = Path(scratch)
        try:
            if not settings.reuse:
                log(f"seeding {SIZES}")
                prepare_databases(settings.prefix, SIZES, runtime / "seed")
            options = _stack_options(
                runtime / "run",
                settings.prefix,
                Server.uvicorn,
                1,
                namespace=namespace,
                environment=environment,
            )
            stack = Stack(options)
            with running(stack):
                auth = f"http://127.0.0.1:{_port(stack, 'auth-0')}"
                base = f"http://127.0.0.1:{_port(stack, 'projects-0')}"
                pid = _child_pid(stack, "projects-0")
                users = write_users_file(stack, auth, settings.users, runtime / "users.tsv")
                for round_ in range(settings.rounds):
                    for path in settings.paths:
                        with turn(settings.turns):
                            found = measure(path, base, users, pid, settings)
                        figures.append(found)
                        log(f"round {round_ + 1}: {found.line()}")
        finally:
            if not settings.keep:
                asyncio.run(_drop_databases(settings.prefix))
            asyncio.run(_clean_up_shared(namespace))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=Settings.seconds)
    parser.add_argument("--connections", type=int, default=Settings.connections)
    parser.add_argument("--rounds", type=int, default=Settings.rounds)
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--users", type=int, default=Settings.users)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--prefix", default=Settings.prefix)
    parser.add_argument(
        "--turns",
        type=Path,
        default=None,
        help="A lock file: runs of this script naming the same one take turns per load.",
    )
    parser.add_argument("--reuse", action="store_true", help="Seeded databases from --keep.")
    parser.add_argument("--keep", action="store_true", help="Leave the databases afterwards.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    parser.add_argument("--wrk", default=Settings.wrk)
    parser.add_argument("--label", default="this tree", help="What the figures are of.")
    parser.add_argument(
        "--env", action="append", default=[], help="NAME=VALUE for the projects service."
    )
    args = parser.parse_args()
    paths = tuple(args.paths.split(","))
    if unknown := sorted(set(paths) - set(PATHS)):
        parser.error(f"unknown --paths {', '.join(unknown)}: choose from {', '.join(PATHS)}")
    figures = run(
        Settings(
            seconds=args.seconds,
            connections=args.connections,
            rounds=args.rounds,
            paths=paths,
            users=args.users,
            profile=args.profile,
            prefix=args.prefix,
            turns=args.turns,
            reuse=args.reuse,
            keep=args.keep,
            wrk=args.wrk,
            environment=dict(e.split("=", 1) for e in args.env),
        )
    )
    print(f"# {args.label}: {' '.join(sys.argv)}")
    for f in figures:
        print(f.line())
    if args.json is not None:
        args.json.write_text(json.dumps([f.as_dict() for f in figures], indent=2) + "\n")


if __name__ == "__main__":
    main()
