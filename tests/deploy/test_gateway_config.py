"""The gateway's rendering, read as text: every route the services serve is routed, with the
right checks, and the upstream failure rules keep healthy replicas in rotation.

The compose rendering is what the gateway image holds, under compose and on Kubernetes
alike (the Ingress sends every path to the gateway); the one-host rendering is the same
template. tests/integration/test_gateway.py serves it and sends requests through it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from projectconnect.cli import Service, openapi
from projectconnect.gateway import PROJECTS_ROUTES, GatewayConfig, Tls, render

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


def _location(rendering: str, match: str) -> str:
    found = re.findall(
        rf"\n {{8}}location {re.escape(match)} \{{\n(.*?)\n {{8}}\}}", rendering, re.S
    )
    assert len(found) == 1, f"{len(found)} locations {match!r}"
    return str(found[0])


def _first_segments(service: Service, capsys: pytest.CaptureFixture[str]) -> set[str]:
    capsys.readouterr()
    openapi(service)  # what `projectconnect openapi SERVICE` prints
    return {path.split("/")[1] for path in json.loads(capsys.readouterr().out)["paths"]}


def test_every_projects_route_is_routed_to_the_projects_service(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A new top-level path in the projects service needs a route in nginx.conf.j2
    (gateway.PROJECTS_ROUTES); until then the gateway hands it to the front end."""
    routed = {route.prefix for route in PROJECTS_ROUTES}
    segments = _first_segments(Service.projects, capsys)
    assert segments <= routed, f"route {sorted(segments - routed)}: gateway.PROJECTS_ROUTES"
    assert _first_segments(Service.auth, capsys) == {"auth"}


@pytest.mark.parametrize("prefix", ["projects", "workspaces"])
def test_token_checked_prefixes_go_to_projects_after_the_auth_check(
    rendering: str, prefix: str
) -> None:
    for match in (f"= /{prefix}", f"/{prefix}/"):
        location = _location(rendering, match)
        assert "auth_request /_pc_validate;" in location
        assert "proxy_set_header X-PC-User $pc_user;" in location
        assert "proxy_pass http://$pc_projects_route;" in location


def test_invitations_go_to_projects_without_the_auth_check(rendering: str) -> None:
    """A preview of an invitation is for someone not logged in yet."""
    for match in ("= /invitations", "/invitations/"):
        location = _location(rendering, match)
        assert "auth_request" not in location
        assert 'proxy_set_header X-PC-User "";' in location
        assert "proxy_pass http://$pc_projects_route;" in location
    # The per-address limits are the server's, so they cover every location.
    server = rendering.split("location = /_pc_validate")[0].rsplit("server {", 1)[1]
    assert "limit_req zone=pc_per_ip" in server
    assert "limit_conn pc_conn_per_ip" in server


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
        primaries = [s for s, p in servers if "backup" not in p.split()]
        assert primaries
        for _, parameters in servers:
            if "backup" in parameters.split():
                # When every replica has been left out, all are tried rather than none.
                assert "max_fails=0" in parameters.split()
            else:
                assert "max_fails=2" in parameters
                assert "fail_timeout=" in parameters
        assert sorted(s for s, p in servers if "backup" in p.split()) == sorted(primaries)
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
