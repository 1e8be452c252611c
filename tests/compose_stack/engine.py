"""A private Docker engine: Debian's dockerd 20.10 on its own socket, data root and exec root.

It never touches a Docker the machine may already run: no iptables rules, no default
bridge, its own containerd under the exec root. The data root lives in the cache directory,
so images (the base, the stand-ins, build cache) survive between runs; everything else is
under the run's work directory and goes with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.compose_stack.host import log, nice, run

DOCKERD = "/usr/sbin/dockerd"
# Debian's client, the engine's own version: it builds with BuildKit inside dockerd
# (DOCKER_BUILDKIT=1), where a newer client would want the buildx plugin.
DOCKER = "/usr/bin/docker"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0


@dataclass
class Engine:
    data_root: Path
    work: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def exec_root(self) -> Path:
        return self.work / "exec"

    @property
    def socket(self) -> Path:
        return self.work / "docker.sock"

    @property
    def log_file(self) -> Path:
        return self.work / "dockerd.log"

    @property
    def env(self) -> dict[str, str]:
        return {
            "DOCKER_HOST": f"unix://{self.socket}",
            "DOCKER_BUILDKIT": "1",
            # No credentials, plugins or contexts of the machine's own Docker set-up.
            "DOCKER_CONFIG": str(self.work / "docker-config"),
        }

    def start(self) -> None:
        self.data_root.mkdir(parents=True, exist_ok=True)
        (self.work / "docker-config").mkdir(exist_ok=True)
        command = [
            DOCKERD,
            f"--host=unix://{self.socket}",
            f"--data-root={self.data_root}",
            f"--exec-root={self.exec_root}",
            f"--pidfile={self.work / 'dockerd.pid'}",
            "--iptables=false",
            "--ip-forward=false",
            "--ip-masq=false",
            "--bridge=none",
            "--storage-driver=overlay2",
        ]
        log(f"starting dockerd (data root {self.data_root})")
        with self.log_file.open("ab") as output:
            self.process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT
        while self.docker(["version"], check=False, capture=True).returncode != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_file.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"dockerd did not start:\n{tail}")
            time.sleep(0.2)
        server = self.docker(
            ["version", "--format", "{{.Server.Version}}"], capture=True
        ).stdout.strip()
        log(f"dockerd {server} is up")

    def remove_leftovers(self) -> None:
        """Containers, volumes and networks an interrupted run left in the cached data root.

        The engine is this test's own: only images (the cache) are meant to outlive a run.
        """
        containers = self.docker(["ps", "--all", "--quiet"], capture=True).stdout.split()
        if containers:
            log(f"removing {len(containers)} containers left by an earlier run")
            self.docker(["rm", "--force", "--volumes", *containers], capture=True)
        volumes = self.docker(["volume", "ls", "--quiet"], capture=True).stdout.split()
        if volumes:
            log(f"removing {len(volumes)} volumes left by an earlier run")
            self.docker(["volume", "rm", "--force", *volumes], capture=True)
        self.docker(["network", "prune", "--force"], capture=True)

    def docker(
        self,
        args: Sequence[str | Path],
        *,
        check: bool = True,
        capture: bool = False,
        timeout: float | None = None,
        heavy: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        argv: list[str | Path] = [DOCKER, *args]
        return run(
            nice(argv) if heavy else argv,
            env=self.env,
            check=check,
            capture=capture,
            timeout=timeout,
        )

    def image_exists(self, reference: str) -> bool:
        result = self.docker(["image", "inspect", reference], check=False, capture=True)
        return result.returncode == 0

    def stop(self) -> None:
        """Stop dockerd (and its containerd), then release whatever it left mounted."""
        if self.process is not None and self.process.poll() is None:
            log("stopping dockerd")
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT)
        self.process = None
        kill_processes_using(self.exec_root)
        release_mounts_under(self.exec_root, self.data_root)


def kill_processes_using(root: Path) -> None:
    """Processes whose command line names `root`: a containerd shim that outlived dockerd."""
    marker = str(root.resolve()).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes():
                log(f"killing {entry.name}, left behind by the engine")
                os.kill(int(entry.name), signal.SIGKILL)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue


def release_mounts_under(*roots: Path) -> None:
    """Unmount what a stopped engine leaves behind (its exec root's netns/default, overlays)."""
    prefixes = tuple(f"{root.resolve()}/" for root in roots)
    mountpoints = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mountpoint = line.split()[4].replace("\\040", " ")
        if mountpoint.startswith(prefixes) or f"{mountpoint}/" in prefixes:
            mountpoints.append(mountpoint)
    # Deepest first, so a mount is never released before what is mounted inside it.
    for mountpoint in sorted(mountpoints, key=len, reverse=True):
        run(["umount", "--lazy", mountpoint], check=False, capture=True)
