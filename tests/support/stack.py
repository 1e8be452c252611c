"""`projectconnect stack` as a process of a test's own: its own databases, queues and keys."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import TEST_AUTH_ENV
from tests.support.processes import free_port
from tests.support.services import (
    POSTGRES_ADMIN_URL,
    ThrowawayBroker,
    ThrowawayPostgres,
    ThrowawayRedisPrefix,
    require,
)
from tests.support.waiting import eventually_sync

# "relay      pid 1234  port 5678", as the stack describes its processes and restarts.
_PROCESS_LINE = re.compile(r"^(\S+)\s+pid (\d+)(?:\s+port (\d+))?", re.MULTILINE)


def nginx_binary() -> str:
    for candidate in ("nginx", "/usr/sbin/nginx"):
        if subprocess.run(["which", candidate], capture_output=True).returncode == 0:
            return candidate
    require("nginx", FileNotFoundError("nginx is not installed (make system-deps)"))
    raise AssertionError("unreachable")


@dataclass
class StackProcess:
    process: subprocess.Popen[bytes]
    runtime: Path
    output: Path
    https: str
    projects_database: str
    # Direct URLs (never through a proxy the stack may use), for looking behind the API.
    auth_database: str = ""
    events_namespace: str = ""

    def text(self) -> str:
        return self.output.read_text()

    def trust(self) -> ssl.SSLContext:
        """Verify the gateway against the stack's own self-signed certificate."""
        return ssl.create_default_context(cafile=str(self.runtime / "tls" / "tls.crt"))

    def pids(self) -> dict[str, int]:
        """Each process's latest pid, restarts included."""
        return {name: int(pid) for name, pid, _ in _PROCESS_LINE.findall(self.text())}

    def ports(self) -> dict[str, int]:
        return {name: int(port) for name, _, port in _PROCESS_LINE.findall(self.text()) if port}

    def failure_report(self) -> list[tuple[str, str]]:
        """What a failed test shows of the stack (tests/conftest.py adds it to the report):
        its own output (processes, exits, restarts), and the end of every process's log and
        of the gateway's error log."""
        sections = [("stack", self.text())]
        logs = sorted((self.runtime / "logs").glob("*.log"))
        for log in [*logs, self.runtime / "gateway" / "error.log"]:
            if log.exists():
                sections.append(
                    (f"stack {log.parent.name}/{log.name} (end)", _tail(log, FAILURE_LINES))
                )
        return sections


FAILURE_LINES = 40


def _tail(path: Path, lines: int) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def running_stack(
    root: Path,
    *extra: str,
    replicas: int = 2,
    postgres_url: str = POSTGRES_ADMIN_URL,
    redis_url: str | None = None,
    amqp_url: str | None = None,
    environment: Mapping[str, str] | None = None,
) -> Iterator[StackProcess]:
    """Start a stack, wait until it serves, and stop and clean up after the test.

    The stack reaches PostgreSQL, Redis and RabbitMQ at the given URLs (a proxy in front of
    the shared servers, say); its databases, keys and queues are made and removed directly.
    """
    nginx = nginx_binary()
    pg, redis, broker = ThrowawayPostgres(), ThrowawayRedisPrefix(), ThrowawayBroker()
    for service in (pg, redis, broker):
        asyncio.run(service.check())
    https_port = free_port()
    env = {
        **os.environ,
        **TEST_AUTH_ENV,
        "EVENTS_NAMESPACE": broker.topology.namespace,
        "CACHE_PREFIX": redis.prefix,
        **(environment or {}),
    }
    services = [*("--redis-url", redis_url or redis.url), *("--amqp-url", amqp_url or broker.url)]
    command = [
        *(sys.executable, "-m", "projectconnect", "stack"),
        *("--runtime-dir", str(root / "run")),
        *("--http-port", str(free_port()), "--https-port", str(https_port)),
        *("--database-prefix", pg.prefix, "--postgres-url", postgres_url),
        *services,
        *("--auth-replicas", str(replicas), "--projects-replicas", str(replicas)),
        *("--login-rate", "120r/m", "--login-burst", "20", "--nginx", nginx),
        *extra,
    ]
    output = root / "stack.out"
    with output.open("wb") as handle:
        process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
    direct = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    stack = StackProcess(
        process,
        root / "run",
        output,
        f"https://127.0.0.1:{https_port}",
        f"{direct}/{pg.prefix}_projects",
        auth_database=f"{direct}/{pg.prefix}_auth",
        events_namespace=broker.topology.namespace,
    )
    try:

        def started() -> bool:
            assert process.poll() is None, stack.text()
            return "Ctrl-C stops everything" in stack.text()

        eventually_sync(started, within=180, message="the stack did not start")
        yield stack
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            pg.created = [f"{pg.prefix}_auth", f"{pg.prefix}_projects"]
            asyncio.run(pg.drop_all())
            asyncio.run(redis.clean())
            asyncio.run(broker.delete())
