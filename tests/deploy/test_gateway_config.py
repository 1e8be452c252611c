"""The gateway's rendering, read as text: the upstream failure rules keep healthy replicas in
rotation.

The compose rendering is what the gateway image holds, under compose and on Kubernetes
alike (the Ingress sends every path to the gateway); the one-host rendering is the same
template. tests/integration/test_gateway.py serves it and sends requests through it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from projectconnect.gateway import GatewayConfig, Tls, render

RENDERINGS = {
    "compose": GatewayConfig.for_compose(),
    "host": GatewayConfig.for_host(
        auth_ports=[9001, 9002],
        projects_ports=[9003, 9004],
        runtime_dir=Path("/run/pc"),
        static_root=None,
        tls=Tls("/tls.crt", "/tls.key"),
    ),
}


@pytest.fixture(params=sorted(RENDERINGS))
def rendering(request: pytest.FixtureRequest) -> str:
    return render(RENDERINGS[request.param])


def test_a_503_never_counts_against_a_replica(rendering: str) -> None:
    """Every replica answers 503 while its database is down: that is no reason to skip it."""
    rules = re.findall(r"proxy_next_upstream ([^;]*);", rendering)
    assert rules
    for rule in rules:
        assert "http_503" not in rule.split(), rule


def test_replicas_that_do_not_answer_are_left_out(rendering: str) -> None:
    for upstream in ("pc_auth", "pc_projects"):
        block = rendering.split(f"upstream {upstream} {{", 1)[1].split("}", 1)[0]
        servers = re.findall(r"server (\S+)([^;]*);", block)
        assert servers
        for _, parameters in servers:
            assert "max_fails=" in parameters
            assert "fail_timeout=" in parameters
        # Shared by the worker processes, so each does not find a frozen replica anew.
        assert f"zone {upstream} " in block
    timeouts = [_seconds(t) for t in re.findall(r"proxy_read_timeout (\S+);", rendering)]
    assert max(timeouts) <= 10, "only password hashing may take long"
    assert min(timeouts) <= 2, "normal requests are given up on within 2 s"
    writes = rendering.split("listen unix:", 1)[1]
    (hop,) = re.findall(r"proxy_next_upstream ([^;]*);", writes)
    assert "timeout" not in hop.split(), "a write that timed out may still be running"


def _seconds(value: str) -> float:
    if value.endswith("ms"):
        return int(value[:-2]) / 1000
    return int(value.rstrip("s"))
