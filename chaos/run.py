"""One chaos run: a stack behind proxies, the users, the faults, the checks, the report."""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from chaos.api import CLIENT_TIMEOUT, Api, RequestLog
from chaos.database import Databases
from chaos.faults import FaultInjector, parse_schedule
from chaos.proxies import Proxies
from chaos.report import Report, served_by
from chaos.users import Findings, SimulatedUser, new_run_id
from chaos.verify import verify
from tests.support.services import AMQP_URL, POSTGRES_ADMIN_URL, REDIS_URL
from tests.support.stack import StackProcess, running_stack

# The run of docs/reliability.md and `make chaos`: every fault of issue 16.
LONG_SCHEDULE = (
    "kill:projects-0,kill:relay,kill:consumer,freeze:projects-1:15,"
    "cut:redis:5,cut:rabbitmq:20,cut:postgres:3,cut:postgres:15"
)
# The version `make test` runs under CI=true: every kind of fault once, shorter.
SHORT_SCHEDULE = (
    "kill:projects-0,kill:relay,kill:consumer,freeze:projects-1:8,"
    "cut:redis:3,cut:rabbitmq:10,cut:postgres:5"
)
# The stack's services go through the proxies; the harness's own checks never do.
SERVICES = {"postgres": POSTGRES_ADMIN_URL, "redis": REDIS_URL, "rabbitmq": AMQP_URL}
# The shared machine's slack: a loaded 2-core host misses the production 50 ms now and then.
STACK_ENVIRONMENT = {"REDIS_TIMEOUT_MS": "250"}


@dataclass(frozen=True)
class Options:
    users: int = 30
    seconds: float = 600.0
    faults: str = LONG_SCHEDULE
    seed: int = 1
    # Mean pause between one user's requests, in seconds.
    think: float = 0.15
    command: str = "python -m chaos"


def _address(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def fault_starts(seconds: float, count: int) -> list[float]:
    """Evenly spaced after a warm-up, one fault at a time (a late one waits its turn)."""
    warmup = min(20.0, seconds / 10)
    slot = (seconds - warmup) / max(1, count)
    return [warmup + i * slot for i in range(count)]


def run(options: Options, root: Path) -> Report:
    parse_schedule(options.faults)  # a typo fails before anything starts
    assert 1 <= options.users <= 250, "one loopback address per user: 1 to 250 users"
    targets = {name: _address(url) for name, url in SERVICES.items()}
    with (
        Proxies(targets) as proxies,
        running_stack(
            root,
            postgres_url=_through(POSTGRES_ADMIN_URL, proxies.ports["postgres"]),
            redis_url=_through(REDIS_URL, proxies.ports["redis"]),
            amqp_url=_through(AMQP_URL, proxies.ports["rabbitmq"]),
            environment=STACK_ENVIRONMENT,
        ) as stack,
    ):
        print(f"stack up (logs in {stack.runtime / 'logs'}); running {options.seconds:g} s")
        report = asyncio.run(soak(options, stack, proxies))
        frozen = {f.target for f in parse_schedule(options.faults) if f.action == "freeze"}
        report.served = served_by(stack.runtime / "logs", frozen)
        if stack.process.poll() is not None:
            report.findings.anomalies.append(f"the stack exited: {stack.text()[-2000:]}")
        return report


class _Clients:
    """One HTTP client per simulated user, each from its own loopback address."""

    def __init__(self, stack: StackProcess) -> None:
        self.base = stack.https
        self.trust = ssl.create_default_context(cafile=str(stack.runtime / "tls" / "tls.crt"))
        self.open: list[httpx.AsyncClient] = []

    def api(self, address: str, log: RequestLog | None = None) -> Api:
        transport = httpx.AsyncHTTPTransport(verify=self.trust, local_address=address)
        client = httpx.AsyncClient(base_url=self.base, transport=transport, timeout=CLIENT_TIMEOUT)
        self.open.append(client)
        return Api(client, log)

    async def close(self) -> None:
        for client in self.open:
            await client.aclose()


async def soak(options: Options, stack: StackProcess, proxies: Proxies) -> Report:
    run_id = new_run_id()
    log = RequestLog()
    findings = Findings()
    clients = _Clients(stack)
    db = Databases(stack.auth_database, stack.projects_database)
    await db.open()
    try:
        users = [
            SimulatedUser(
                n, clients.api(f"127.0.1.{n + 1}", log), run_id, options.seed, findings, log.origin
            )
            for n in range(options.users)
        ]
        injector = FaultInjector(
            stack, proxies, clients.api("127.0.2.1"), db, findings, log.origin, options.seed
        )
        stop = asyncio.Event()
        running = [asyncio.create_task(u.run(stop, options.think)) for u in users]
        schedule = parse_schedule(options.faults)
        records = await injector.run(schedule, fault_starts(options.seconds, len(schedule)))
        await asyncio.sleep(max(0.0, options.seconds - (time.monotonic() - log.origin)))
        stop.set()
        await asyncio.gather(*running)
        print("run over; verifying")
        verdict = await verify(
            users, clients.api("127.0.2.2"), db, AMQP_URL, stack.events_namespace, findings.deleted
        )
    finally:
        await clients.close()
        await db.close()
    return Report(options.command, options.users, options.seconds, log, records, findings, verdict)
