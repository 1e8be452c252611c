"""`make compose-test`: build every image, run docker-compose.yml, check it, tear it down.

    .venv/bin/python -m tests.compose_stack [--cache-dir DIR] [--keep-work]

Ends with `N passed, N failed` and exits non-zero when anything failed, including a step
before the checks (engine, images, start-up), which counts as one failure.
"""

from __future__ import annotations

import argparse
import fcntl
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.compose_stack.checks import Checks, Report
from tests.compose_stack.compose import (
    Compose,
    Ports,
    install_compose,
    write_env_file,
)
from tests.compose_stack.engine import Engine
from tests.compose_stack.host import install_debian_packages, log, require_root
from tests.compose_stack.images import COMPOSE_FILE, build_base_image, build_ours, build_stand_ins

DEFAULT_CACHE = Path("/var/cache/projectconnect-compose-test")
# Bringing up about twenty containers on two shared cores.
UP_TIMEOUT = 900


@contextmanager
def exclusive(cache: Path) -> Iterator[None]:
    """One run at a time per cache: they would share the engine's data root."""
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "lock").open("w") as lock:
        log(f"waiting for the lock on {cache}")
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@contextmanager
def timed(timings: dict[str, float], step: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        timings[step] = time.monotonic() - started
        log(f"{step}: {timings[step]:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.compose_stack")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--keep-work", action="store_true", help="keep the work dir (logs)")
    options = parser.parse_args()
    require_root()
    # A CI timeout or `kill` ends the run through the tear-down, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report = Report()
    timings: dict[str, float] = {}
    started = time.monotonic()
    with exclusive(options.cache_dir):
        work = Path(tempfile.mkdtemp(prefix="pc-compose-test-"))
        engine = Engine(options.cache_dir / "engine", work)
        compose: Compose | None = None
        try:
            with report.check("engine, images and the stack start"):
                with timed(timings, "install"):
                    install_debian_packages()
                    binary = install_compose(options.cache_dir)
                with timed(timings, "engine start"):
                    engine.start()
                    engine.remove_leftovers()
                with timed(timings, "base image"):
                    build_base_image(engine, work)
                with timed(timings, "stand-ins"):
                    build_stand_ins(engine, work, options.cache_dir)
                ports = Ports.free()
                compose = Compose(engine, binary, COMPOSE_FILE, write_env_file(work, ports))
                with timed(timings, "our images"):
                    build_ours(engine, compose.builds())
                with timed(timings, "compose up"):
                    compose.up(UP_TIMEOUT)
            if not report.failed and compose is not None:
                with timed(timings, "checks"):
                    Checks(compose, ports, work / "secrets" / "tls" / "tls.crt", report).run_all()
        finally:
            with timed(timings, "tear-down"):
                tear_down(engine, compose, work, keep=options.keep_work or bool(report.failed))
    log("timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    log(f"total: {time.monotonic() - started:.0f} s")
    print(report.summary(), flush=True)
    return 1 if report.failed else 0


def tear_down(engine: Engine, compose: Compose | None, work: Path, *, keep: bool) -> None:
    """Whatever happened: logs kept on failure, containers and volumes gone, engine stopped."""
    try:
        if compose is not None:
            if keep:
                logs = compose("logs", "--no-color", "--timestamps", check=False, capture=True)
                (work / "compose.log").write_text(logs.stdout + logs.stderr)
                ps = compose("ps", "--all", check=False, capture=True)
                log(f"containers at the end:\n{ps.stdout}")
            compose("down", "--volumes", "--remove-orphans", "--timeout", "20", check=False)
        if engine.process is not None:
            # Layers no tag holds any more (the previous run's images): keep the cache bounded.
            engine.docker(["image", "prune", "--force"], check=False, capture=True)
    finally:
        engine.stop()
        if keep:
            log(f"logs kept in {work} (compose.log, dockerd.log)")
            shutil.rmtree(work / "secrets", ignore_errors=True)
            (work / "compose.env").unlink(missing_ok=True)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
