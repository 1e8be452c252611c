"""One account deletion is one trace: the HTTP request, the relay's publish, the consumer."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from projectconnect.infra.rabbitmq import declare_topology
from tests.support.services import ThrowawayBroker

ROOT = Path(__file__).resolve().parents[2]


def test_an_account_deletion_is_one_trace_across_http_outbox_and_rabbitmq() -> None:
    broker = ThrowawayBroker()
    asyncio.run(broker.check())
    asyncio.run(declare_topology(broker.url, broker.topology))
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.integration.trace_scenario",
                broker.url,
                broker.topology.namespace,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        asyncio.run(broker.delete())
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["projects_left"] == 0
    # The list's miss was declined by its fast path, its hit answered, both in the caller's trace.
    trace_ids = {span["trace_id"] for span in outcome["fast_reads"]}
    assert trace_ids == {"0af7651916cd43dd8448eb211c80319c"}
    assert [span["fast_path"] for span in outcome["fast_reads"]] == ["declined", "answered"]
    spans = outcome["spans"]
    request = next(s for s in spans if s["name"] == "DELETE /auth/me" and s["kind"] == "SERVER")
    trace = [s for s in spans if s["trace_id"] == request["trace_id"]]
    names = [s["name"] for s in trace]
    assert "outbox publish user.deleted" in names, names
    assert any(
        s["kind"] == "PRODUCER" and s["name"] != "outbox publish user.deleted" for s in trace
    )
    assert any(s["kind"] == "CONSUMER" for s in trace), names
    # The handler's work, under the consumer: the personal workspace (and with it the
    # projects) was deleted in this trace.
    assert any(
        "DELETE" in s["name"] and "workspaces" in s["attributes"].get("db.statement", "")
        for s in trace
    ), json.dumps(trace, indent=1)[-4000:]
    # No personal data in any span: the email, the name and the password never appear,
    # though the rename's event, which carries the first two, went the same way.
    assert any(s["name"] == "outbox publish user.updated" for s in spans), names
    text = json.dumps(spans)
    assert "@example.com" not in text
    assert "Zebraname" not in text
    assert "violet-kettle" not in text


def test_a_change_notice_is_linked_to_the_write_that_made_it() -> None:
    """The notice leaves in the stream's own trace, linked to the write's: a trace viewer
    goes from a slow notice to the request that committed the change."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.integration.live_trace_scenario"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert [outcome["write_trace"]] in outcome["notice_links"], outcome
