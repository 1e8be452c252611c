"""free_port gives each server a port nothing else on the host will take: not one an
outgoing connection can get from the kernel's ephemeral range, not one something listens
on, and not one any process (this one included) has handed out already."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from projectconnect import stack


def _offer(monkeypatch: pytest.MonkeyPatch, *ports: int) -> None:
    """Make free_port's random choice propose `ports`, in order."""
    offered: Iterator[int] = iter(ports)
    monkeypatch.setattr(secrets, "choice", lambda _candidates: next(offered))


def _fresh_port() -> int:
    """A port of the range that nothing has claimed or bound (free_port's own answer,
    released again so the test can offer it)."""
    port = stack.free_port()
    stack._release(port)
    return port


def test_ports_are_distinct_free_and_below_the_ephemeral_range() -> None:
    ports = [stack.free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    first_ephemeral = int(stack._EPHEMERAL_RANGE.read_text().split()[0])
    assert all(20000 <= port < first_ephemeral for port in ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[-1]))  # nothing listens there


def test_a_port_this_process_handed_out_is_not_handed_out_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken = stack.free_port()
    other = _fresh_port()
    _offer(monkeypatch, taken, taken, other)
    assert stack.free_port() == other


def test_a_port_something_listens_on_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    busy, other = _fresh_port(), _fresh_port()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", busy))
        listener.listen()
        _offer(monkeypatch, busy, other)
        assert stack.free_port() == other
    # The failed probe left no claim behind: once free, the port can be handed out.
    _offer(monkeypatch, busy)
    assert stack.free_port() == busy


def test_a_port_another_process_handed_out_is_skipped_until_that_process_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from projectconnect.stack import free_port as f; print(f())"
            "; import sys; sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdin is not None
    try:
        theirs = int(holder.stdout.readline())
        other = _fresh_port()
        _offer(monkeypatch, theirs, other)
        assert stack.free_port() == other  # nothing listens there yet, but it is theirs
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    _offer(monkeypatch, theirs)
    assert stack.free_port() == theirs
