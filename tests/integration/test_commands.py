"""The `projectconnect` command as an operator runs it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import PROJECTCONNECT, free_port, run_command


def test_serve_auth_refuses_to_start_without_a_signing_key(tmp_path: Path) -> None:
    result = run_command(
        ["serve", "auth", "--port", str(free_port())],
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'auth.db'}", "AUTH_PRIVATE_KEY_FILE": ""},
    )
    assert result.returncode != 0
    assert "AUTH_PRIVATE_KEY_FILE" in result.stderr + result.stdout


def test_serve_projects_refuses_to_start_without_a_jwks_url(tmp_path: Path) -> None:
    result = run_command(
        ["serve", "projects", "--port", str(free_port())],
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'projects.db'}", "JWKS_URL": ""},
    )
    assert result.returncode != 0
    assert "JWKS_URL" in result.stderr + result.stdout


def test_keygen_writes_an_owner_only_key_and_never_overwrites(tmp_path: Path) -> None:
    key = tmp_path / "signing.pem"
    assert run_command(["keygen", str(key)], {}).returncode == 0
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    before = key.read_bytes()
    again = run_command(["keygen", str(key)], {})
    assert again.returncode != 0
    assert key.read_bytes() == before


@pytest.fixture
def dev_server(tmp_path: Path) -> tuple[str, Path, subprocess.Popen[bytes]]:
    port = free_port()
    data = tmp_path / "data"
    process = subprocess.Popen(
        [*PROJECTCONNECT, "dev", "--port", str(port), "--data-dir", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return f"http://127.0.0.1:{port}", data, process


def _wait_live(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "projectconnect dev exited"
        try:
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail("projectconnect dev did not become ready")


def test_dev_creates_its_data_dir_and_serves_both_services(
    dev_server: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    url, data, process = dev_server
    try:
        _wait_live(url, process)
        assert sorted(p.name for p in data.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
            "auth.db",
            "projects.db",
            "signing-key.pem",
        ]
        assert (data / "signing-key.pem").stat().st_mode & 0o777 == 0o600
        assert httpx.get(f"{url}/auth/.well-known/jwks.json").json()["keys"][0]["alg"] == "ES256"
        unauthorized = httpx.get(f"{url}/projects")
        assert unauthorized.status_code == 401
        assert unauthorized.headers["content-type"] == "application/problem+json"
    finally:
        process.terminate()
        process.wait(timeout=10)
