"""The distributed topology on one host, without containers: what `projectconnect stack` runs.

nginx in front of several auth and projects replicas, the outbox relay, the event
consumer and the mailer as workers, against the local PostgreSQL, Redis and RabbitMQ. The
processes and settings are the ones the container images run.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from alembic import command

from projectconnect.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from projectconnect.gateway import GatewayConfig, RateLimits, check, make_self_signed_certificate
from projectconnect.gateway import write as write_gateway
from projectconnect.infra.config import normalize_database_url
from projectconnect.infra.rabbitmq import Topology, declare_topology
from projectconnect.infra.tokens import ensure_private_key_file
from projectconnect.launcher import Running, start_projectconnect
from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS
from projectconnect.servers import Server

# Ports for the stack's servers come from below the kernel's ephemeral range. An outgoing
# connection (a pooled database connection, say) takes its local port from that range,
# and as long as it lives nothing can listen there: a server given such a port fails at
# every restart.
_LOWEST_PORT = 20000
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_RESERVED = frozenset({25672})  # RabbitMQ's distribution port, free while it is stopped
# Every process on the host that hands out ports claims each one with a lock on a file
# named after it, held for as long as the process lives: two test workers, or two stacks,
# never get the same port between the probe and the server's bind.
_CLAIMS = Path(tempfile.gettempdir()) / f"projectconnect-ports-{os.getuid()}"
_claimed: dict[int, int] = {}  # port -> the descriptor holding its lock


@functools.cache
def _candidate_ports() -> range:
    try:
        first_ephemeral = int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        first_ephemeral = 32768  # Linux's default
    return range(_LOWEST_PORT, max(first_ephemeral, _LOWEST_PORT + 1000))


def _claim(port: int) -> bool:
    _CLAIMS.mkdir(exist_ok=True)
    fd = os.open(_CLAIMS / str(port), os.O_CREAT | os.O_RDWR, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    _claimed[port] = fd
    return True


def _release(port: int) -> None:
    os.close(_claimed.pop(port))


def _listenable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A loopback TCP port for a server: nothing listens on it now, no outgoing connection
    can take it, and no process on this host (this one included) has handed it out before."""
    candidates = _candidate_ports()
    for _ in range(200):
        port = secrets.choice(candidates)
        if port in _RESERVED or port in _claimed or not _claim(port):
            continue
        if _listenable(port):
            return port
        _release(port)
    raise RuntimeError(f"no free port found in {candidates.start}-{candidates.stop - 1}")


def wait_until_ok(url: str, process: Running, deadline: float, name: str) -> None:
    """Poll `url` until it answers 200; fail early if `process` exits, or at `deadline`."""
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited")
        try:
            # Local self-signed certificates only: nothing here leaves the host.
            if httpx.get(url, timeout=1, verify=False).status_code == 200:  # noqa: S501
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not answer {url}")
        time.sleep(0.1)


@dataclass(frozen=True)
class RestartPolicy:
    """How the stack brings back a process that died.

    The nth exit within `window` seconds is restarted after `initial_delay * 2**(n-1)` (at most
    `max_delay`); one more than `max_restarts` within the window is a crash loop: the
    stack gives up, stops everything and exits non-zero.
    """

    initial_delay: float = 0.25
    max_delay: float = 10.0
    max_restarts: int = 5
    window: float = 60.0

    def delay(self, exits: int) -> float:
        return float(min(self.max_delay, self.initial_delay * 2 ** (exits - 1)))


class GaveUp(RuntimeError):
    """A process kept dying: the stack stops rather than restart it for ever."""


@dataclass
class StackOptions:
    runtime_dir: Path
    http_port: int = 8080
    https_port: int = 8443
    status_port: int = field(default_factory=free_port)
    auth_replicas: int = 2
    projects_replicas: int = 2
    # Each replica's HTTP server and its worker processes.
    server: Server = Server.uvicorn
    workers: int = 1
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    database_prefix: str = "projectconnect"
    redis_url: str = "redis://127.0.0.1:6379/0"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    events_namespace: str = "projectconnect"
    cache_prefix: str = "pc:"
    static_root: Path | None = None
    nginx: str = "nginx"
    limits: RateLimits = field(default_factory=RateLimits)
    # Extra environment for every service process (e.g. AUTH_* settings).
    environment: Mapping[str, str] = field(default_factory=dict)
    restart: RestartPolicy = field(default_factory=RestartPolicy)


@dataclass
class Child:
    name: str
    # Starts it, and starts it again the same way (same port: nginx knows it).
    start: Callable[[], Running]
    process: Running
    log: Path
    port: int | None = None
    exits: deque[float] = field(default_factory=deque)
    restart_at: float | None = None


def describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-code).name}"
    return f"status {code}"


