"""The stack's Python processes, forked from one process that has already imported them.

A fresh interpreter spends seconds of CPU importing FastAPI, SQLAlchemy, uvicorn and the
services before it can answer; on a busy host that is where a restarted replica's downtime
went. So the stack starts a fork server once (multiprocessing's `forkserver`, which
imports `PRELOAD` and nothing else: no threads, no connections, no settings read) and
every service process is forked from it: a restart costs a fork plus the service's own
start (its pools and its lifespan), not the imports.

Each forked process behaves as `python -m projectconnect ARGS` would under
`subprocess.Popen(..., start_new_session=True)`: its own session (the chaos harness and
the supervisor signal the whole group), the given environment, stdout and stderr to its
log, the command line's exit status as its own. (In `ps` they keep the fork server's
command line; the stack prints which pid is which, and each restart's new pid.)
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from collections.abc import Mapping
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Protocol

# Imported once in the fork server. Modules that only import (no threads started, no
# environment read at import time that a service's settings could change).
PRELOAD = [
    "projectconnect.cli",
    "projectconnect.servers",
    "projectconnect.auth.app",
    "projectconnect.projects.app",
    "projectconnect.infra.outbox",
    "projectconnect.infra.rabbitmq",
    "uvicorn",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.lifespan.on",
    "uvicorn.loops.uvloop",
]


class Running(Protocol):
    """What the supervisor needs of a process, whether Popen or forked."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class ForkedProcess:
    """A process forked from the fork server, with the part of Popen's interface we use."""

    def __init__(self, process: BaseProcess, args: list[str]) -> None:
        self._process = process
        self._args = args

    @property
    def pid(self) -> int:
        pid = self._process.pid
        assert pid is not None, "started processes have a pid"
        return pid

    def poll(self) -> int | None:
        return self._process.exitcode

    def terminate(self) -> None:
        self._process.terminate()

    def kill(self) -> None:
        self._process.kill()

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        code = self._process.exitcode
        if code is None:
            raise subprocess.TimeoutExpired(self._args, timeout or 0.0)
        return code


_context: ForkServerContext | None = None


def _forkserver() -> ForkServerContext:
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        assert isinstance(context, ForkServerContext)
        context.set_forkserver_preload(PRELOAD)
        _context = context
    return _context


def start_projectconnect(args: list[str], env: Mapping[str, str], log: Path) -> ForkedProcess:
    """`python -m projectconnect ARGS` with `env`, output appended to `log`, forked warm."""
    process = _forkserver().Process(
        target=_run, args=(list(args), dict(env), str(log)), name=" ".join(args[:2])
    )
    process.start()
    return ForkedProcess(process, ["projectconnect", *args])


def _run(args: list[str], env: dict[str, str], log: str) -> None:
    """In the forked process: become what `python -m projectconnect ARGS` would be."""
    os.setsid()
    descriptor = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["projectconnect", *args]
    from projectconnect.cli import app

    app(args, prog_name="projectconnect")
