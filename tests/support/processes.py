"""The services as separate `projectconnect serve` processes, as they run in production."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from projectconnect.projects.app import PUBLIC_PREFIXES as PROJECTS_PREFIXES
from projectconnect.stack import free_port as free_port  # shared with the tests
from projectconnect.stack import wait_until_ok

PROJECTCONNECT = [sys.executable, "-m", "projectconnect"]


def run_command(args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PROJECTCONNECT, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class ServiceProcess:
    """`projectconnect serve SERVICE` by default, or another long-running subcommand."""

    def __init__(
        self,
        service: str,
        env: Mapping[str, str],
        log: Path,
        command: list[str] | None = None,
    ) -> None:
        self.service = service
        self.port = free_port()
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [*PROJECTCONNECT, *(command or ["serve", service, "--port", str(self.port)])],
            env={**os.environ, **env},
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        url = f"{self.url}/health/ready"
        try:
            wait_until_ok(url, self.process, time.monotonic() + timeout, self.service)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}:\n{self.log.read_text()}") from None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log_file.close()


class PrefixRouter(httpx.AsyncBaseTransport):
    """Sends /auth to one process and the projects service's prefixes to the other, as the
    gateway does."""

    def __init__(self, routes: Mapping[str, str]) -> None:
        self._routes = {prefix: httpx.URL(url) for prefix, url in routes.items()}
        if "projects" in routes:
            for prefix in PROJECTS_PREFIXES:
                self._routes.setdefault(prefix, httpx.URL(routes["projects"]))
        self._transport = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        first = request.url.path.lstrip("/").split("/", 1)[0]
        target = self._routes.get(first, next(iter(self._routes.values())))
        # A copy goes out, so cookies stay filed under the origin the client believes in.
        # Like the gateway, it says which scheme the client used (trusted from 127.0.0.1).
        headers = httpx.Headers(request.headers)
        headers["X-Forwarded-Proto"] = request.url.scheme
        forwarded = httpx.Request(
            request.method,
            request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port),
            headers=headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return await self._transport.handle_async_request(forwarded)

    async def aclose(self) -> None:
        await self._transport.aclose()
