"""What a run verifies on the live stack, each check recorded as passed or failed."""

from __future__ import annotations

import json
import os
import signal
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from projectconnect.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS
from tests.compose_stack.compose import JOBS, Compose, Ports
from tests.compose_stack.host import log
from tests.compose_stack.images import COMPOSE_FILE, runtime_base
from tests.support.waiting import eventually_sync

PASSWORD = "violet-kettle-orbit-42"
# Generous: two shared cores, and containers restarting under the checks.
RECOVERY = 180.0


@dataclass
class Report:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @contextmanager
    def check(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        except Exception:
            self.failed.append(name)
            log(f"FAIL {name}\n{traceback.format_exc()}")
        else:
            self.passed.append(name)
            log(f"ok   {name} ({time.monotonic() - started:.0f} s)")

    def summary(self) -> str:
        return f"{len(self.passed)} passed, {len(self.failed)} failed"


@dataclass
class User:
    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Checks:
    compose: Compose
    ports: Ports
    tls_certificate: Path
    report: Report = field(default_factory=Report)
    owner: User | None = None
    project_id: str = ""

    def run_all(self) -> Report:
        for name, step in (
            ("every service is healthy, running or completed", self.services_are_up),
            ("each migration ran once and exited 0", self.migrations_ran_once),
            ("the gateway serves the front end and redirects HTTP to HTTPS", self.edge),
            ("register, login, projects and tasks through the gateway", self.user_journey),
            ("account deletion reaches projects through the relay and RabbitMQ", self.deletion),
            ("a crashed projects replica is restarted; the other serves meanwhile", self.crash),
            ("PostgreSQL restarts and nothing is lost", self.postgres_restart),
            ("three projects replicas serve behind the gateway", self.scale_to_three),
            ("Prometheus has every target up", self.prometheus_targets),
            ("non-root users and read-only root file systems", self.hardening),
            ("image sizes", self.image_sizes),
        ):
            with self.report.check(name):
                step()
        return self.report

    # ------------------------------------------------------------------------- helpers

    def gateway(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"https://localhost:{self.ports.https}",
            verify=str(self.tls_certificate),
            timeout=15.0,
        )

    def new_user(self, api: httpx.Client) -> User:
        email = f"compose-{uuid.uuid4().hex[:12]}@example.com"
        registered = api.post("/auth/register", json={"email": email, "password": PASSWORD})
        assert registered.status_code == 201, registered.text
        login = api.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        return User(str(registered.json()["id"]), str(login.json()["access_token"]))

    def wait_healthy(self, within: float = RECOVERY) -> None:
        self.compose.wait_ready(within)

    def running(self, service: str) -> list[dict[str, Any]]:
        return [c for c in self.compose.containers(service) if c["State"] == "running"]

    def restart_gateway(self) -> None:
        """nginx resolves its upstreams when it starts (docs/deployment.md, Scaling)."""
        self.compose("restart", "gateway", capture=True)
        self.wait_healthy()

    def served_by(self, api: httpx.Client, user: User, count: int) -> None:
        for _ in range(count):
            response = api.get("/projects", headers=user.headers)
            assert response.status_code == 200, response.text

    # ------------------------------------------------------------------------- checks

    def services_are_up(self) -> None:
        declared = set(yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"])
        seen = {c["Service"] for c in self.compose.containers()}
        assert seen == declared, f"missing: {declared - seen}, unexpected: {seen - declared}"
        assert not self.compose.not_ready(), self.compose.not_ready()

    def migrations_ran_once(self) -> None:
        for service in JOBS:
            containers = self.compose.containers(service)
            assert len(containers) == 1, (service, containers)
            state = self.compose.inspect(containers[0]["Name"])["State"]
            assert state["Status"] == "exited", (service, state)
            assert state["ExitCode"] == 0, (service, state)
            assert self.compose.inspect(containers[0]["Name"])["RestartCount"] == 0, service
        for database, tree in (("auth", AUTH_MIGRATIONS), ("projects", PROJECTS_MIGRATIONS)):
            heads = self.compose.sql(database, f"SELECT count(*) FROM {tree.version_table}")  # noqa: S608
            assert heads == "1", f"{database}: {heads} migration heads"

    def edge(self) -> None:
        with self.gateway() as api:
            page = api.get("/")
            assert page.status_code == 200, page.status_code
            assert "<html" in page.text.lower(), page.text[:200]
            jwks = api.get("/auth/.well-known/jwks.json")
            assert jwks.status_code == 200, jwks.text
            assert jwks.json()["keys"], jwks.text
        plain = httpx.get(f"http://localhost:{self.ports.http}/auth/me", timeout=10.0)
        assert plain.status_code in (301, 308), plain.status_code
        assert plain.headers["location"].startswith("https://"), plain.headers

    def user_journey(self) -> None:
        with self.gateway() as api:
            user = self.new_user(api)
            me = api.get("/auth/me", headers=user.headers)
            assert me.status_code == 200, me.text
            assert me.json()["id"] == user.id, me.text
            project = api.post("/projects", headers=user.headers, json={"name": "Garden"})
            assert project.status_code == 201, project.text
            project_id = project.json()["id"]
            task = api.post(
                f"/projects/{project_id}/tasks", headers=user.headers, json={"title": "Dig"}
            )
            assert task.status_code == 201, task.text
            done = api.patch(
                f"/projects/{project_id}/tasks/{task.json()['id']}",
                headers=user.headers,
                json={"done": True},
            )
            assert done.status_code == 200, done.text
            listed = api.get("/projects", headers=user.headers)
            assert listed.status_code == 200, listed.text
            [item] = listed.json()["items"]
            assert item["id"] == project_id, item
            assert item["progress"] == 100, item
        self.owner, self.project_id = user, project_id

    def deletion(self) -> None:
        with self.gateway() as api:
            user = self.new_user(api)
            project = api.post("/projects", headers=user.headers, json={"name": "Doomed"})
            assert project.status_code == 201, project.text
            project_id = uuid.UUID(project.json()["id"])
            deleted = api.request(
                "DELETE", "/auth/me", headers=user.headers, json={"password": PASSWORD}
            )
            assert deleted.status_code == 204, deleted.text
        # The relay publishes user.deleted from the auth outbox; the consumer deletes the
        # account's projects in the projects database.
        query = f"SELECT count(*) FROM projects WHERE id = '{project_id}'"  # noqa: S608 - a UUID
        eventually_sync(
            lambda: self.compose.sql("projects", query) == "0",
            RECOVERY,
            message="the deleted account's project is still there",
        )
        unsent = self.compose.sql("auth", "SELECT count(*) FROM outbox WHERE published_at IS NULL")
        assert unsent == "0", f"{unsent} outbox rows unpublished"

    def crash(self) -> None:
        assert self.owner is not None, "needs the user journey"
        self.compose.up(RECOVERY, "--scale", "projects=2")
        self.restart_gateway()
        victim = self.running("projects")[0]["Name"]
        state = self.compose.inspect(victim)
        # A crash, as an out-of-memory kill is: SIGKILL to the container's process. (`docker
        # kill` would count as stopping it by hand, which suspends the restart policy.)
        log(f"SIGKILL to the process of {victim}")
        os.kill(state["State"]["Pid"], signal.SIGKILL)
        restarts = state["RestartCount"]
        with self.gateway() as api:
            self.served_by(api, self.owner, 30)
        eventually_sync(
            lambda: (
                self.compose.inspect(victim)["RestartCount"] > restarts
                and self.compose.inspect(victim)["State"].get("Health", {}).get("Status")
                == "healthy"
            ),
            RECOVERY,
            message=f"{victim} was not restarted",
        )
        with self.gateway() as api:
            self.served_by(api, self.owner, 10)

    def postgres_restart(self) -> None:
        assert self.owner is not None, "needs the user journey"
        owner = self.owner
        self.compose("restart", "postgres", capture=True)
        self.wait_healthy()

        def recovered() -> bool:
            with self.gateway() as api:
                listed = api.get("/projects", headers=owner.headers)
                return listed.status_code == 200

        eventually_sync(recovered, RECOVERY, message="projects did not recover")
        with self.gateway() as api:
            listed = api.get("/projects", headers=owner.headers)
            assert [p["id"] for p in listed.json()["items"]] == [self.project_id], listed.text
            assert listed.json()["items"][0]["progress"] == 100, listed.text
            created = api.post("/projects", headers=owner.headers, json={"name": "After"})
            assert created.status_code == 201, created.text
            fresh = self.new_user(api)
            assert api.get("/auth/me", headers=fresh.headers).status_code == 200

    def scale_to_three(self) -> None:
        assert self.owner is not None, "needs the user journey"
        self.compose.up(RECOVERY, "--scale", "projects=3")
        self.restart_gateway()
        replicas = self.running("projects")
        assert len(replicas) == 3, [c["Name"] for c in replicas]
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
        with self.gateway() as api:
            self.served_by(api, self.owner, 30)
        logs = self.compose("logs", "--no-log-prefix", "--since", since, "gateway", capture=True)
        upstreams = set()
        for line in logs.stdout.splitlines():
            if line.startswith("{") and '"route":"/projects"' in line:
                upstreams.add(json.loads(line)["upstream"].split(",")[-1].strip())
        assert len(upstreams) == 3, f"the gateway used {upstreams}"

    def prometheus_targets(self) -> None:
        url = f"http://127.0.0.1:{self.ports.prometheus}/api/v1/targets"
        down: list[str] = []

        def all_up() -> bool:
            targets = httpx.get(url, timeout=10.0).json()["data"]["activeTargets"]
            down[:] = [
                f"{t['labels']['job']} {t['scrapeUrl']}: {t['health']} {t['lastError']}"
                for t in targets
                if t["health"] != "up"
            ]
            return bool(targets) and not down

        try:
            eventually_sync(all_up, RECOVERY, message="targets down")
        except AssertionError as error:
            raise AssertionError(f"{error}: {down}") from None

    def hardening(self) -> None:
        services = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]
        for service, spec in services.items():
            if not spec.get("read_only"):
                continue
            for container in self.running(service):
                details = self.compose.inspect(container["Name"])
                assert details["HostConfig"]["ReadonlyRootfs"], container["Name"]
                status = Path(f"/proc/{details['State']['Pid']}/status").read_text()
                uid = next(
                    line.split()[1] for line in status.splitlines() if line.startswith("Uid:")
                )
                assert uid != "0", f"{container['Name']} runs as root"
                write = self.compose.engine.docker(
                    ["exec", container["Name"], "sh", "-c", "echo x > /probe"],
                    check=False,
                    capture=True,
                )
                assert write.returncode != 0, f"{container['Name']}: / is writable"

    def image_sizes(self) -> None:
        """Printed, with the part our own layers add to the (stand-in) base image."""
        for build in self.compose.builds():
            size, base = self.size(build.image), self.size(runtime_base(build))
            log(f"{build.image}: {size / 1e6:.0f} MB, {(size - base) / 1e6:.0f} MB on top of it")

    def size(self, reference: str) -> int:
        inspected = self.compose.engine.docker(
            ["image", "inspect", "--format", "{{.Size}}", reference], capture=True
        )
        return int(inspected.stdout)
