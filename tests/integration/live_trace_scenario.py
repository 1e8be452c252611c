"""A task created while its project's owner has a stream open, traced in memory; prints
the write's trace id and the links of the notice spans as JSON.

Run by test_tracing.py in a process of its own, since a tracer provider and the
instrumentations are global to a process.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

import httpx
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from projectconnect.infra.tracing import configure_tracing

EXPORTER = InMemorySpanExporter()
configure_tracing("live-trace-scenario", exporter=EXPORTER)

# Imported after tracing is on, as in the services.
from projectconnect.devserver import DataDir, create_embedded_app  # noqa: E402
from tests.conftest import embedded_settings  # noqa: E402
from tests.support.accounts import create_project, create_task, sign_up  # noqa: E402
from tests.support.live import open_stream, served  # noqa: E402
from tests.support.waiting import eventually  # noqa: E402


async def scenario() -> dict[str, object]:
    data = DataDir(Path(tempfile.mkdtemp()))
    await asyncio.to_thread(data.prepare)
    app = create_embedded_app(
        *embedded_settings(data.auth_url, data.projects_url, data.signing_key)
    )
    async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as api:
        ann = await sign_up(api, "traced")
        project = await create_project(api, ann)
        async with open_stream(api, ann.access_token) as stream:
            await stream.wait_for("ready")
            task = await create_task(api, ann, project["id"])
            await stream.wait_for("task", id=task["id"])
            await eventually(
                lambda: any(s.name == "live.notice" for s in EXPORTER.get_finished_spans()),
                message="no notice span",
            )
    spans = EXPORTER.get_finished_spans()
    write = next(
        s
        for s in spans
        if s.name == "POST /projects/{project_id}/tasks" and s.kind.name == "SERVER"
    )
    return {
        "write_trace": format(write.context.trace_id, "032x"),
        "notice_links": [
            [format(link.context.trace_id, "032x") for link in s.links]
            for s in spans
            if s.name == "live.notice"
        ],
        "notice_traces": [
            format(s.context.trace_id, "032x") for s in spans if s.name == "live.notice"
        ],
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(scenario())))
