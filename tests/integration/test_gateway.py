"""The nginx gateway in front of the whole topology, started by `projectconnect stack`."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from projectconnect.gateway import GatewayConfig, Tls, check, make_self_signed_certificate, write
from projectconnect.infra.headers import SECURITY_HEADERS
from tests.conftest import TEST_AUTH_ENV
from tests.support.accounts import PASSWORD, create_project, sign_up, unique_email
from tests.support.processes import free_port, run_command
from tests.support.rawhttp import read_answer
from tests.support.services import (
    POSTGRES_ADMIN_URL,
    ThrowawayBroker,
    ThrowawayPostgres,
    ThrowawayRedisPrefix,
)
from tests.support.stack import nginx_binary
from tests.support.waiting import eventually

ASSET = "assets/app-3f9a1c2e.js"


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    runtime: Path
    https: str
    http: str
    pids: list[int]

    def trust(self) -> ssl.SSLContext:
        """Verify the gateway against the stack's own self-signed certificate."""
        return trusting(self.runtime / "tls" / "tls.crt")

    def logs(self, name: str) -> str:
        return "".join(p.read_text() for p in (self.runtime / "logs").glob(f"{name}*.log"))

    def access_log(self) -> list[dict[str, object]]:
        text = (self.runtime / "gateway" / "access.log").read_text()
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def trusting(certificate: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate))


def _frontend(root: Path) -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>Project Connect</title>")
    (root / ASSET).write_text("console.log('project connect');\n" * 200)
    return root


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    nginx = nginx_binary()
    pg, redis, broker = ThrowawayPostgres(), ThrowawayRedisPrefix(), ThrowawayBroker()
    for service in (pg, redis, broker):
        asyncio.run(service.check())
    root = tmp_path_factory.mktemp("stack")
    http_port, https_port = free_port(), free_port()
    env = {
        **os.environ,
        **TEST_AUTH_ENV,
        "EVENTS_NAMESPACE": broker.topology.namespace,
        "CACHE_PREFIX": redis.prefix,
    }
    command = [
        sys.executable,
        "-m",
        "projectconnect",
        "stack",
        "--runtime-dir",
        str(root / "run"),
        "--http-port",
        str(http_port),
        "--https-port",
        str(https_port),
        "--database-prefix",
        pg.prefix,
        "--postgres-url",
        POSTGRES_ADMIN_URL,
        "--frontend-dir",
        str(_frontend(root / "dist")),
        "--login-rate",
        "120r/m",
        "--login-burst",
        "20",
        "--nginx",
        nginx,
    ]
    out = root / "stack.out"
    with out.open("wb") as handle:
        process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "Ctrl-C stops everything" not in out.read_text():
            assert process.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        pids = [int(pid) for pid in re.findall(r"pid (\d+)", out.read_text())]
        yield RunningStack(
            process,
            root / "run",
            f"https://127.0.0.1:{https_port}",
            f"http://127.0.0.1:{http_port}",
            pids,
        )
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        finally:
            pg.created = [f"{pg.prefix}_auth", f"{pg.prefix}_projects"]
            asyncio.run(pg.drop_all())
            asyncio.run(redis.clean())
            asyncio.run(broker.delete())


# Each test's client comes from a loopback address of its own, as each person's browser
# would: the gateway's per-address limits (logins: 120/min after a burst of 20) then count
# one test's requests, not the whole module's. 127.0.0.2-6 are the burst tests' own.
_CLIENT_ADDRESSES = (f"127.0.{2 + n // 250}.{1 + n % 250}" for n in itertools.count())


