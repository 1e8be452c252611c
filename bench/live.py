"""Live updates under load: open streams, a write fanned out to their subscribers.

    python -m bench.live [--mode distributed,embedded] [--streams 1000] [--subscribers 50]
        [--writes 200] [--rate 10] [--repeats 2] [--rounds 3] [--seconds 10]
        [--out bench/results/<date>-live] [--profile]

For each mode, on throwaway databases, keys and queues that it removes afterwards:

- distributed: the stack of `projectconnect stack` (nginx with TLS, one auth and one
  projects replica on uvicorn, the relay and the consumer, PostgreSQL, Redis, RabbitMQ),
  every request through the gateway; the streams all land on the one projects replica.
- embedded: `projectconnect dev` (one process, SQLite, the in-process feed), directly.

Then, in the one client process (uvloop when installed):

1. People: one writer; `--subscribers` members of the writer's workspace (invited, one
   stream each); the rest of the `--streams` held by other people, up to
   `--per-person` each, who are members of nothing written to.
2. The stream process's RSS before and after opening every stream (memory per stream),
   and its CPU while they are open at rest (`--idle-seconds`).
3. `--repeats` times: `--writes` task writes (creates and updates, one at a time, paced at
   `--rate`) into a workspace no stream subscribes to, then the same into the workspace of
   the subscribers. Per notice each subscriber receives, its delay from the write's request
   and from its response (client clock); the service's `live_notice_lag_seconds` (commit →
   sent) from its /metrics; the process's CPU over each phase: all of it per notice sent,
   and the difference between the two phases per notice sent (the delivery alone).
4. Cached GET /projects with wrk (`--connections`, 2 s warm-up, `--seconds`), `--rounds`
   times with the streams open and without them, interleaved; medians and their ratio.

Results go to OUT/live.json and OUT/live.md (docs/benchmarks.md, Live updates).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import itertools
import json
import os
import re
import shlex
import signal
import ssl
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from bench import live_report as figures
from bench.live_client import (
    PASSWORD,
    LoopLag,
    Person,
    Streams,
    Write,
    own_cpu_seconds,
    paced_writes,
    sign_up,
    team,
    until,
    verified,
)
from bench.load import Counters, ProcessSampler, Wrk, cpu_seconds, rss_mib, system_pids
from bench.profile import record, summarise
from bench.run import (
    OPEN_LIMITS,
    _child_pid,
    _clean_up_shared,
    _drop_databases,
    _port,
    _stack_options,
    log,
    machine,
    running,
    serving,
)
from projectconnect.servers import Server
from projectconnect.stack import Stack, free_port

MODES = ("distributed", "embedded")
# The targets for p99 lag: through the gateway, and embedded.
TARGET_MS = {"distributed": 1000.0, "embedded": 100.0}
# Accounts are made for the run: cheap hashing and open sign-up limits (argon2 is not
# what is measured), and tokens that outlive the run, since a stream ends with its token.
SERVICE_ENV = {
    "AUTH_ARGON2_TIME_COST": "1",
    "AUTH_ARGON2_MEMORY_KIB": "1024",
    "AUTH_HASHING_QUEUE_LIMIT": "1000",
    "AUTH_REGISTRATIONS_PER_IP": "100000 per hour",
    "AUTH_LOGIN_FAILURES_PER_IP": "100000 per hour",
    "AUTH_ACCESS_TOKEN_TTL_SECONDS": "3600",
}
# Notices still missing this long after the last write's response are counted as missing.
DRAIN_SECONDS = 10.0
# All streams come from one address: the per-address stream limit is opened too.
GATEWAY_LIMITS = dataclasses.replace(OPEN_LIMITS, streams_per_ip=50_000, connections_per_ip=50_000)


@dataclasses.dataclass(frozen=True)
class Options:
    modes: tuple[str, ...] = MODES
    streams: int = 1000
    subscribers: int = 50
    per_person: int = 5
    writes: int = 200
    rate: float = 10.0
    repeats: int = 2
    rounds: int = 3
    seconds: float = 10.0
    connections: int = 64
    idle_seconds: float = 10.0
    settle_seconds: float = 3.0
    workers: int = 1
    out: Path = Path("bench/results")
    profile: bool = False
    # Settings for the services beyond SERVICE_ENV: experiments, named in the report.
    environment: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass
class Target:
    """What serves the streams, and how the client reaches it."""

    mode: str
    name: str
    base_url: str
    # The process that serves the streams: its /metrics, and its pid (with children).
    metrics_url: str
    pid: int
    verify: ssl.SSLContext | bool
    roles: dict[str, list[int]]
    # Where the target's mailer writes its .eml files (the confirmation links).
    mail_dir: Path
    # The services' logs: their warnings are counted in the report.
    logs: list[Path] = dataclasses.field(default_factory=list)


async def steady_rss_mib(pid: int, samples: int = 5) -> float:
    """The median of a few readings a quarter of a second apart."""
    readings = []
    for _ in range(samples):
        readings.append(rss_mib(pid))
        await asyncio.sleep(0.25)
    return float(figures.median(readings) or 0.0)


# --- the targets ---


@contextlib.contextmanager
def distributed(options: Options, runtime: Path) -> Iterator[Target]:
    run = uuid.uuid4().hex[:8]
    prefix, namespace = f"pcbench_live_{run}", f"pcbench-live-{run}"
    environment = {
        **SERVICE_ENV,
        "PROJECTS_LIVE_STREAMS_PER_USER": str(options.per_person),
        **dict(options.environment),
    }
    stack = Stack(
        _stack_options(
            runtime / "stack",
            prefix,
            Server.uvicorn,
            options.workers,
            namespace=namespace,
            limits=GATEWAY_LIMITS,
            environment=environment,
        )
    )
    try:
        with running(stack):
            replica = _child_pid(stack, "projects-0")
            logs = {c.name: c.log for c in stack.children}
            yield Target(
                mode="distributed",
                name="Distributed stack, through the gateway",
                base_url=f"https://127.0.0.1:{stack.options.https_port}",
                metrics_url=f"http://127.0.0.1:{_port(stack, 'projects-0')}",
                pid=replica,
                verify=ssl.create_default_context(cafile=str(stack.runtime / "tls" / "tls.crt")),
                roles={
                    "projects": [replica],
                    "gateway": [_child_pid(stack, "gateway")],
                    "auth": [_child_pid(stack, "auth-0")],
                    "redis": system_pids("redis-server"),
                },
                mail_dir=stack.runtime / "mail",
                logs=[logs["projects-0"], logs["auth-0"]],
            )
    finally:
        asyncio.run(_drop_databases(prefix))
        asyncio.run(_clean_up_shared(namespace))


@contextlib.contextmanager
def embedded(options: Options, runtime: Path) -> Iterator[Target]:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "AMQP_URL", "DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR")
    }
    env.update(SERVICE_ENV, PROJECTS_LIVE_STREAMS_PER_USER=str(options.per_person))
    env.update(options.environment)
    command = [
        *(sys.executable, "-m", "projectconnect", "dev"),
        *("--port", str(port), "--data-dir", str(runtime / "embedded")),
    ]
    url, log_path = f"http://127.0.0.1:{port}", runtime / "embedded.log"
    ready = f"{url}/health/ready"
    with serving(
        command, log_path, ready, "projectconnect dev", within=120, stop_within=20, env=env
    ) as process:
        yield Target(
            mode="embedded",
            name="Embedded (`projectconnect dev`, SQLite), directly",
            base_url=url,
            metrics_url=url,
            pid=process.pid,
            verify=False,
            roles={"embedded": [process.pid]},
            mail_dir=runtime / "embedded" / "mail",
            logs=[log_path],
        )


TARGETS: dict[str, Callable[[Options, Path], contextlib.AbstractContextManager[Target]]] = {
    "distributed": distributed,
    "embedded": embedded,
}


# --- one target's measurements ---


class Run:
    """The measurements of one target, in order, sharing its people and streams."""

    def __init__(self, target: Target, options: Options, runtime: Path) -> None:
        self.target = target
        self.o = options
        self.runtime = runtime
        self.loads: list[float] = [os.getloadavg()[0]]
        # What was measured so far: a run stopped by an error still reports it.
        self.phases: list[dict[str, Any]] = []
        self.list_rows: list[dict[str, Any]] = []

    def load(self) -> float:
        now = os.getloadavg()[0]
        self.loads.append(now)
        return now

    async def metrics(self) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(f"{self.target.metrics_url}/metrics")
        response.raise_for_status()
        return figures.scrape(response.text)

    async def wait_streams(self, count: int, within: float = 60.0) -> None:
        """Until the process counts `count` open streams (closing ones release slots)."""
        found = 0.0

        async def all_open() -> bool:
            nonlocal found
            found = (await self.metrics())["streams"]
            return bool(found == count)

        if not await until(all_open, within, interval=0.25):
            log(f"{self.target.mode}: {found:g} streams open, not {count}; going on")

    async def __call__(self) -> dict[str, Any]:
        o, t = self.o, self.target
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        load_at_start = os.getloadavg()
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        async with (
            httpx.AsyncClient(base_url=t.base_url, verify=t.verify, timeout=60) as api,
            httpx.AsyncClient(
                base_url=t.base_url, verify=t.verify, limits=limits, timeout=60
            ) as streaming,
        ):
            others = -(-(o.streams - o.subscribers) // o.per_person)
            people = await sign_up(api, 1 + o.subscribers + others, t.mode)
            writer = people[0]
            members = await verified(api, people[1 : 1 + o.subscribers], t.mail_dir)
            rest = people[1 + o.subscribers :]
            _, project = await team(api, writer, members, "Live bench")
            _, quiet = await team(api, writer, [], "Live bench, nobody subscribed")
            holders = [
                *members,
                *(rest[i // o.per_person] for i in range(o.streams - o.subscribers)),
            ]
            log(f"{t.mode}: {len(people)} people, {len(holders)} streams to open")

            before = await steady_rss_mib(t.pid)
            streams = Streams(streaming)
            try:
                opening = await streams.open_for(holders)
                if streams.ready < len(holders):
                    log(f"{t.mode}: {streams.ready} of {len(holders)} streams opened; going on")
                await self.wait_streams(len(holders))
                await asyncio.sleep(o.settle_seconds)
                after = await steady_rss_mib(t.pid)
                counted = int((await self.metrics())["streams"])
                log(
                    f"{t.mode}: {len(holders)} open in {opening:.1f} s,"
                    f" RSS {before:.1f} → {after:.1f} MiB"
                )
                reconnects = streams.reconnects
                idle = await self.idle()
                idle["reconnects"] = streams.reconnects - reconnects
                projects = {"quiet": quiet, "fan-out": project}
                error = None
                try:
                    await self.writes(api, streams, writer, projects)
                    await self.lists(streams, holders, people)
                except Exception as exc:  # reported below, with what was measured
                    error = f"{type(exc).__name__}: {exc}"
                    log(f"{t.mode}: stopped by {error}")
            finally:
                # Before the clients close, or their readers would try them again.
                await streams.close()
        return {
            "target": t.name,
            "mode": t.mode,
            "started": started,
            "target_ms": TARGET_MS[t.mode],
            "options": {
                k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(o).items()
            },
            "streams": {
                "requested": o.streams,
                "opened": counted,
                "people": len(people),
                "subscribers": o.subscribers,
                "seconds_to_open": round(opening, 2),
            },
            "memory": {
                "rss_before_mib": round(before, 1),
                "rss_after_mib": round(after, 1),
                "per_stream_kib": round((after - before) * 1024 / max(counted, 1), 1),
            },
            "idle": idle,
            "error": error,
            "phases": self.phases,
            "headline": self.headline(self.phases),
            "list": self.list_summary(),
            "client": self.client_figures(self.phases),
            "load_average": {"start": list(load_at_start), "max_1min": max(self.loads)},
            "log_warnings": warnings_in(t.logs),
            "stream_ends": dict(streams.ends),
        }

    async def idle(self) -> dict[str, Any]:
        """CPU of the stream process with every stream open and nothing written."""
        recorder = self.profiler("idle", self.o.idle_seconds)
        cpu, start = cpu_seconds(self.target.pid), time.perf_counter()
        await asyncio.sleep(self.o.idle_seconds)
        busy, elapsed = cpu_seconds(self.target.pid) - cpu, time.perf_counter() - start
        self.load()
        if recorder is not None:
            await asyncio.to_thread(recorder)
        return {
            "seconds": round(elapsed, 1),
            "cpu_percent": round(100 * busy / elapsed, 1),
            "cpu_ms_per_stream_per_s": round(1000 * busy / elapsed / self.o.streams, 4),
        }

    async def writes(
        self, api: httpx.AsyncClient, streams: Streams, writer: Person, projects: dict[str, str]
    ) -> None:
        for repeat in range(1, self.o.repeats + 1):
            for kind, project in projects.items():
                expect = self.o.subscribers if kind == "fan-out" else 0
                profile = self.o.profile and kind == "fan-out" and repeat == self.o.repeats
                phase = await self.write_phase(api, streams, writer, project, expect, profile)
                phase["name"] = f"{kind} {repeat}"
                self.phases.append(phase)
                log(
                    f"{self.target.mode}: {phase['name']}: {phase['received']}/{phase['expected']}"
                    f" notices, request → received p50 {phase['from_request']['p50_ms']} ms"
                    f" p99 {phase['from_request']['p99_ms']} ms;"
                    f" CPU {phase['process_cpu_seconds']:.2f} s; load {phase['load_average']:.2f}"
                )

    async def write_phase(
        self,
        api: httpx.AsyncClient,
        streams: Streams,
        writer: Person,
        project: str,
        expect: int,
        profile: bool,
    ) -> dict[str, Any]:
        o, t = self.o, self.target
        metrics = await self.metrics()
        recorder = self.profiler("fan-out", o.writes / o.rate + 2) if profile else None
        cpu, own, start = cpu_seconds(t.pid), own_cpu_seconds(), time.perf_counter()
        reconnects, ends = streams.reconnects, streams.ends.copy()
        with LoopLag() as lag:
            done = await paced_writes(api, writer, project, o.writes, o.rate)
            last = max(w.answered for w in done)
            within = last + DRAIN_SECONDS - time.perf_counter()
            await streams.until(lambda: _all_in(streams, done, expect), within)
            # Both kinds of phase are measured to at least a second after the last answer.
            await asyncio.sleep(max(0.0, last + 1.0 - time.perf_counter()))
        elapsed = time.perf_counter() - start
        busy, own_busy = cpu_seconds(t.pid) - cpu, own_cpu_seconds() - own
        after = await self.metrics()
        if recorder is not None:
            await asyncio.to_thread(recorder)
        failed = Counter(w.failure for w in done if w.failure)
        answered = [w for w in done if not w.failure]
        from_request, from_response = [], []
        for w in answered:
            for arrived in streams.arrivals.get((w.task_id, w.version), []):
                from_request.append(arrived - w.sent)
                from_response.append(arrived - w.answered)
        buckets = figures.histogram_delta(after["buckets"], metrics["buckets"])
        return {
            "writes": len(done),
            "failed_writes": dict(failed),
            "service_errors": figures.errors_since(after["errors"], metrics["errors"]),
            "reconnects": streams.reconnects - reconnects,
            "stream_ends": dict(streams.ends - ends),
            "expected": expect * len(answered),
            "received": len(from_request),
            "seconds": round(elapsed, 2),
            "write_ms": figures.spread_ms([w.answered - w.sent for w in answered]),
            "from_request": figures.spread_ms(from_request),
            "from_response": figures.spread_ms(from_response),
            "from_request_seconds": from_request,
            "from_response_seconds": from_response,
            "server": figures.server_lag(buckets),
            "server_buckets": {str(k): v for k, v in buckets.items()},
            "notices_sent": after["sent"] - metrics["sent"],
            "process_cpu_seconds": busy,
            "client_cpu_percent": round(100 * own_busy / elapsed, 1),
            "client_loop_lag": figures.spread_ms(lag.lags),
            "load_average": self.load(),
        }

    def profiler(self, phase: str, seconds: float) -> Callable[[], None] | None:
        """With --profile: py-spy on the stream process from now; the returned call waits
        for it and writes the summary beside the collapsed stacks."""
        if not self.o.profile:
            return None
        out = self.o.out / "profiles" / f"{self.target.mode}-{phase}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        process = record(self.target.pid, seconds, out)

        def finish() -> None:
            process.wait()
            if out.exists():
                out.with_suffix(".summary.txt").write_text(summarise(out.read_text()))

        return finish

    def headline(self, phases: list[dict[str, Any]]) -> dict[str, Any]:
        """The fan-out phases pooled; CPU per notice from each pair, then their median."""
        fan = [p for p in phases if p["name"].startswith("fan-out")]
        quiet = [p for p in phases if p["name"].startswith("quiet")]
        buckets: dict[float, float] = {}
        for p in fan:
            for bound, count in p["server_buckets"].items():
                buckets[float(bound)] = buckets.get(float(bound), 0.0) + count
        per_notice, delivery = [], []
        for f, q in zip(fan, quiet, strict=False):
            if f["notices_sent"]:
                per_notice.append(1e6 * f["process_cpu_seconds"] / f["notices_sent"])
                extra = f["process_cpu_seconds"] - q["process_cpu_seconds"]
                delivery.append(1e6 * extra / f["notices_sent"])
        return {
            "writes": self.o.writes,
            "expected": sum(p["expected"] for p in fan),
            "received": sum(p["received"] for p in fan),
            "from_request": figures.spread_ms([s for p in fan for s in p["from_request_seconds"]]),
            "from_response": figures.spread_ms(
                [s for p in fan for s in p["from_response_seconds"]]
            ),
            "p99_by_repeat_ms": [p["from_request"]["p99_ms"] for p in fan],
            "server": figures.server_lag(buckets),
            "cpu_per_notice_us": figures.median(per_notice),
            "delivery_cpu_per_notice_us": figures.median(delivery),
            "cpu_per_notice_us_by_repeat": per_notice,
            "delivery_cpu_per_notice_us_by_repeat": delivery,
        }

    def client_figures(self, phases: list[dict[str, Any]]) -> dict[str, float | None]:
        fan = [p for p in phases if p["name"].startswith("fan-out")]
        return {
            "cpu_percent": figures.median([p["client_cpu_percent"] for p in fan]),
            "loop_lag_p99_ms": max(
                (p["client_loop_lag"]["p99_ms"] or 0.0 for p in fan), default=None
            ),
            "loop_lag_max_ms": max(
                (p["client_loop_lag"]["max_ms"] or 0.0 for p in fan), default=None
            ),
        }

    async def lists(
        self, streams: Streams, holders: Sequence[Person], people: Sequence[Person]
    ) -> None:
        """Cached GET /projects, with the streams open and without, interleaved."""
        o, t = self.o, self.target
        users = self.runtime / f"users-{t.mode}.tsv"
        chosen = people[: o.connections]
        users.write_text("".join(f"{p.token}\t-\t-\t{p.email}\t{PASSWORD}\n" for p in chosen))
        for round_ in range(1, o.rounds + 1):
            for state in ("with streams", "without streams"):
                if state == "without streams":
                    await streams.close()
                    await self.wait_streams(0)
                elif not streams.open:
                    await streams.open_for(holders)
                    if streams.ready < len(holders):
                        log(f"{t.mode}: only {streams.ready} streams reopened; measuring so")
                    else:
                        await self.wait_streams(len(holders))
                    await asyncio.sleep(o.settle_seconds)
                reconnects, ready = streams.reconnects, streams.ready
                open_now = (await self.metrics())["streams"]
                row = await asyncio.to_thread(self.wrk, users)
                row.update(round=round_, state=state, load_average=self.load())
                row["reconnects"] = streams.reconnects - reconnects
                row["streams_open"] = open_now
                row["streams_ready"] = ready if state == "with streams" else 0
                self.list_rows.append(row)
                log(
                    f"{t.mode}: list round {round_} {state}: {row['rps']:,.0f} req/s"
                    f" p99 {row['p99_ms']:.1f} ms, load {row['load_average']:.2f}"
                )

    def list_summary(self) -> dict[str, Any]:
        o, t, rows = self.o, self.target, self.list_rows

        def med(state: str, key: str) -> float | None:
            return figures.median([r[key] for r in rows if r["state"] == state])

        with_rps, without_rps = med("with streams", "rps"), med("without streams", "rps")
        return {
            "where": "through the gateway" if t.mode == "distributed" else "directly",
            "connections": o.connections,
            "seconds": o.seconds,
            "rounds_each": o.rounds,
            "rounds": rows,
            "median_rps_with": with_rps,
            "median_rps_without": without_rps,
            "ratio": round(with_rps / without_rps, 3) if with_rps and without_rps else None,
            "median_p99_with_ms": med("with streams", "p99_ms"),
            "median_p99_without_ms": med("without streams", "p99_ms"),
        }

    def wrk(self, users: Path) -> dict[str, Any]:
        o, t = self.o, self.target
        wrk = Wrk(
            url=t.base_url,
            scenario="projects",
            users=users,
            connections=o.connections,
            seconds=o.seconds,
        )
        dataclasses.replace(wrk, seconds=2).run()
        before = Counters.scrape(t.metrics_url)
        process = wrk.start()
        # The stack's processes are this one's children: its own CPU is read apart.
        roles = {**t.roles, "wrk": [process.pid]}
        own, start = own_cpu_seconds(), time.perf_counter()
        with ProcessSampler(roles) as sampler:
            result = Wrk.finish(process)
        client = 100 * (own_cpu_seconds() - own) / (time.perf_counter() - start)
        usage = sampler.usage()
        stream_role = "projects" if t.mode == "distributed" else "embedded"
        return {
            "rps": round(result.rps, 1),
            "p50_ms": result.p50_ms,
            "p99_ms": result.p99_ms,
            "errors": result.errors,
            "sql_per_request": Counters.scrape(t.metrics_url).per_request_since(before),
            "stream_process_cpu_percent": round(usage[stream_role].cpu_percent, 1),
            "cpu_percent": {
                **{k: round(u.cpu_percent, 1) for k, u in usage.items() if u.processes},
                "client": round(client, 1),
            },
        }


def warnings_in(logs: Sequence[Path], examples: int = 5) -> dict[str, Any]:
    """Per log: how many lines are warnings or errors, how many of each message (ids and
    numbers left out), and the first of each of a few messages with the lines that continue
    it (a traceback)."""
    found: dict[str, Any] = {}
    for path in logs:
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        bad = [i for i, line in enumerate(lines) if "WARNING" in line or "ERROR" in line]
        kinds = Counter(_message(lines[i]) for i in bad)
        first: list[str] = []
        seen: set[str] = set()
        for i in bad:
            if _message(lines[i]) in seen or len(first) == examples:
                continue
            seen.add(_message(lines[i]))
            more = itertools.takewhile(_continues, lines[i + 1 : i + 6])
            first.append("\n".join(line[:400] for line in [lines[i], *more]))
        found[path.name] = {"count": len(bad), "kinds": dict(kinds.most_common(10)), "first": first}
    return found


def _continues(line: str) -> bool:
    """A line that belongs to the record before it rather than starting its own."""
    return not (line.startswith("{") or line[:4].isdigit())


def _message(line: str) -> str:
    try:
        record = json.loads(line)
        text = f"{record.get('level')} {record.get('logger')}: {record.get('message')}"
    except ValueError:
        text = line.split(" ", 2)[-1]
    return _IDS.sub("…", text)[:200]


# Ids, hex request ids, addresses and numbers, so that one message's lines count together.
_IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f-]{27}|\[?[0-9a-f]{32}\]?|:\d{2,5}\b|\d+(\.\d+)?")


def _all_in(streams: Streams, done: Sequence[Write], expect: int) -> bool:
    return all(
        len(streams.arrivals.get((w.task_id, w.version), ())) >= expect
        for w in done
        if not w.failure
    )


# --- the run ---


def _event_loop() -> tuple[str, Callable[[Coroutine[Any, Any, dict[str, Any]]], dict[str, Any]]]:
    """The client's event loop, uvloop when installed: its name and how to run on it."""
    try:
        import uvloop
    except ImportError:
        return "asyncio", asyncio.run
    return "uvloop", uvloop.run


