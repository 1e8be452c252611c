"""free_port never hands out a port twice in one process, even when the kernel offers it
again (it may, as soon as the probe socket is closed)."""

from __future__ import annotations

import socket
from typing import ClassVar

import pytest

from projectconnect import stack


class _Probe:
    """A socket whose bind(0) gets the next port of a script."""

    offered: ClassVar[list[int]] = []

    def __enter__(self) -> _Probe:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def bind(self, _address: tuple[str, int]) -> None:
        self.port = _Probe.offered.pop(0)

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


def test_a_port_the_kernel_offers_again_is_not_handed_out_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stack, "_handed_out", set())
    monkeypatch.setattr(socket, "socket", _Probe)
    _Probe.offered = [40001, 40001, 40001, 40002]
    assert [stack.free_port(), stack.free_port()] == [40001, 40002]


def test_real_ports_are_distinct_and_free() -> None:
    ports = [stack.free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[-1]))  # nothing listens there
