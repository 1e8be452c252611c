"""Live streams through the nginx gateway of `projectconnect stack`, two projects replicas.

A stream opened through the gateway lands on one replica; writes made on either replica
reach it (the change feed is Redis's, followed by every replica), each event as it comes
(the gateway does not buffer), and a replica's stream survives the gateway's read limit.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.accounts import create_project, create_task, sign_up
from tests.support.live import open_stream
from tests.support.stack import StackProcess, running_stack
from tests.support.waiting import eventually

pytestmark = pytest.mark.processes


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    with running_stack(
        tmp_path_factory.mktemp("live-stack"),
        environment={"PROJECTS_LIVE_HEARTBEAT_SECONDS": "1"},
    ) as running:
        yield running


def through_gateway(stack: StackProcess) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.https, verify=stack.trust(), timeout=30)


async def test_writes_on_either_replica_reach_a_stream_through_the_gateway(
    stack: StackProcess,
) -> None:
    ports = stack.ports()
    replicas = sorted(name for name in ports if name.startswith("projects-"))
    assert len(replicas) == 2, ports
    async with through_gateway(stack) as gateway:
        owner = await sign_up(gateway, "owner")
        project = await create_project(gateway, owner)
        async with open_stream(gateway, owner.access_token) as stream:
            assert stream.status == 200
            await stream.wait_for("ready")
            for name in replicas:
                # Straight to one replica, past the gateway's choice.
                async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{ports[name]}", timeout=30
                ) as replica:
                    task = await create_task(replica, owner, project["id"], f"On {name}")
                    await stream.wait_for("task", id=task["id"], op="created")


async def test_the_gateway_holds_a_quiet_stream_open_past_its_read_limit(
    stack: StackProcess,
) -> None:
    """Reads are given up on after 1.5 s; a stream with nothing to say is not: its
    heartbeats (every second here, 15 s by default) pass, within the streams' own limit."""
    async with through_gateway(stack) as gateway:
        owner = await sign_up(gateway, "quiet")
        project = await create_project(gateway, owner)
        async with open_stream(gateway, owner.access_token) as stream:
            await stream.wait_for("ready")
            opened = time.monotonic()
            await eventually(
                lambda: stream.heartbeats >= 3 or stream.ended, message="no heartbeats came"
            )
            assert not stream.ended, stream.error
            assert time.monotonic() - opened > 1.5
            task = await create_task(gateway, owner, project["id"])
            await stream.wait_for("task", id=task["id"])