@pytest.fixture
async def gateway(stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.AsyncHTTPTransport(
        local_address=next(_CLIENT_ADDRESSES), verify=stack.trust()
    )
    async with httpx.AsyncClient(transport=transport, base_url=stack.https, timeout=10) as client:
        yield client


def _render_for_test(config: GatewayConfig, root: Path) -> Path:
    config = replace(
        config,
        tls=make_self_signed_certificate(root / "tls"),
        runtime_dir=str(root / "run"),
        pid_file=str(root / "nginx.pid"),
        error_log=str(root / "error.log"),
        access_log=str(root / "access.log"),
    )
    return write(config, root / "nginx.conf")


def test_the_compose_rendering_passes_nginx_t(tmp_path: Path) -> None:
    nginx = nginx_binary()
    path = _render_for_test(GatewayConfig.for_compose(), tmp_path)
    # Upstreams are compose service names: resolve them in a private mount namespace.
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost auth projects frontend\n")
    result = subprocess.run(
        [
            "unshare",
            "--mount",
            "sh",
            "-c",
            f'mount --bind "{hosts}" /etc/hosts && {nginx} -t -q -c "{path}" '
            f'-e "{tmp_path / "error.log"}"',
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 and "unshare" in result.stderr and "ermission" in result.stderr:
        pytest.skip(f"no mount namespace here: {result.stderr}")
    assert result.returncode == 0, result.stderr


def test_the_host_rendering_passes_nginx_t(tmp_path: Path) -> None:
    config = GatewayConfig.for_host(
        auth_ports=[free_port(), free_port()],
        projects_ports=[free_port()],
        runtime_dir=tmp_path / "run",
        static_root=tmp_path,
        tls=Tls("unused", "unused"),
    )
    check(_render_for_test(config, tmp_path), nginx=nginx_binary(), error_log=tmp_path / "e.log")


async def test_each_prefix_reaches_its_service(
    gateway: httpx.AsyncClient, stack: RunningStack
) -> None:
    jwks = await gateway.get("/auth/.well-known/jwks.json")
    assert jwks.status_code == 200
    assert jwks.json()["keys"][0]["alg"] == "ES256"
    ann = await sign_up(gateway, "gw")
    created = await create_project(gateway, ann, "Through the gateway")
    listed = await gateway.get("/projects", headers=ann.headers)
    assert [p["id"] for p in listed.json()["items"]] == [created["id"]]
    home = await gateway.get("/")
    assert "Project Connect" in home.text


async def test_tls_is_modern_and_plain_http_redirects(stack: RunningStack) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    port = int(stack.https.rsplit(":", 1)[1])
    _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
    version = writer.get_extra_info("ssl_object").version()
    writer.close()
    assert version in {"TLSv1.3", "TLSv1.2"}
    # A client that can really speak TLS 1.1 (by default Python's refuses below 1.2 and
    # OpenSSL's security level removes the old ciphers), so only the gateway can refuse.
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname, old.verify_mode = False, ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # that is the point
        old.minimum_version = ssl.TLSVersion.TLSv1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await asyncio.open_connection("127.0.0.1", port, ssl=old)
    async with httpx.AsyncClient() as plain:
        redirect = await plain.get(f"{stack.http}/projects?limit=5")
        spoofed = await plain.get(f"{stack.http}/login", headers={"Host": "evil.example"})
    assert redirect.status_code == 301
    assert redirect.headers["location"] == f"https://127.0.0.1:{port}/projects?limit=5"
    # A Host the gateway does not answer to is never echoed into the redirect.
    assert spoofed.headers["location"] == f"https://localhost:{port}/login"
    async with httpx.AsyncClient(verify=stack.trust()) as client:
        secure = await client.get(f"{stack.https}/auth/.well-known/jwks.json")
    assert secure.headers["strict-transport-security"].startswith("max-age=")


async def test_the_request_id_round_trips_and_is_logged(
    gateway: httpx.AsyncClient, stack: RunningStack
) -> None:
    ann = await sign_up(gateway, "rid")
    rid = f"gateway-test-{time.monotonic_ns()}"
    response = await gateway.get("/projects", headers={**ann.headers, "X-Request-ID": rid})
    assert response.headers.get_list("X-Request-ID") == [rid]
    made_up = await gateway.get("/projects", headers={"X-Request-ID": "bad id"})
    assert re.fullmatch(r"[0-9a-f]{32}", made_up.headers["X-Request-ID"])
    # Log lines are written by other processes: wait for both.
    await eventually(
        lambda: _logged(stack, rid) and rid in stack.logs("projects"),
        message=f"{rid} never logged by the gateway and the projects service",
    )
    entry = next(e for e in stack.access_log() if e["request_id"] == rid)
    assert entry["status"] == 200
    assert entry["route"] == "/projects"
    assert str(entry["upstream"]).startswith("127.0.0.1:") or str(entry["upstream"]).startswith(
        "unix:"
    )
    assert {"request_time", "upstream_time", "rate_limit"} <= entry.keys()
    assert rid in stack.logs("projects")
    assert rid in stack.logs("auth")  # the token check went to auth with the same id


async def test_a_burst_of_logins_gets_429_with_retry_after(stack: RunningStack) -> None:
    # From an address of its own, so other tests' logins do not share the bucket.
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2", verify=stack.trust())
    async with httpx.AsyncClient(transport=transport, base_url=stack.https) as client:
        body = {"email": unique_email("burst"), "password": "wrong-password-1"}
        codes = [(await client.post("/auth/login", json=body)).status_code for _ in range(40)]
        limited = await client.post("/auth/login", json=body)
    assert set(codes[:5]) == {401}
    assert 429 in codes
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.json()["status"] == 429


async def test_a_burst_of_writes_is_limited_per_user(stack: RunningStack) -> None:
    """The per-user limit of the writes hop: one user's burst, from several addresses (so
    the per-address limits stay out of it), leaves another user's writes alone."""

    def client(address: str) -> httpx.AsyncClient:
        transport = httpx.AsyncHTTPTransport(local_address=address, verify=stack.trust())
        return httpx.AsyncClient(transport=transport, base_url=stack.https, timeout=30)

    async with contextlib.AsyncExitStack() as clients:
        apis = [await clients.enter_async_context(client(f"127.0.0.{n}")) for n in range(3, 7)]
        ann, bob = await sign_up(apis[0], "burst-writer"), await sign_up(apis[0], "calm-writer")
        burst: list[httpx.Response] = []
        # An invalid body: answered by the service without touching its database. Batches
        # on kept-alive connections outpace the limit (20/s after a burst of 40) anywhere.
        for _ in range(10):
            burst += await asyncio.gather(
                *(api.post("/projects", json={}, headers=ann.headers) for api in apis * 10)
            )
            if any(response.status_code == 429 for response in burst):
                break
        calm = await apis[0].post("/projects", json={}, headers=bob.headers)
    statuses = {response.status_code for response in burst}
    assert statuses == {422, 429}, statuses
    limited = next(response for response in burst if response.status_code == 429)
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["Retry-After"]) > 0
    assert calm.status_code == 422


async def test_an_oversize_body_gets_a_json_413(gateway: httpx.AsyncClient) -> None:
    ann = await sign_up(gateway, "big")
    response = await gateway.post(
        "/projects",
        content=b'{"name":"' + b"x" * 2_000_000 + b'"}',
        headers={**ann.headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/health/ready", "/metrics", "/openapi.json", "/nope/app.js"])
async def test_unknown_and_internal_routes_get_a_json_404(
    gateway: httpx.AsyncClient, path: str
) -> None:
    response = await gateway.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


async def test_a_bad_token_is_refused_before_the_projects_service(
    gateway: httpx.AsyncClient, stack: RunningStack
) -> None:
    rid = f"bad-token-{time.monotonic_ns()}"
    response = await gateway.get(
        "/projects", headers={"Authorization": "Bearer not.a.token", "X-Request-ID": rid}
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    # Logged once the gateway is done with it, so after anything it sent on.
    await eventually(
        lambda: _logged(stack, rid) and rid in stack.logs("auth"),
        message=f"{rid} never logged by the gateway and auth",
    )
    assert rid not in stack.logs("projects")


@pytest.mark.parametrize("path", ["/workspaces", "/workspaces/abc/members", "/projects/abc"])
async def test_token_checked_prefixes_refuse_a_missing_token_at_the_edge(
    gateway: httpx.AsyncClient, stack: RunningStack, path: str
) -> None:
    rid = f"no-token-{time.monotonic_ns()}"
    response = await gateway.get(path, headers={"X-Request-ID": rid})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["title"] == "Unauthorized"
    await eventually(
        lambda: _logged(stack, rid) and rid in stack.logs("auth"),
        message=f"{rid} never logged by the gateway and auth",
    )
    assert rid not in stack.logs("projects")


@pytest.mark.parametrize(
    ("method", "path", "signed_in"),
    [
        ("GET", "/workspaces", True),
        ("GET", "/workspaces/abc/projects", True),
        ("POST", "/workspaces", True),
        # An invitation's preview is for someone not logged in: no check at the edge.
        ("GET", "/invitations/some-token", False),
        ("GET", "/invitations", False),
        ("POST", "/invitations/some-token/accept", False),
    ],
)
async def test_the_team_prefixes_reach_the_projects_service(
    gateway: httpx.AsyncClient, stack: RunningStack, method: str, path: str, signed_in: bool
) -> None:
    headers = {"X-Request-ID": f"team-route-{time.monotonic_ns()}"}
    if signed_in:
        headers |= (await sign_up(gateway, "teams")).headers
    response = await gateway.request(
        method, path, headers=headers, json={} if method == "POST" else None
    )
    # Whatever the service answers (it may not have the route yet), it is the one answering.
    assert response.headers["content-type"].startswith(
        ("application/json", "application/problem+json")
    )
    assert response.status_code != 502
    rid = headers["X-Request-ID"]
    await eventually(
        lambda: _logged(stack, rid) and rid in stack.logs("projects"),
        message=f"{rid} never logged by the gateway and the projects service",
    )
    entry = next(e for e in stack.access_log() if e["request_id"] == headers["X-Request-ID"])
    assert entry["route"] == path
    assert entry["upstream_status"] == str(response.status_code)


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/search?q=x", "projects"),
        ("/search", "projects"),
        ("/me/tasks", "projects"),
        ("/me", "projects"),
        # The account stays the auth service's.
        ("/auth/me", "auth"),
    ],
)
async def test_the_caller_s_own_routes_reach_their_service(
    gateway: httpx.AsyncClient, stack: RunningStack, path: str, service: str
) -> None:
    ann = await sign_up(gateway, "me")
    rid = f"me-route-{time.monotonic_ns()}"
    response = await gateway.get(path, headers={**ann.headers, "X-Request-ID": rid})
    # The service answers (the projects service may not have the route yet: its own 404),
    # never the front end's index.html nor the gateway's own 404.
    assert response.headers["content-type"].startswith(
        ("application/json", "application/problem+json")
    ), response.text
    # Log lines are written by other processes: wait for both.
    await eventually(
        lambda: _logged(stack, rid) and rid in stack.logs(service),
        message=f"{rid} never logged by the gateway and {service}",
    )
    entry = next(e for e in stack.access_log() if e["request_id"] == rid)
    assert entry["upstream_status"] == str(response.status_code)
    if service == "auth":
        assert rid not in stack.logs("projects")
        assert response.status_code == 200
        assert response.json()["email"] == ann.email


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/search?q=x"), ("GET", "/me/tasks"), ("POST", "/projects"), ("DELETE", "/me")],
)
async def test_reads_and_writes_without_a_token_are_refused_at_the_edge(
    gateway: httpx.AsyncClient, stack: RunningStack, method: str, path: str
) -> None:
    """Writes are checked in a location of their own, with the same problem documents."""
    rid = f"me-no-token-{time.monotonic_ns()}"
    response = await gateway.request(method, path, headers={"X-Request-ID": rid})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers.get_list("X-Request-ID") == [rid]
    assert response.json()["status"] == 401
    # Logged once the gateway is done with it, so after anything it sent on.
    await eventually(lambda: _logged(stack, rid), message=f"{rid} never in the access log")
    assert rid not in stack.logs("projects")


def _logged(stack: RunningStack, rid: str) -> bool:
    return any(e["request_id"] == rid for e in stack.access_log())


async def test_a_name_that_only_starts_like_a_prefix_is_the_front_end_s(
    gateway: httpx.AsyncClient,
) -> None:
    for path in (
        "/workspaces-overview",
        "/invitations-sent/1",
        "/my-tasks",
        "/me-anything",
        "/searches/saved",
    ):
        response = await gateway.get(path)
        assert response.status_code == 200
        assert "Project Connect" in response.text


async def test_a_revoked_token_is_refused_within_five_seconds(
    gateway: httpx.AsyncClient,
) -> None:
    ann = await sign_up(gateway, "revoked")
    assert (await gateway.get("/projects", headers=ann.headers)).status_code == 200
    assert (await gateway.post("/auth/logout", headers=ann.headers)).status_code == 204

    async def refused() -> bool:
        return (await gateway.get("/projects", headers=ann.headers)).status_code == 401

    await eventually(refused, within=5, message="the revoked token was still accepted")


async def test_static_assets_are_immutable_and_the_app_revalidates(
    gateway: httpx.AsyncClient,
) -> None:
    asset = await gateway.get(f"/{ASSET}", headers={"Accept-Encoding": "gzip"})
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-encoding"] == "gzip"
    assert "project connect" in asset.text  # httpx decoded the gzip
    index = await gateway.get("/")
    assert index.headers["cache-control"] == "no-cache"
    assert "frame-ancestors 'none'" in index.headers["content-security-policy"]
    assert index.headers["x-content-type-options"] == "nosniff"
    deep_link = await gateway.get("/projects-page/123/settings")
    assert deep_link.status_code == 200
    assert deep_link.text == index.text
    assert deep_link.headers["cache-control"] == "no-cache"
    missing = await gateway.get("/assets/app-00000000.js")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_answers_carry_one_copy_of_each_security_header_and_a_secure_cookie(
    gateway: httpx.AsyncClient,
) -> None:
    email = unique_email("headers")
    await gateway.post("/auth/register", json={"email": email, "password": PASSWORD})
    login = await gateway.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    token = login.json()["access_token"]
    answers = [
        login,
        await gateway.get("/auth/me", headers={"Authorization": f"Bearer {token}"}),
        await gateway.get("/projects", headers={"Authorization": f"Bearer {token}"}),
        await gateway.get("/auth/.well-known/jwks.json"),
        await gateway.get("/"),
    ]
    for response in answers:
        for name, value in SECURITY_HEADERS:
            assert response.headers.get_list(name) == [value], (name, response.url)
    for personal in answers[:3]:
        assert personal.headers.get_list("cache-control") == ["no-store"]
    # Behind the gateway the request was https (X-Forwarded-Proto): the cookie stays Secure.
    cookie = next(c for c in login.headers.get_list("set-cookie") if "refresh_token=" in c)
    assert "secure" in cookie.lower().split("; ")


def _raw_tls(stack: RunningStack, request: bytes) -> tuple[int, dict[str, str], bytes]:
    port = int(stack.https.rsplit(":", 1)[1])
    plain = socket.create_connection(("127.0.0.1", port), timeout=10)
    with stack.trust().wrap_socket(plain, server_hostname="localhost") as sock:
        sock.sendall(request)
        return read_answer(sock)


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 400),
        (b"POST /index.html HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n", 405),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    ],
    ids=["malformed", "uri-too-long", "header-too-large", "post-to-a-file", "unknown-coding"],
)
def test_nginx_s_own_errors_are_problem_documents(
    stack: RunningStack, request_bytes: bytes, status: int
) -> None:
    answered, headers, body = _raw_tls(stack, request_bytes)
    assert answered == status, body
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == status
    assert headers["x-content-type-options"] == "nosniff"


