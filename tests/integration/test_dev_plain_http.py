"""`projectconnect dev` beyond loopback says loudly that it serves plain HTTP."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

import httpx

from tests.support.processes import PROJECTCONNECT, free_port
from tests.support.waiting import eventually_sync

WARNING = "WARNING: serving plain HTTP on"
EVERYWHERE = "0.0.0.0"  # noqa: S104 - the point of the test


def _start(host: str, root: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    port, log = free_port(), root / f"dev-{host}.log"
    data = root / f"data-{host}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*PROJECTCONNECT, "dev", "--host", host, "--port", str(port), "--data-dir", str(data)],
            env=os.environ.copy(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, port, log


def _ready(process: subprocess.Popen[bytes], port: int, log: Path) -> bool:
    assert process.poll() is None, log.read_text()
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).is_success
    except httpx.HTTPError:
        return False


def test_dev_warns_when_it_serves_plain_http_beyond_loopback(tmp_path: Path) -> None:
    started = [_start(host, tmp_path) for host in (EVERYWHERE, "127.0.0.1")]
    try:
        for process, port, log in started:
            eventually_sync(functools.partial(_ready, process, port, log), 90)
        (_, _, everywhere), (_, _, loopback) = started
        assert WARNING in everywhere.read_text()
        assert everywhere.read_text().split(WARNING, 1)[1].startswith(f" {EVERYWHERE}:")
        assert WARNING not in loopback.read_text()
    finally:
        for process, _, _ in started:
            process.terminate()
            process.wait(timeout=15)
