"""Load generation and measurement: wrk runs, per-process CPU and memory, server counters."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

SCRIPT = Path(__file__).parent / "wrk" / "scenario.lua"
RESULT_MARK = "BENCH_RESULT "


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int
    status_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mix: Mapping[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @classmethod
    def parse(cls, output: str) -> WrkResult:
        """The figures from the BENCH_RESULT line the scenario script prints."""
        for line in output.splitlines():
            if line.startswith(RESULT_MARK):
                data = json.loads(line[len(RESULT_MARK) :])
                break
        else:
            raise ValueError(f"wrk printed no result:\n{output}")
        latency, errors = data["latency_us"], data["errors"]
        return cls(
            requests=data["requests"],
            seconds=data["duration_us"] / 1e6,
            errors=sum(errors.values()),
            status_errors=errors["status"],
            p50_ms=latency["p50"] / 1000,
            p90_ms=latency["p90"] / 1000,
            p99_ms=latency["p99"] / 1000,
            max_ms=latency["max"] / 1000,
            mix={k: v for k, v in data["mix"].items() if v},
        )


@dataclass(frozen=True, slots=True)
class Wrk:
    """One wrk run of a scenario of bench/wrk/scenario.lua."""

    url: str
    scenario: str
    users: Path
    connections: int = 64
    threads: int = 2
    seconds: float = 10.0
    path: str = "/"
    executable: str = "wrk"

    def command(self) -> list[str]:
        return [
            self.executable,
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{self.seconds:g}s",
            "--timeout",
            "5s",
            "-s",
            str(SCRIPT),
            self.url,
        ]

    def start(self) -> subprocess.Popen[str]:
        env = {
            **os.environ,
            "BENCH_SCENARIO": self.scenario,
            "BENCH_USERS": str(self.users),
            "BENCH_PATH": self.path,
        }
        return subprocess.Popen(  # noqa: S603 - wrk with our own arguments
            self.command(), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    @staticmethod
    def finish(process: subprocess.Popen[str]) -> WrkResult:
        output, _ = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}")
        return WrkResult.parse(output)

    def run(self) -> WrkResult:
        return self.finish(self.start())


def process_tree(pids: Iterable[int]) -> list[psutil.Process]:
    """The processes `pids` and all their children, each once; those gone are left out."""
    members: dict[int, psutil.Process] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            members[pid] = root
            members.update({c.pid: c for c in root.children(recursive=True)})
        except psutil.NoSuchProcess:
            continue
    return list(members.values())


def cpu_seconds(pid: int) -> float:
    """User + system CPU that `pid` and its children have used so far."""
    total = 0.0
    for process in process_tree([pid]):
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def rss_mib(pid: int) -> float:
    """Resident memory of `pid` and its children now."""
    total = 0
    for process in process_tree([pid]):
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total / 2**20


@dataclass(frozen=True, slots=True)
class Usage:
    cpu_percent: float  # 100 = one core busy for the whole run
    rss_mib: float  # the largest total resident memory seen
    processes: int


class ProcessSampler:
    """CPU time and resident memory of named groups of processes (with their children)."""

    def __init__(self, roles: Mapping[str, Iterable[int]], interval: float = 0.25) -> None:
        self._roots = {role: list(pids) for role, pids in roles.items()}
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._cpu_start: dict[str, dict[int, float]] = {}
        self._cpu_last: dict[str, dict[int, float]] = {}
        self._rss_max: dict[str, float] = {}
        self._count: dict[str, int] = {}
        self._started = 0.0
        self._elapsed = 0.0

    def _read(self) -> None:
        for role in self._roots:
            total_rss = 0
            members = process_tree(self._roots[role])
            for process in members:
                try:
                    with process.oneshot():
                        times = process.cpu_times()
                        total_rss += process.memory_info().rss
                except psutil.Error:
                    continue
                cpu = times.user + times.system
                self._cpu_start.setdefault(role, {}).setdefault(process.pid, cpu)
                self._cpu_last.setdefault(role, {})[process.pid] = cpu
            self._rss_max[role] = max(self._rss_max.get(role, 0.0), total_rss / 2**20)
            self._count[role] = max(self._count.get(role, 0), len(members))

    def _sample(self) -> None:
        while not self._stop.wait(self._interval):
            self._read()

    def __enter__(self) -> ProcessSampler:
        self._started = time.perf_counter()
        self._read()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._read()
        self._elapsed = time.perf_counter() - self._started

    def usage(self) -> dict[str, Usage]:
        result = {}
        for role in self._roots:
            start, last = self._cpu_start.get(role, {}), self._cpu_last.get(role, {})
            busy = sum(last[pid] - start[pid] for pid in last)
            result[role] = Usage(
                cpu_percent=100 * busy / self._elapsed if self._elapsed else 0.0,
                rss_mib=self._rss_max.get(role, 0.0),
                processes=self._count.get(role, 0),
            )
        return result


def system_pids(*names: str) -> list[int]:
    """The top processes of shared servers (postgres, redis-server), by executable name."""
    found = {p.pid: p for p in psutil.process_iter(["name"]) if p.info["name"] in names}
    return [pid for pid, p in found.items() if p.ppid() not in found]


@dataclass(frozen=True, slots=True)
class Counters:
    requests: float
    statements: float

    @classmethod
    def scrape(cls, base_url: str) -> Counters:
        """HTTP requests answered and SQL statements sent, from a service's /metrics."""
        text = httpx.get(f"{base_url}/metrics", timeout=10).text
        requests = statements = 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "http_requests_total":
                    requests += sample.value
                elif sample.name == "db_statements_total":
                    statements += sample.value
        return cls(requests, statements)

    def per_request_since(self, before: Counters) -> float | None:
        requests = self.requests - before.requests
        return (self.statements - before.statements) / requests if requests else None
