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
from projectconnect.gateway import (
    PROBLEMS,
    PROJECTS_ROUTES,
    GatewayConfig,
    RateLimits,
    Timeouts,
    Tls,
    render,
)
from projectconnect.projects.app import PUBLIC_PREFIXES

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


def test_the_embedded_app_routes_the_same_prefixes_to_the_projects_service() -> None:
    """One port in embedded mode: what is not the projects service's is the front end's."""
    assert sorted(PUBLIC_PREFIXES) == sorted(route.prefix for route in PROJECTS_ROUTES)


@pytest.mark.parametrize("prefix", ["projects", "workspaces", "search", "me"])
def test_token_checked_prefixes_go_to_projects_after_the_auth_check(
    rendering: str, prefix: str
) -> None:
    for match in (f"= /{prefix}", f"/{prefix}/"):
        location = _location(rendering, match)
        assert "auth_request /_pc_validate;" in location
        assert "proxy_set_header X-PC-User $pc_user;" in location
        assert "proxy_pass http://pc_projects;" in location
        # Writes leave before the checks here run, for a location that makes them.
        assert "error_page 418 = @pc_projects_write;" in location
    write = _location(rendering, "@pc_projects_write")
    assert "auth_request /_pc_validate;" in write
    assert "proxy_set_header X-PC-User $pc_user;" in write
    assert "proxy_pass http://pc_projects_writes;" in write


def test_invitations_go_to_projects_without_the_auth_check(rendering: str) -> None:
    """A preview of an invitation is for someone not logged in yet."""
    for match in ("= /invitations", "/invitations/"):
        location = _location(rendering, match)
        assert "auth_request" not in location
        assert 'proxy_set_header X-PC-User "";' in location
        assert "proxy_pass http://pc_projects;" in location
        assert "error_page 418 = @pc_projects_write_unchecked;" in location
    write = _location(rendering, "@pc_projects_write_unchecked")
    assert "auth_request" not in write
    assert "$pc_user" not in write
    assert "proxy_pass http://pc_projects_writes;" in write
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
    streams = Timeouts().stream_read_ms / 1000
    assert max(t for t in timeouts if t != streams) <= 11, (
        "only writes and password hashing may take long (and live streams, below)"
    )
    assert min(timeouts) <= 2, "normal requests are given up on within 2 s"


def _server_directive(rendering: str, name: str) -> str:
    """The main server's own `name` (before its first location)."""
    server = rendering.split("location = /_pc_validate")[0].rsplit("server {", 1)[1]
    (value,) = re.findall(rf"\n {{8}}{name} ([^;]*);", server)
    return str(value)


def _read_timeout(block: str) -> float:
    (value,) = re.findall(r"proxy_read_timeout (\S+);", block)
    return _seconds(value)


def test_reads_are_given_up_on_quickly_and_writes_are_given_time(rendering: str) -> None:
    """A read caught on a stuck replica goes to the next one after a short wait; a write
    is never resent, so it waits long enough for a write slow in the database to finish."""
    timeouts = Timeouts()
    read = _seconds(_server_directive(rendering, "proxy_read_timeout"))
    assert read == timeouts.read_ms / 1000 <= 2
    assert "timeout" in _server_directive(rendering, "proxy_next_upstream").split()
    for route in PROJECTS_ROUTES:
        for match in (f"= /{route.prefix}", f"/{route.prefix}/"):
            location = _location(rendering, match)
            if not route.stream:
                assert "proxy_read_timeout" not in location, "reads keep the server's"
            assert re.search(r"if \(\$pc_write\) \{\s*return 418;\s*\}", location), match
    for name in ("@pc_projects_write", "@pc_projects_write_unchecked"):
        write = _location(rendering, name)
        assert _read_timeout(write) == timeouts.write_ms / 1000 >= 5
        assert "proxy_next_upstream off;" in write
    # The hop gives up later than the named location, so a write slow in the database ends
    # there and never counts against its replica; and never resends a timed-out write.
    hop = rendering.split("listen unix:", 1)[1]
    assert _read_timeout(hop) > timeouts.write_ms / 1000
    (retry,) = re.findall(r"proxy_next_upstream ([^;]*);", hop)
    assert "timeout" not in retry.split(), "a write that timed out may still be running"
    # Every method but these is a write.
    methods = rendering.split("map $request_method $pc_write {", 1)[1].split("}", 1)[0]
    assert re.findall(r"(\S+) 0;", methods) == ["GET", "HEAD", "OPTIONS"]
    assert "default 1;" in methods


def test_live_streams_pass_unbuffered_held_open_and_counted_per_address(
    rendering: str,
) -> None:
    """Each event leaves as it comes; a stream outlives the read limit (it sends a heartbeat
    every 15 s, so a minute of silence is a stuck replica); an address holds a bounded
    number of streams on top of its connections; and the token is checked at the edge."""
    (route,) = [r for r in PROJECTS_ROUTES if r.stream]
    assert route.prefix == "events"
    assert route.token_checked
    limits = RateLimits()
    for match in ("= /events", "/events/"):
        location = _location(rendering, match)
        assert "proxy_buffering off;" in location
        assert "proxy_cache off;" in location
        assert _read_timeout(location) == Timeouts().stream_read_ms / 1000 >= 45
        assert f"limit_conn pc_streams_per_ip {limits.streams_per_ip};" in location
        assert f"limit_conn pc_conn_per_ip {limits.connections_per_ip};" in location
        assert "auth_request /_pc_validate;" in location
    assert "zone=pc_streams_per_ip:" in rendering


def test_projects_locations_keep_every_problem_document(rendering: str) -> None:
    """A location's own error_page (418, for writes) drops the server's: they are repeated,
    and recursive, so the errors of the named location are problem documents too."""
    for route in PROJECTS_ROUTES:
        for match in (f"= /{route.prefix}", f"/{route.prefix}/"):
            location = _location(rendering, match)
            assert "recursive_error_pages on;" in location
            for problem in PROBLEMS:
                assert re.search(
                    rf"error_page [0-9 ]*\b{problem.catches[0]}\b[0-9 ]* = "
                    rf"/_pc_problems/{problem.name};",
                    location,
                ), (match, problem.name)


def _seconds(value: str) -> float:
    if value.endswith("ms"):
        return int(value[:-2]) / 1000
    return int(value.rstrip("s"))


def test_each_projects_route_is_listed_once() -> None:
    # nginx refuses a configuration with the same location twice.
    prefixes = [route.prefix for route in PROJECTS_ROUTES]
    assert len(prefixes) == len(set(prefixes))
