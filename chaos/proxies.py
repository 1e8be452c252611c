"""TCP proxies in front of the shared PostgreSQL, Redis and RabbitMQ, in a process of their own.

The shared servers are never stopped (other people use them): a "restart" or an outage is
the proxy cut (open connections dropped, new ones refused) and later restored. The proxies
run in their own process so that the stack's traffic does not compete with the simulated
users for one event loop.

    python -m chaos.proxies NAME=HOST:PORT ...

prints `NAME PORT` for each proxy and then `ready`; reads `cut NAME` and `restore NAME`
lines on stdin and answers each with `ok`. It cuts everything and exits at end of input.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from types import TracebackType

from tests.support.tcpproxy import TcpProxy


async def serve(targets: dict[str, tuple[str, int]]) -> None:
    proxies = {name: TcpProxy(host, port) for name, (host, port) in targets.items()}
    for name, proxy in proxies.items():
        await proxy.start()
        print(name, proxy.port, flush=True)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := (await reader.readline()).decode().strip():
            action, name = line.split()
            proxy = proxies[name]
            await (proxy.cut() if action == "cut" else proxy.restore())
            print("ok", flush=True)
    finally:
        for proxy in proxies.values():
            await proxy.cut()


class Proxies:
    """The proxy process, seen from the harness."""

    def __init__(self, targets: dict[str, str]) -> None:
        self.targets = targets
        self.ports: dict[str, int] = {}
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Proxies:
        args = [f"{name}={target}" for name, target in self.targets.items()]
        self._process = subprocess.Popen(  # noqa: S603 - this interpreter, this module
            [sys.executable, "-m", "chaos.proxies", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        while (line := self._readline()) != "ready":
            name, port = line.split()
            self.ports[name] = int(port)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def url(self, name: str, template: str) -> str:
        """`template` with {port} replaced by the proxy's port."""
        return template.format(port=self.ports[name])

    async def cut(self, name: str) -> None:
        await asyncio.to_thread(self._command, f"cut {name}")

    async def restore(self, name: str) -> None:
        await asyncio.to_thread(self._command, f"restore {name}")

    def _command(self, line: str) -> None:
        assert self._process is not None
        assert self._process.stdin is not None
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        answer = self._readline()
        assert answer == "ok", f"the proxy process answered {answer!r} to {line!r}"

    def _readline(self) -> str:
        assert self._process is not None
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the proxy process exited ({self._process.poll()})")
        return line.strip()


def main(argv: list[str]) -> None:
    targets: dict[str, tuple[str, int]] = {}
    for arg in argv:
        name, _, address = arg.partition("=")
        host, _, port = address.rpartition(":")
        targets[name] = (host, int(port))
    asyncio.run(serve(targets))


if __name__ == "__main__":
    main(sys.argv[1:])
