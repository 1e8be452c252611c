"""Sampling profiles of the services under load, with py-spy, summarised by function.

python -m bench.profile SUMMARY.txt < collapsed-stacks.txt
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

# py-spy's raw frames read "function (file.py:line)"; the line is dropped to group.
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


# Threads parked waiting for work: not time spent on requests.
IDLE = frozenset({"Condition.wait", "select", "poll", "epoll", "_worker"})


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """Start sampling `pid` and its worker processes for `seconds` into collapsed stacks."""
    return subprocess.Popen(  # noqa: S603 - py-spy from the environment, fixed arguments
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            *("--pid", str(pid), "--subprocesses", "--nonblocking"),
            *("--duration", str(max(1, int(seconds))), "--rate", "200"),
            *("--format", "raw", "--output", str(out)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _frame(raw: str) -> str:
    match = _FRAME.match(raw.strip())
    if not match:
        return raw.strip()
    file = match["file"]
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{match['function']} ({file})"


def summarise(collapsed: str, top: int = 30) -> str:
    """The functions with the most samples on the stack (inclusive) and on top (self)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        # Leading frames name the processes (with --subprocesses); they are not functions.
        frames = [_frame(f) for f in stack.split(";") if not f.startswith("process ")]
        if not frames or frames[-1].split(" ", 1)[0] in IDLE:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return "no samples\n"
    lines = [
        f"{total} busy samples (Python frames only: time in the server's native code and",
        "the event loop's C code is not seen)",
        "",
        "inclusive  self  function",
    ]
    for frame, count in inclusive.most_common(top):
        lines.append(f"{count / total:8.1%} {own[frame] / total:6.1%}  {frame}")
    lines += ["", "self (on top of the stack)"]
    for frame, count in own.most_common(top):
        lines.append(f"{count / total:8.1%}  {frame}")
    return "\n".join(lines) + "\n"


def main() -> None:
    Path(sys.argv[1]).write_text(summarise(sys.stdin.read()))


if __name__ == "__main__":
    main()
