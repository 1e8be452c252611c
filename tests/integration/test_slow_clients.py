"""Real servers against raw sockets: oversized, stalled and half-sent requests.

`projectconnect dev` (uvicorn) and `projectconnect serve projects --server granian`, with
one-second header and body timeouts, each on a free port.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.processes import PROJECTCONNECT, free_port
from tests.support.rawhttp import read_answer
from tests.support.waiting import eventually_sync

TIMEOUT = 1.0
# How long past the timeout a disconnection may take on a busy shared machine.
SLACK = 8.0
LIMITS = {
    "HTTP_HEADER_TIMEOUT_SECONDS": str(TIMEOUT),
    "HTTP_BODY_TIMEOUT_SECONDS": str(TIMEOUT),
    "HTTP_MAX_BODY_BYTES": str(1024 * 1024),
}


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    body_path: str

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT + SLACK)

    def rss_bytes(self) -> int:
        """Resident memory of the server and its worker processes."""
        return sum(_rss(pid) for pid in _tree(self.process.pid))


def _tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    if children.exists():
        for child in children.read_text().split():
            found += _tree(int(child))
    return found


def _rss(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) * 1024


def _start(name: str, args: list[str], env: dict[str, str], log: Path, body_path: str) -> Server:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*PROJECTCONNECT, *args, "--port", str(port)],
            env={**os.environ, **LIMITS, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def ready() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).is_success
        except httpx.HTTPError:
            return False

    eventually_sync(ready, 120, message=f"{name} did not start")
    return Server(name, port, process, body_path)


@pytest.fixture(scope="module", params=["uvicorn", "granian"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    root = tmp_path_factory.mktemp(request.param)
    if request.param == "uvicorn":
        args = ["dev", "--data-dir", str(root / "data")]
        started = _start("dev", args, {}, root / "server.log", "/auth/login")
    else:
        env = {
            "DATABASE_URL": f"sqlite:///{root / 'projects.db'}",
            "JWKS_URL": "http://127.0.0.1:9/auth/.well-known/jwks.json",
        }
        args = ["serve", "projects", "--server", "granian"]
        started = _start("granian", args, env, root / "server.log", "/projects")
    try:
        yield started
    finally:
        started.process.terminate()
        try:
            started.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            started.process.kill()
            started.process.wait()


def _closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closed the connection (EOF or reset), failing after `seconds`."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"still open after {seconds} s")
    return time.monotonic() - started


def _request_head(server: Server, extra: str) -> bytes:
    return (
        f"POST {server.body_path} HTTP/1.1\r\nHost: pc.test\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    ).encode()


def test_a_300_mib_declared_body_is_refused_at_once_and_never_read(server: Server) -> None:
    before = server.rss_bytes()
    with server.connect() as sock:
        started = time.monotonic()
        sock.sendall(_request_head(server, f"Content-Length: {300 * 1024 * 1024}\r\n"))
        status, headers, body = read_answer(sock)
        elapsed = time.monotonic() - started
        assert status == 413
        assert headers["content-type"] == "application/problem+json"
        assert json.loads(body)["status"] == 413
        # The connection goes: what the client would still send is never read.
        _closed_within(sock, SLACK)
    assert elapsed < 3, f"took {elapsed:.1f} s"
    assert server.rss_bytes() - before < 32 * 1024 * 1024


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(server: Server) -> None:
    chunk = b"x" * 64 * 1024
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    with server.connect() as sock:
        sock.sendall(_request_head(server, "Transfer-Encoding: chunked\r\n"))
        # The limit (1 MiB) exactly, then one chunk more; no terminating chunk ever.
        for _ in range(17):
            sock.sendall(framed)
        status, headers, body = read_answer(sock)
    assert status == 413, body
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["type"].endswith("/content_too_large")


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET /health/live HTTP/1.1\r\nHost: pc.test\r\nX-Slow: yes"],
    ids=["nothing", "half-the-headers"],
)
def test_a_client_that_stalls_in_its_headers_is_disconnected(server: Server, sent: bytes) -> None:
    with server.connect() as sock:
        sock.sendall(sent)
        elapsed = _closed_within(sock, TIMEOUT + SLACK)
    assert elapsed >= TIMEOUT * 0.8


def test_a_client_that_stalls_in_its_body_gets_a_408_and_is_disconnected(
    server: Server,
) -> None:
    with server.connect() as sock:
        started = time.monotonic()
        sock.sendall(_request_head(server, "Content-Length: 100\r\n") + b'{"email": "ann')
        status, headers, body = read_answer(sock)
        elapsed = time.monotonic() - started
        _closed_within(sock, SLACK)
    assert status == 408, body
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["type"].endswith("/request_timeout")
    assert TIMEOUT * 0.8 <= elapsed < TIMEOUT + SLACK


def test_an_endless_header_block_is_refused_before_it_fills_memory(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: pc.test\r\n")
        refused = False
        try:
            for _ in range(1024):  # 1 MiB of headers, never ending
                sock.sendall(b"X-Filler: " + b"f" * 1010 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            refused = True
        if not refused:
            status, _, _ = read_answer(sock)
            assert status in {400, 431}
        _closed_within(sock, SLACK)
