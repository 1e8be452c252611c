"""Processes forked from the stack's fork server behave as `python -m projectconnect` would."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from projectconnect.launcher import start_projectconnect
from projectconnect.stack import wait_until_ok
from tests.support.processes import free_port
from tests.support.waiting import eventually_sync


def test_a_command_runs_with_its_environment_output_and_exit_status(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    log.write_text("earlier line\n")
    # `serve` checks its configuration first: without DATABASE_URL it stops with status 2
    # and says why, which shows the command line ran with this environment and no other.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    process = start_projectconnect(["serve", "projects", "--port", "1"], env, log)
    assert process.wait(timeout=60) == 2
    text = log.read_text()
    assert text.startswith("earlier line\n"), "the log is appended to, not replaced"
    assert "DATABASE_URL: Field required" in text

    process = start_projectconnect(["--help"], env, log)
    assert process.wait(timeout=60) == 0
    assert "Usage: projectconnect" in log.read_text()


def test_a_forked_server_serves_in_its_own_session_and_reports_the_signal_that_killed_it(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'projects.db'}",
        "JWKS_URL": "http://127.0.0.1:1/jwks.json",
    }
    process = start_projectconnect(
        ["serve", "projects", "--port", str(port)], env, tmp_path / "projects.log"
    )
    try:
        url = f"http://127.0.0.1:{port}/health/live"
        wait_until_ok(url, process, time.monotonic() + 60, "the forked service")
        assert os.getpgid(process.pid) == process.pid, "its own process group"
        assert os.getsid(process.pid) == process.pid, "its own session"
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
    eventually_sync(lambda: process.poll() is not None, message="the killed service is reaped")
    assert process.poll() == -signal.SIGKILL
