"""The floor does the service's cached reads: the same bytes from the same cache."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
import redis

from bench.floor import _page_key, _role
from bench.run import (
    _clean_up_shared,
    _drop_databases,
    _port,
    _stack_options,
    fill_cache,
    floor_server,
    running,
    write_users_file,
)
from bench.seed import Sizes, seed
from projectconnect.servers import Server
from projectconnect.stack import Stack
from tests.support.services import ThrowawayBroker, ThrowawayPostgres, ThrowawayRedisPrefix
from tests.support.stack import nginx_binary

NO_CHECK: jwt.types.Options = {"verify_signature": False}
SIZES = Sizes(users=20, projects=200, tasks=2000, heavy_owner=20, teams=3, heavy_teams=2)


def test_the_role_is_read_from_its_own_line_of_the_acl() -> None:
    acl = b"a1=viewer\nb1=owner\nfa1=member"
    assert _role(acl, b"a1") == b"viewer"
    assert _role(acl, b"b1") == b"owner"
    assert _role(acl, b"fa1") == b"member"
    assert _role(b"xa1=owner", b"a1") is None
    assert _role(b"", b"a1") is None


def test_page_keys_are_the_services() -> None:
    assert _page_key("list:*", b"") == "list:*:20:"
    assert _page_key("tasks", b"limit=100&cursor=abc") == "tasks:100:abc"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """A seeded bench stack (uvicorn, one worker) of the test's own."""
    asyncio.run(ThrowawayPostgres().check())
    asyncio.run(ThrowawayRedisPrefix().check())
    asyncio.run(ThrowawayBroker().check())
    nginx_binary()
    token = secrets.token_hex(4)
    prefix, namespace = f"pc_test_{token}", f"pcbenchtest{token}"
    options = _stack_options(tmp_path / "stack", prefix, Server.uvicorn, 1, namespace=namespace)
    try:
        asyncio.run(_drop_databases(prefix))
        stack = Stack(options)
        stack.prepare()
        asyncio.run(seed(stack.auth_url, stack.projects_url, SIZES))
        with running(stack):
            yield stack
    finally:
        asyncio.run(_drop_databases(prefix))
        asyncio.run(_clean_up_shared(namespace))


def test_the_floor_answers_the_bytes_the_service_cached(stack: Stack, tmp_path: Path) -> None:
    auth = f"http://127.0.0.1:{_port(stack, 'auth-0')}"
    projects = f"http://127.0.0.1:{_port(stack, 'projects-0')}"
    users = write_users_file(stack, auth, 2, tmp_path / "users.tsv")
    for scenario in ("projects", "project", "tasks"):
        fill_cache(projects, users, scenario)
    with floor_server(Server.uvicorn, 1, tmp_path, stack) as (port, _):
        floor = f"http://127.0.0.1:{port}"
        for line in users.read_text().splitlines():
            token, project = line.split("\t")[:2]
            headers = {"Authorization": f"Bearer {token}"}
            for path in ("/projects", f"/projects/{project}", f"/projects/{project}/tasks"):
                served = httpx.get(projects + path, headers=headers)
                lean = httpx.get(floor + path, headers=headers)
                assert served.status_code == lean.status_code == 200, (path, lean.content)
                assert lean.content == served.content, path
                assert lean.headers["content-type"] == "application/json"
            # Nothing but hits: another's project is not in this caller's acl (or not
            # cached), and a token that does not verify is refused.
            other = users.read_text().splitlines()[0].split("\t")[1]
            if other != project:
                assert httpx.get(f"{floor}/projects/{other}", headers=headers).status_code == 404
            assert httpx.get(f"{floor}/projects/{project}/tasks?q=x", headers=headers).is_error
        # A session key the cache let go (after a minute) is asked of auth, as the service
        # does, and auth keeps it again.
        token = users.read_text().split("\t", 1)[0]
        key = f"{stack.options.cache_prefix}session:{jwt.decode(token, options=NO_CHECK)['sid']}"
        client = redis.Redis.from_url(stack.options.redis_url)
        try:
            assert client.delete(key) == 1
            headers = {"Authorization": f"Bearer {token}"}
            assert httpx.get(f"{floor}/projects", headers=headers).status_code == 200
            assert client.get(key) is not None
        finally:
            client.close()
        bad = {"Authorization": "Bearer not-a-token"}
        assert httpx.get(f"{floor}/projects", headers=bad).status_code == 401
        assert httpx.get(f"{floor}/projects").status_code == 401


def test_a_run_reports_the_service_as_a_share_of_the_floor() -> None:
    from bench.run import render

    row = {
        "rps": 50.0,
        "p50_ms": 1.0,
        "p99_ms": 2.0,
        "errors": 0,
        "sql_per_request": {},
        "usage": {},
    }
    report = {
        "started": "now",
        "machine": "here",
        "command": "python -m bench.run",
        "seeding": "",
        "topology": [
            {
                **row,
                "name": "floor",
                "rps": 200.0,
                "ceiling": None,
                "floor": None,
                "serves": "floor",
                "cpu_us_per_request": 200.0,
            },
            {**row, "name": "bare", "rps": 500.0, "ceiling": None, "floor": None},
            {
                **row,
                "name": "service",
                "ceiling": "bare",
                "floor": "floor",
                "serves": "projects",
                "cpu_us_per_request": 1000.0,
            },
        ],
    }
    assert "| 1,000 (projects) | 25% of floor (5.0x its CPU/req) | 10% of bare |" in render(report)
