"""The machine the test runs on: commands, Debian packages, its mirror and trust anchors."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

# What the engine needs from Debian: dockerd 20.10 with containerd and runc, iptables
# (dockerd refuses to start without the binary even with --iptables=false), debootstrap.
DEBIAN_PACKAGES = ("docker.io", "iptables", "debootstrap")
# Other engineers' and CI's apt runs may hold the dpkg lock: wait rather than fail.
APT = ("apt-get", "-o", "DPkg::Lock::Timeout=600", "-o", "Acquire::Retries=3")
TRUST_ANCHORS = Path("/usr/local/share/ca-certificates")
APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))


def log(message: str) -> None:
    print(f"[compose-test {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(
    args: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    capture: bool = False,
    check: bool = True,
    timeout: float | None = None,
    stdin: bytes | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command; its output goes to ours unless captured."""
    argv = [str(a) for a in args]
    result = subprocess.run(
        argv,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        input=stdin.decode() if stdin is not None else None,
        capture_output=capture,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        detail = (result.stderr or "").strip()[-4000:] if capture else ""
        raise RuntimeError(f"{shlex.join(argv)} exited {result.returncode}\n{detail}")
    return result


def nice(args: Sequence[str | Path]) -> list[str | Path]:
    """CPU-heavy work (builds, debootstrap) yields to everything else on the machine."""
    return ["nice", "-n", "10", *args]


def require_root() -> None:
    if os.geteuid() != 0:
        sys.exit("make compose-test needs root: it installs packages and starts dockerd")


def install_debian_packages() -> None:
    """docker.io, iptables and debootstrap, when a binary of theirs is missing."""
    missing = [
        binary
        for binary in ("dockerd", "containerd", "runc", "iptables", "debootstrap")
        if shutil.which(binary, path="/usr/sbin:/usr/bin:/sbin:/bin") is None
    ]
    if not missing:
        return
    log(f"installing {' '.join(DEBIAN_PACKAGES)} (missing: {' '.join(missing)})")
    environment = {"DEBIAN_FRONTEND": "noninteractive"}
    run([*APT, "update", "-qq"], env=environment)
    run(
        [*APT, "install", "-y", "-qq", "--no-install-recommends", *DEBIAN_PACKAGES], env=environment
    )


def debian_mirror() -> str:
    """The Debian mirror this machine's apt already uses (deb822 or one-line sources)."""
    files: list[Path] = []
    for source in APT_SOURCES:
        if source.is_dir():
            files += sorted(source.glob("*.sources")) + sorted(source.glob("*.list"))
        elif source.is_file():
            files.append(source)
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for stanza in re.split(r"\n\s*\n", text):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.MULTILINE)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.MULTILINE)
            if uris and suites and "bookworm" in suites.group(1).split():
                return uris.group(1)
        for line in text.splitlines():
            words = line.split()
            if len(words) >= 3 and words[0] == "deb" and "bookworm" in words:
                urls = [w for w in words[1:] if re.match(r"^https?://", w)]
                if urls:
                    return urls[0]
    return "http://deb.debian.org/debian"


def trust_anchors() -> list[Path]:
    """The machine's own certificate authorities (its network may need them for HTTPS)."""
    if not TRUST_ANCHORS.is_dir():
        return []
    return sorted(p for p in TRUST_ANCHORS.rglob("*.crt") if p.is_file())