def _popen(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    try:
        # Its own session: the process and anything it forks are one group to stop.
        return subprocess.Popen(  # noqa: S603 - our own executables, fixed arguments
            args, env=dict(env), stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
    finally:
        handle.close()


def _kill_group(process: Running) -> None:
    """Whatever the dead process left behind (server workers, nginx workers) goes too.

    A process forked a moment ago may not have made its own group yet: it goes alone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        process.kill()


def _database_url(admin_url: str, name: str) -> str:
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


async def _ensure_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


class Stack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.runtime = options.runtime_dir.resolve()
        self.children: list[Child] = []
        self.auth_url = _database_url(options.postgres_url, f"{options.database_prefix}_auth")
        self.projects_url = _database_url(
            options.postgres_url, f"{options.database_prefix}_projects"
        )

    # --- preparation: databases, migrations, broker topology, key, certificate, gateway ---

    def prepare(self) -> Path:
        o = self.options
        (self.runtime / "logs").mkdir(parents=True, exist_ok=True)
        for url in (self.auth_url, self.projects_url):
            asyncio.run(_ensure_database(o.postgres_url, url.rsplit("/", 1)[1]))
        command.upgrade(AUTH_MIGRATIONS.config(normalize_database_url(self.auth_url)), "head")
        command.upgrade(
            PROJECTS_MIGRATIONS.config(normalize_database_url(self.projects_url)), "head"
        )
        asyncio.run(declare_topology(o.amqp_url, Topology(namespace=o.events_namespace)))
        ensure_private_key_file(self.runtime / "signing-key.pem")
        return self.runtime

    def common_env(self) -> dict[str, str]:
        o = self.options
        return {
            **os.environ,
            "REDIS_URL": o.redis_url,
            "AMQP_URL": o.amqp_url,
            "EVENTS_NAMESPACE": o.events_namespace,
            "CACHE_PREFIX": o.cache_prefix,
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            **o.environment,
        }

    def public_url(self) -> dict[str, str]:
        """Mailed links lead to the gateway, unless the environment names another origin
        (`common_env`, after it, has the last word)."""
        return {"PUBLIC_URL": f"https://127.0.0.1:{self.options.https_port}"}

    def auth_env(self) -> dict[str, str]:
        return {
            **self.public_url(),
            **self.common_env(),
            "DATABASE_URL": self.auth_url,
            "AUTH_PRIVATE_KEY_FILE": str(self.runtime / "signing-key.pem"),
            "AUTH_RUN_RELAY": "false",
            "AUTH_RUN_MAILER": "false",
        }

    def mailer_env(self) -> dict[str, str]:
        """The mailer's: MAIL_SMTP_URL from the environment, else .eml files in `mail/`."""
        return {"MAIL_DIR": str(self.runtime / "mail"), **self.common_env()}

    def projects_env(self, jwks_url: str) -> dict[str, str]:
        return {
            **self.common_env(),
            "DATABASE_URL": self.projects_url,
            "JWKS_URL": jwks_url,
            "PROJECTS_RUN_CONSUMER": "false",
            "PROJECTS_RUN_MAIL_RELAY": "false",
        }

    def consumer_env(self, jwks_url: str) -> dict[str, str]:
        """The consumer's: the projects service's, less what keeps the replicas from
        relaying the mail outbox (the consumer relays it, as it does by default), and where
        the notification mail it makes links to."""
        env = {**self.public_url(), **self.projects_env(jwks_url)}
        del env["PROJECTS_RUN_MAIL_RELAY"]
        return env

    # --- processes ---

    def _spawn(self, name: str, start: Callable[[Path], Running], port: int | None) -> Child:
        log = self.runtime / "logs" / f"{name}.log"
        child = Child(name, lambda: start(log), start(log), log, port)
        self.children.append(child)
        return child

    # --- supervision: a process that dies is restarted alone, the others keep serving ---

    def supervise(self, stopping: Callable[[], bool], report: Callable[[str], None]) -> None:
        """Watch the processes until `stopping()`; raise GaveUp on a crash loop."""
        while not stopping():
            self.supervise_once(time.monotonic(), report)
            time.sleep(0.1)

    def supervise_once(self, now: float, report: Callable[[str], None]) -> None:
        policy = self.options.restart
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.process = child.start()
                    child.restart_at = None
                    report(f"{child.name:<11}pid {child.process.pid}  restarted")
                continue
            code = child.process.poll()
            if code is None:
                continue
            _kill_group(child.process)
            while child.exits and child.exits[0] < now - policy.window:
                child.exits.popleft()
            child.exits.append(now)
            exits = len(child.exits)
            what = f"{child.name} (pid {child.process.pid}) exited with {describe_exit(code)}"
            if exits > policy.max_restarts:
                raise GaveUp(
                    f"{what}, its {exits}th exit within {policy.window:.0f}s: a crash loop; "
                    f"see {child.log}"
                )
            delay = policy.delay(exits)
            loud = "CRASH LOOP? " if exits > 1 else ""
            report(
                f"{loud}{what}; restarting in {delay:.1f}s "
                f"(exit {exits} of at most {policy.max_restarts} within {policy.window:.0f}s; "
                f"see {child.log})"
            )
            child.restart_at = now + delay

    def _projectconnect(
        self, name: str, args: list[str], env: Mapping[str, str], port: int | None = None
    ) -> Child:
        """`python -m projectconnect ARGS`, forked from the pre-imported fork server."""
        return self._spawn(name, lambda log: start_projectconnect(args, env, log), port)

    def serve_args(self, service: str, port: int) -> list[str]:
        """`serve` as the images run it, with --server and --workers only when changed."""
        o = self.options
        args = ["serve", service, "--port", str(port)]
        if o.server is not Server.uvicorn:
            args += ["--server", o.server.value]
        if o.workers != 1:
            args += ["--workers", str(o.workers)]
        return args

    def start(self) -> None:
        o = self.options
        self.prepare()
        auth = [
            self._projectconnect(f"auth-{i}", self.serve_args("auth", p), self.auth_env(), p)
            for i, p in enumerate(free_port() for _ in range(o.auth_replicas))
        ]
        self._wait_ready(auth)
        jwks = f"http://127.0.0.1:{auth[0].port}/auth/.well-known/jwks.json"
        projects = [
            self._projectconnect(
                f"projects-{i}", self.serve_args("projects", p), self.projects_env(jwks), p
            )
            for i, p in enumerate(free_port() for _ in range(o.projects_replicas))
        ]
        relay_port, consumer_port, mailer_port = free_port(), free_port(), free_port()
        self._projectconnect(
            "relay", ["relay", "--metrics-port", str(relay_port)], self.auth_env(), relay_port
        )
        self._projectconnect(
            "consumer",
            ["consume", "projects", "--metrics-port", str(consumer_port)],
            self.consumer_env(jwks),
            consumer_port,
        )
        self._projectconnect(
            "mailer", ["mailer", "--metrics-port", str(mailer_port)], self.mailer_env(), mailer_port
        )
        self._wait_ready(projects)
        self.start_gateway([c.port for c in auth if c.port], [c.port for c in projects if c.port])

    def gateway_config(self, auth_ports: list[int], projects_ports: list[int]) -> GatewayConfig:
        o = self.options
        return GatewayConfig.for_host(
            auth_ports=auth_ports,
            projects_ports=projects_ports,
            runtime_dir=self.runtime / "gateway",
            static_root=o.static_root,
            http_port=o.http_port,
            https_port=o.https_port,
            tls=make_self_signed_certificate(self.runtime / "tls"),
            limits=o.limits,
            status_port=o.status_port,
        )

    def start_gateway(self, auth_ports: list[int], projects_ports: list[int]) -> Child:
        config_file = write_gateway(
            self.gateway_config(auth_ports, projects_ports), self.runtime / "gateway" / "nginx.conf"
        )
        error_log = self.runtime / "gateway" / "error.log"
        check(config_file, nginx=self.options.nginx, error_log=error_log)
        args = [self.options.nginx, "-c", str(config_file), "-e", str(error_log)]
        gateway = self._spawn(
            "gateway",
            lambda log: _popen([*args, "-g", "daemon off;"], os.environ, log),
            self.options.https_port,
        )
        self._wait_gateway(gateway)
        return gateway

    def _wait_ready(self, children: list[Child], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for child in children:
            url = f"http://127.0.0.1:{child.port}/health/ready"
            wait_until_ok(url, child.process, deadline, f"{child.name} (see {child.log})")

    def _wait_gateway(self, gateway: Child, timeout: float = 20.0) -> None:
        url = f"https://127.0.0.1:{self.options.https_port}/auth/.well-known/jwks.json"
        error_log = self.runtime / "gateway" / "error.log"
        wait_until_ok(url, gateway.process, time.monotonic() + timeout, f"nginx (see {error_log})")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every process this stack started: newest first, politely, then firmly."""
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.terminate()
        deadline = time.monotonic() + timeout
        for child in reversed(self.children):
            remaining = max(0.1, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
            _kill_group(child.process)
        self.children.clear()

    def describe(self) -> str:
        o = self.options
        lines = [
            f"gateway    https://127.0.0.1:{o.https_port}"
            f"  (http://127.0.0.1:{o.http_port} redirects)",
            *(
                f"{c.name:<11}pid {c.process.pid}" + (f"  port {c.port}" if c.port else "")
                for c in self.children
            ),
            f"logs       {self.runtime / 'logs'}  and  {self.runtime / 'gateway'}",
        ]
        return "\n".join(lines)
