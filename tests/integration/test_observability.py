"""Metrics and health checks as Prometheus and an orchestrator see them."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from prometheus_client.parser import text_string_to_metric_families

from projectconnect.devserver import DataDir, create_embedded_app
from projectconnect.infra import migrations
from projectconnect.infra.tokens import StaticKeySource, TokenSigner, ensure_private_key_file
from projectconnect.projects.app import MIGRATIONS as PROJECTS_MIGRATIONS
from projectconnect.projects.app import ProjectsRuntime, create_app
from projectconnect.projects.service import ProjectService
from projectconnect.projects.settings import ProjectsSettings
from tests.conftest import BASE_URL, TEST_AUTH_ENV, embedded_settings
from tests.support.accounts import create_project, sign_up
from tests.support.processes import ServiceProcess, free_port, run_command
from tests.support.services import ThrowawayPostgres
from tests.support.tcpproxy import TcpProxy


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text, name).get(tuple(sorted(labels.items())), 0.0)


@asynccontextmanager
async def embedded(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    data = DataDir(tmp_path)
    await asyncio.to_thread(data.prepare)
    app = create_embedded_app(
        *embedded_settings(data.auth_url, data.projects_url, data.signing_key), frontend_dir=None
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            yield client


async def test_requests_are_counted_by_route_template_method_and_exact_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with embedded(tmp_path) as api:
        before = (await api.get("/metrics")).text
        ann = await sign_up(api, "metrics")
        project = await create_project(api, ann)
        for _ in range(3):
            await api.get(f"/projects/{project['id']}", headers=ann.headers)
        await api.get("/projects/not-a-project", headers=ann.headers)

        async def broken(*_: object) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr(ProjectService, "delete_project", broken)
        failed = await api.delete(f"/projects/{project['id']}", headers=ann.headers)
        assert failed.status_code == 500
        after = (await api.get("/metrics")).text

    route = "/projects/{project_id}"

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # Cached reads still count: the metric is per request, not per database hit.
    assert delta("http_requests_total", method="GET", route=route, status="200") == 3
    assert delta("http_requests_total", method="GET", route=route, status="404") == 1
    assert delta("http_requests_total", method="DELETE", route=route, status="500") == 1
    assert delta("http_requests_total", method="POST", route="/auth/login", status="200") == 1
    histogram = samples(after, "http_request_duration_seconds_bucket")
    buckets = {dict(k)["le"] for k in histogram if dict(k)["route"] == route}
    assert {"0.005", "0.05", "0.5", "2.0", "+Inf"} <= buckets
    assert delta("auth_logins_total", outcome="success") == 1
    assert value(after, "projectconnect_build_info", version="0.1.0") == 1
    assert samples(after, "db_pool_wait_seconds_count")
    # The failed delete read the project first.
    assert delta("db_statements_total", pool="projects") >= 1
    assert delta("cache_requests_total", cache="projects", result="hit") >= 2
    assert not any("/metrics" in str(k) for k in samples(after, "http_requests_total"))


async def test_readiness_follows_the_database(tmp_path: Path) -> None:
    pg = ThrowawayPostgres()
    await pg.check()
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    try:
        direct = await pg.create("ready")
        url = re.sub(r"127\.0\.0\.1(:5432)?", f"127.0.0.1:{proxy.port}", direct)
        key = ensure_private_key_file(tmp_path / "key.pem").read_bytes()
        await migrations.upgrade(PROJECTS_MIGRATIONS, direct)
        signer = TokenSigner(key, audience="projectconnect", ttl_seconds=600)
        runtime = ProjectsRuntime(
            ProjectsSettings(database_url=url), keys=StaticKeySource(signer.jwks())
        )
        async with LifespanManager(create_app(runtime)) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
                assert (await client.get("/health/ready")).status_code == 200
                await proxy.cut()
                down = await client.get("/health/ready")
                assert down.status_code == 503
                assert down.json()["checks"]["database"].startswith("error")
                assert (await client.get("/health/live")).status_code == 200
                await proxy.restore()
                deadline = time.monotonic() + 10
                while (await client.get("/health/ready")).status_code != 200:
                    assert time.monotonic() < deadline, "readiness did not come back"
                    await asyncio.sleep(0.2)
    finally:
        await proxy.cut()
        await pg.drop_all()


def test_metrics_add_up_across_worker_processes(tmp_path: Path) -> None:
    database = tmp_path / "auth.db"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "AUTH_PRIVATE_KEY_FILE": str(ensure_private_key_file(tmp_path / "key.pem")),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        **TEST_AUTH_ENV,
    }
    (tmp_path / "metrics").mkdir()
    assert run_command(["migrate", "auth"], env).returncode == 0
    port = free_port()
    server = ServiceProcess(
        "auth", env, tmp_path / "auth.log", ["serve", "auth", "--port", str(port), "--workers", "2"]
    )
    server.port = port
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url) as client:
            # Fresh connections, so both workers get some of them.
            for _ in range(40):
                client.get("/auth/validate", headers={"Connection": "close"})
            text = client.get("/metrics").text
        total = value(
            text, "http_requests_total", method="GET", route="/auth/validate", status="401"
        )
        assert total == 40
        pids = {p.name.split("_")[-1] for p in (tmp_path / "metrics").glob("*.db")}
        assert len(pids) >= 2, "expected files of more than one worker"
    finally:
        server.stop()


async def test_an_optional_dependency_down_is_reported_but_keeps_the_service_ready(
    tmp_path: Path,
) -> None:
    data = DataDir(tmp_path)
    await asyncio.to_thread(data.prepare)
    key = data.signing_key.read_bytes()
    signer = TokenSigner(key, audience="projectconnect", ttl_seconds=600)
    closed = f"redis://127.0.0.1:{free_port()}/0"
    runtime = ProjectsRuntime(
        ProjectsSettings(database_url=data.projects_url, redis_url=closed),
        keys=StaticKeySource(signer.jwks()),
    )
    async with LifespanManager(create_app(runtime)) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            ready = await client.get("/health/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error")
