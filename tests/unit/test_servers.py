"""What `projectconnect serve` hands the HTTP server, whichever server it is."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from projectconnect import servers


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_projects_app_trusts_the_gateway_and_is_frozen_out_of_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/projects.db")
    monkeypatch.setenv("JWKS_URL", "http://127.0.0.1:9/auth/.well-known/jwks.json")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.7")
    assert gc.get_freeze_count() == 0

    app = servers.projects_app()

    proxy = next(m for m in app.user_middleware if m.cls == ProxyHeadersMiddleware)  # type: ignore[comparison-overlap]
    assert proxy.kwargs["trusted_hosts"] == "10.0.0.7"
    # Everything alive at start-up is out of the collector's generations.
    assert gc.get_freeze_count() > 10_000


def test_the_stack_names_the_server_and_workers_only_when_changed(tmp_path: Path) -> None:
    from projectconnect.stack import Stack, StackOptions

    default = Stack(StackOptions(runtime_dir=tmp_path))
    assert default.serve_args("auth", 9000) == ["serve", "auth", "--port", "9000"]
    tuned = Stack(StackOptions(runtime_dir=tmp_path, server=servers.Server.granian, workers=2))
    assert tuned.serve_args("projects", 9001) == [
        *("serve", "projects", "--port", "9001"),
        *("--server", "granian", "--workers", "2"),
    ]