def test_plain_http_on_the_https_port_is_a_problem_document(stack: RunningStack) -> None:
    port = int(stack.https.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        status, headers, body = read_answer(sock)
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert "HTTPS port" in json.loads(body)["detail"]


def test_the_compose_redirect_names_the_published_port_and_a_known_host(tmp_path: Path) -> None:
    """The compose rendering, served on free ports: PC_HTTPS_PORT is what the redirect names."""
    nginx = nginx_binary()
    http_port = free_port()
    config = replace(
        GatewayConfig.for_compose(public_hosts=("pc.example.org",), public_https_port=9443),
        upstreams={"auth": ["127.0.0.1:9"], "projects": ["127.0.0.1:9"], "frontend": []},
        listen_host="127.0.0.1",
        http_port=http_port,
        https_port=free_port(),
        status_listen="127.0.0.1",
        status_port=free_port(),
        temp_dir=str(tmp_path / "tmp"),
    )
    path = _render_for_test(config, tmp_path)
    gateway = subprocess.Popen(
        [nginx, "-c", str(path), "-e", str(tmp_path / "error.log"), "-g", "daemon off;"]
    )
    try:
        url = f"http://127.0.0.1:{http_port}/p/1?tab=tasks"
        deadline = time.monotonic() + 10
        while True:
            try:
                spoofed = httpx.get(url, headers={"Host": "evil.example"})
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        known = httpx.get(url, headers={"Host": "PC.example.org:8080"})
    finally:
        gateway.terminate()
        gateway.wait(timeout=10)
    assert spoofed.status_code == 301
    assert spoofed.headers["location"] == "https://pc.example.org:9443/p/1?tab=tasks"
    assert known.headers["location"] == "https://pc.example.org:9443/p/1?tab=tasks"


def test_the_gateway_command_renders_the_published_port(tmp_path: Path) -> None:
    out = tmp_path / "nginx.conf"
    result = run_command(
        [
            "gateway",
            "compose",
            "--out",
            str(out),
            "--public-https-port",
            "443",
            "--public-host",
            "pc.example.org",
        ],
        {},
    )
    assert result.returncode == 0, result.stderr
    rendered = out.read_text()
    assert "return 301 https://$pc_public_host$request_uri;" in rendered
    assert "default pc.example.org;" in rendered


def test_an_upstream_down_is_a_json_502_and_recovers(tmp_path: Path) -> None:
    nginx = nginx_binary()
    auth_port, https_port = free_port(), free_port()
    config = GatewayConfig.for_host(
        auth_ports=[auth_port],
        projects_ports=[free_port()],
        runtime_dir=tmp_path / "run",
        static_root=None,
        http_port=free_port(),
        https_port=https_port,
        tls=make_self_signed_certificate(tmp_path / "tls"),
        status_port=free_port(),
    )
    path = write(config, tmp_path / "nginx.conf")
    trust = trusting(tmp_path / "tls" / "tls.crt")
    gateway = subprocess.Popen(
        [nginx, "-c", str(path), "-e", str(tmp_path / "error.log"), "-g", "daemon off;"]
    )
    upstream: subprocess.Popen[bytes] | None = None
    try:
        url = f"https://127.0.0.1:{https_port}/auth/.well-known/jwks.json"
        deadline = time.monotonic() + 10
        while True:
            try:
                down = httpx.get(url, verify=trust)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert down.status_code in {502, 503}
        assert down.headers["content-type"] == "application/problem+json"

        # Any HTTP server on the upstream's port will do: the gateway passes its answer on.
        upstream = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(auth_port), "--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
        )
        deadline = time.monotonic() + 15
        while (back := httpx.get(url, verify=trust)).status_code in {502, 503}:
            assert time.monotonic() < deadline, "no recovery"
            time.sleep(0.3)
        assert back.status_code == 404  # http.server's own answer
    finally:
        for process in (upstream, gateway):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)


def test_ctrl_c_stopped_everything_the_stack_started(stack: RunningStack) -> None:
    """Runs last in this module: stop the stack and look for survivors."""
    assert len(stack.pids) >= 7
    stack.process.send_signal(signal.SIGINT)
    stack.process.wait(timeout=30)
    time.sleep(0.5)
    alive = [pid for pid in stack.pids if _alive(pid)]
    assert alive == []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead: it only waits for its parent to read its status.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()
