"""A rename and an account deletion, traced in memory; prints what the spans say as JSON.

Run by test_tracing.py in a process of its own, since a tracer provider and the
instrumentations are global to a process.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import uuid
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import func, select

from projectconnect.infra.tracing import configure_tracing

EXPORTER = InMemorySpanExporter()
configure_tracing("trace-scenario", exporter=EXPORTER)

# Imported after tracing is on, as in the services.
from projectconnect.auth.app import AuthRuntime  # noqa: E402
from projectconnect.auth.app import create_app as create_auth  # noqa: E402
from projectconnect.devserver import DataDir  # noqa: E402
from projectconnect.infra.tokens import StaticKeySource  # noqa: E402
from projectconnect.projects.app import ProjectsRuntime  # noqa: E402
from projectconnect.projects.app import create_app as create_projects  # noqa: E402
from projectconnect.projects.models import Project  # noqa: E402
from tests.conftest import embedded_settings  # noqa: E402
from tests.support.accounts import create_project, sign_up  # noqa: E402


async def scenario(amqp_url: str, namespace: str) -> dict[str, object]:
    data = DataDir(Path(tempfile.mkdtemp()))
    await asyncio.to_thread(data.prepare)
    auth_settings, projects_settings = embedded_settings(
        data.auth_url, data.projects_url, data.signing_key
    )
    events = {"amqp_url": amqp_url, "events_namespace": namespace}
    auth_runtime = AuthRuntime(auth_settings.model_copy(update=_secret(events)))
    projects_runtime = ProjectsRuntime(
        projects_settings.model_copy(update=_secret(events)),
        keys=StaticKeySource(auth_runtime.signer.jwks()),
        sessions=auth_runtime.service.sessions,
    )
    auth_app, projects_app = create_auth(auth_runtime), create_projects(projects_runtime)
    async with LifespanManager(auth_app) as auth, LifespanManager(projects_app) as projects:
        auth_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=auth.app), base_url="https://pc.test"
        )
        projects_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=projects.app), base_url="https://pc.test"
        )
        ann = await sign_up(auth_client, "traced")
        await create_project(projects_client, ann, "Doomed")
        # The second read is a hit, answered by a fast path in the caller's trace.
        parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        for _ in range(2):
            listed = await projects_client.get(
                "/projects", headers={**ann.headers, "traceparent": parent}
            )
            assert listed.status_code == 200, listed.text
        fast = [
            {
                "trace_id": format(s.context.trace_id, "032x"),
                "fast_path": s.attributes["projectconnect.fast_path"],
            }
            for s in EXPORTER.get_finished_spans()
            if s.name == "GET /projects"
            and s.attributes
            and "projectconnect.fast_path" in s.attributes
        ]
        EXPORTER.clear()
        # A profile event too: its name and email must stay out of every span as well.
        renamed = await auth_client.patch(
            "/auth/me", json={"display_name": "Zebraname Traced"}, headers=ann.headers
        )
        assert renamed.status_code == 200, renamed.text
        deleted = await auth_client.request(
            "DELETE", "/auth/me", json={"password": ann.password}, headers=ann.headers
        )
        assert deleted.status_code == 204, deleted.text
        owner = uuid.UUID(ann.id)
        for _ in range(200):
            async with projects_runtime.db.session() as session:
                left = await session.scalar(
                    select(func.count()).select_from(Project).where(Project.created_by == owner)
                )
            if left == 0:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # the consumer's ack and span end
    spans = EXPORTER.get_finished_spans()
    return {
        "fast_reads": fast,
        "projects_left": left,
        "spans": [
            {
                "name": s.name,
                "trace_id": format(s.context.trace_id, "032x"),
                "kind": s.kind.name,
                "attributes": {k: str(v) for k, v in (s.attributes or {}).items()},
            }
            for s in spans
        ],
    }


def _secret(values: dict[str, str]) -> dict[str, object]:
    from pydantic import SecretStr

    return {k: SecretStr(v) if k == "amqp_url" else v for k, v in values.items()}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(scenario(sys.argv[1], sys.argv[2]))))