def measure(options: Options, command: Sequence[str]) -> dict[str, Any]:
    """Every mode of `options`, one after the other; the report (also written to OUT)."""
    loop_name, run_loop = _event_loop()
    report: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": shlex.join(command),
        "client_event_loop": loop_name,
        "targets": [],
    }
    # Stopped from outside, the run still stops what it started and drops what it made.
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, _stop)
    with tempfile.TemporaryDirectory(prefix="pcbench-live-") as scratch:
        for mode in options.modes:
            runtime = Path(scratch) / mode
            runtime.mkdir()
            log(f"{mode}: starting")
            with TARGETS[mode](options, runtime) as target:
                report["targets"].append(run_loop(Run(target, options, runtime)()))
    for target in report["targets"]:
        for phase in target["phases"]:  # every delay is in the percentiles; not kept raw
            phase.pop("from_request_seconds")
            phase.pop("from_response_seconds")
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "live.json").write_text(json.dumps(report, indent=2) + "\n")
    (options.out / "live.md").write_text(figures.render(report))
    log(f"wrote {options.out / 'live.md'}")
    return report


def _stop(number: int, _: object) -> None:
    raise SystemExit(128 + number)


def parser() -> argparse.ArgumentParser:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    defaults = Options()
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mode", default=",".join(MODES), help="distributed, embedded or both")
    p.add_argument("--streams", type=int, default=defaults.streams, help="Streams open in all.")
    p.add_argument(
        "--subscribers",
        type=int,
        default=defaults.subscribers,
        help="Of them, those of the members of the workspace written to (one each).",
    )
    p.add_argument("--per-person", type=int, default=defaults.per_person)
    p.add_argument("--writes", type=int, default=defaults.writes, help="Writes per phase.")
    p.add_argument("--rate", type=float, default=defaults.rate, help="Writes per second.")
    p.add_argument("--repeats", type=int, default=defaults.repeats, help="Pairs of write phases.")
    p.add_argument("--rounds", type=int, default=defaults.rounds, help="List rounds per state.")
    p.add_argument("--seconds", type=float, default=defaults.seconds, help="wrk's measured time.")
    p.add_argument("--connections", type=int, default=defaults.connections)
    p.add_argument("--idle-seconds", type=float, default=defaults.idle_seconds)
    p.add_argument("--settle-seconds", type=float, default=defaults.settle_seconds)
    p.add_argument("--workers", type=int, default=defaults.workers, help="Of the replica.")
    p.add_argument("--out", type=Path, default=Path(f"bench/results/{today}-live"))
    p.add_argument(
        "--profile", action="store_true", help="py-spy the streams at rest and the last fan-out."
    )
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="A setting for the services beyond the benchmark's own (an experiment).",
    )
    return p


def _setting(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise SystemExit(f"--env wants NAME=VALUE, not {text!r}")
    return name, value


def options_from(args: argparse.Namespace) -> Options:
    modes = tuple(m for m in args.mode.split(",") if m)
    unknown = set(modes) - set(MODES)
    if unknown:
        raise SystemExit(f"unknown --mode {', '.join(sorted(unknown))}")
    if args.subscribers > args.streams or args.subscribers < 1:
        raise SystemExit("--subscribers must be between 1 and --streams")
    return Options(
        modes=modes,
        streams=args.streams,
        subscribers=args.subscribers,
        per_person=args.per_person,
        writes=args.writes,
        rate=args.rate,
        repeats=args.repeats,
        rounds=args.rounds,
        seconds=args.seconds,
        connections=args.connections,
        idle_seconds=args.idle_seconds,
        settle_seconds=args.settle_seconds,
        workers=args.workers,
        out=args.out,
        profile=args.profile,
        environment=tuple(_setting(e) for e in args.env),
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    command = ["python", "-m", "bench.live", *(sys.argv[1:] if argv is None else argv)]
    measure(options_from(args), command)


if __name__ == "__main__":
    main()
