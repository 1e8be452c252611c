"""The faults, one at a time, and how long the stack takes to recover from each.

A schedule is a comma-separated list of faults:

    kill:NAME          SIGKILL a process of the stack (projects-0, relay, consumer, ...);
                       the stack's supervisor restarts it
    freeze:NAME:S      SIGSTOP a process for S seconds, then SIGCONT
    cut:SERVICE:S      PostgreSQL, Redis or RabbitMQ (postgres, redis, rabbitmq) unreachable
                       for S seconds: the proxy in front of it drops every connection and
                       refuses new ones (the shared servers themselves are never touched)

Recovered means, measured from the moment the fault ends (the kill, the SIGCONT, the
restore): every process of the stack answers its health check (a killed one with a new
pid), a write through the gateway is acknowledged, every event written before the fault's
end has been published, and every account deletion acknowledged until then, including
one made during the fault, is purged from the projects database. Each check is polled on
its own; the recovery time is that of the slowest.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from chaos.api import Api
from chaos.database import Databases
from chaos.proxies import Proxies
from chaos.users import Findings, SimulatedUser
from tests.support.stack import StackProcess
from tests.support.waiting import until

ACTIONS = ("kill", "freeze", "cut")
SERVICES = ("postgres", "redis", "rabbitmq")
RECOVERY_LIMIT = 120.0
POLL = 0.1
# Generous: a loaded 2-core machine answers a health check in up to half a second.
HEALTH_TIMEOUT = 3.0


@dataclass(frozen=True, slots=True)
class Fault:
    action: str
    target: str
    seconds: float = 0.0

    def __str__(self) -> str:
        return f"{self.action} {self.target}" + (f" {self.seconds:g}s" if self.seconds else "")


def parse_schedule(text: str) -> list[Fault]:
    faults = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        action, _, rest = item.partition(":")
        target, _, seconds = rest.partition(":")
        if action not in ACTIONS or not target:
            raise ValueError(f"{item!r}: expected kill:NAME, freeze:NAME:S or cut:SERVICE:S")
        if action == "cut" and target not in SERVICES:
            raise ValueError(f"{item!r}: cut one of {', '.join(SERVICES)}")
        if action != "kill" and not seconds:
            raise ValueError(f"{item!r}: how many seconds?")
        faults.append(Fault(action, target, float(seconds or 0)))
    return faults


@dataclass
class FaultRecord:
    fault: Fault
    # Seconds since the run began.
    started: float
    ended: float
    recovered: float | None = None
    # Seconds from the fault's end until each check first passed (None: never).
    checks: dict[str, float | None] = field(default_factory=dict)

    def slowest(self) -> str:
        if not self.checks:
            return "-"
        name, seconds = max(
            self.checks.items(), key=lambda c: RECOVERY_LIMIT if c[1] is None else c[1]
        )
        return f"{name} ({'never' if seconds is None else f'{seconds:.2f} s'})"

    @property
    def recovery(self) -> float | None:
        return None if self.recovered is None else self.recovered - self.ended

    @property
    def window_end(self) -> float:
        return self.recovered if self.recovered is not None else self.ended + RECOVERY_LIMIT


class FaultInjector:
    def __init__(
        self,
        stack: StackProcess,
        proxies: Proxies,
        probe_api: Api,
        databases: Databases,
        findings: Findings,
        origin: float,
        seed: int,
    ) -> None:
        self.stack = stack
        self.proxies = proxies
        self.api = probe_api
        self.db = databases
        self.deleted = findings.deleted
        self.origin = origin
        self.seed = seed
        # Probe accounts keep their own findings: only their deletions count with the users'.
        self.probe_findings = Findings(deleted=findings.deleted)
        self.purged: set[str] = set()
        self.writer = SimulatedUser(10_000, probe_api, "probe", seed, self.probe_findings, origin)

    def now(self) -> float:
        return time.monotonic() - self.origin

    async def run(self, schedule: list[Fault], starts: list[float]) -> list[FaultRecord]:
        if not await self.writer.sign_up(time.monotonic() + 120):
            raise RuntimeError("the probe could not sign up")
        await _acknowledged(self.writer, has_project)
        records = []
        for number, (fault, start) in enumerate(zip(schedule, starts, strict=True)):
            leaver = await self._leaver(number)
            await asyncio.sleep(max(0.0, start - self.now()))
            records.append(await self.inject(fault, leaver))
        return records

    async def _leaver(self, number: int) -> SimulatedUser:
        """An account with a project and a task, to be deleted during the fault."""
        user = SimulatedUser(
            20_000 + number, self.api, "probe", self.seed, self.probe_findings, self.origin
        )
        if not await user.sign_up(time.monotonic() + 120):
            raise RuntimeError("a probe account could not sign up")
        await _acknowledged(user, has_project)
        await _acknowledged(user, has_task)
        return user

    async def inject(self, fault: Fault, leaver: SimulatedUser) -> FaultRecord:
        pids = self.stack.pids()
        started = self.now()
        deletion = asyncio.create_task(self._delete_soon(leaver))
        if fault.action == "kill":
            os.kill(pids[fault.target], signal.SIGKILL)
        elif fault.action == "freeze":
            # Its own session: the pid is its process group, workers included.
            os.killpg(pids[fault.target], signal.SIGSTOP)
            await asyncio.sleep(fault.seconds)
            os.killpg(pids[fault.target], signal.SIGCONT)
        else:
            await self.proxies.cut(fault.target)
            await asyncio.sleep(fault.seconds)
            await self.proxies.restore(fault.target)
        record = FaultRecord(fault, started, self.now())
        ended_at = dt.datetime.now(dt.UTC)
        await deletion
        due = {leaver.account.id} | {d.user_id for d in self.deleted if d.acked_at <= record.ended}
        record.recovered = await self._recovery(record, pids.get(fault.target), due, ended_at)
        return record

    async def _delete_soon(self, leaver: SimulatedUser) -> None:
        await asyncio.sleep(0.5)
        await leaver.delete_account(replace=False)

    async def _recovery(
        self, record: FaultRecord, old_pid: int | None, due: set[str], ended_at: dt.datetime
    ) -> float | None:
        """When every check had passed, each polled on its own from the fault's end."""
        within = record.ended + RECOVERY_LIMIT - self.now()

        async def passed(check: Callable[[], Awaitable[bool]]) -> float | None:
            met = await until(check, within, interval=POLL)
            return None if met is None else met - self.origin

        async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT) as health:
            checks: dict[str, Callable[[], Awaitable[bool]]] = {
                "processes": lambda: self._processes_healthy(health, record.fault, old_pid),
                "a write through the gateway": self._write_through_gateway,
                "the outbox": lambda: self._outbox_drained(ended_at),
                "deletions": lambda: self._deletions_purged(due),
            }
            times = await asyncio.gather(*(passed(check) for check in checks.values()))
        record.checks = {
            name: None if t is None else t - record.ended
            for name, t in zip(checks, times, strict=True)
        }
        return None if None in times else max(t for t in times if t is not None)

    async def _processes_healthy(
        self, health: httpx.AsyncClient, fault: Fault, old_pid: int | None
    ) -> bool:
        """Every process answers its health check; a killed one has been restarted."""
        if fault.action == "kill" and self.stack.pids().get(fault.target) == old_pid:
            return False
        processes = {n: p for n, p in self.stack.ports().items() if n != "gateway"}
        return all(await asyncio.gather(*(_healthy(health, n, p) for n, p in processes.items())))

    async def _outbox_drained(self, ended_at: dt.datetime) -> bool:
        """Every event written before the fault ended has been published."""
        return await self.db.unsent_events(created_before=ended_at) == 0

    async def _write_through_gateway(self) -> bool:
        writer = self.writer
        project = next(iter(writer.account.projects.values()), None)
        if project is None:
            return False
        outcome = await writer.api.update_project(
            writer.access, project.id, project.name.value, f"probe {self.now():.1f}"
        )
        if outcome.status == 401:
            await writer.log_in()
        return outcome.acked

    async def _deletions_purged(self, user_ids: set[str]) -> bool:
        waiting = sorted(user_ids - self.purged)
        for user_id, left in (await self.db.leftovers(waiting)).items():
            if left.purged:
                self.purged.add(user_id)
        return user_ids <= self.purged


# What a probe account needs before a fault: an acknowledged project (and task). A write
# the gateway timed out on (a busy host, the previous fault's tail) is simply made again.
async def has_project(user: SimulatedUser) -> bool:
    if not user.account.projects:
        await user.create_project()
    return bool(user.account.projects)


async def has_task(user: SimulatedUser) -> bool:
    if not any(p.tasks for p in user.account.projects.values()):
        await user.create_task()
    return any(p.tasks for p in user.account.projects.values())


async def _acknowledged(
    user: SimulatedUser, step: Callable[[SimulatedUser], Awaitable[bool]]
) -> None:
    if await until(lambda: step(user), 120, interval=1.0) is None:
        raise RuntimeError(f"a probe account could not make its {step.__name__[4:]}")


async def _healthy(client: httpx.AsyncClient, name: str, port: int) -> bool:
    path = "/health/ready" if name.startswith(("auth", "projects")) else "/metrics"
    try:
        return (await client.get(f"http://127.0.0.1:{port}{path}")).status_code == 200
    except httpx.HTTPError:
        return False
