"""The front door: every answer, fast or through the framework, even a 500, carries the
request id and the security headers and is counted once under its route's template; a
fast path that declines or fails leaves the request to the route."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, HTTPException
from prometheus_client import REGISTRY
from starlette.types import Scope

from projectconnect.infra import tracing
from projectconnect.infra.frontdoor import Answer
from projectconnect.infra.headers import SECURITY_HEADERS
from projectconnect.infra.http import ServiceApp, compose_app

TEMPLATE = "/things/{thing_id}"


class Things:
    """A fast path over /things/{thing_id}: answers "fast" for ids starting with "f",
    declines others, and fails for ids starting with "x"."""

    template = TEMPLATE

    def __init__(self) -> None:
        self.asked: list[str] = []

    def match(self, path: str) -> dict[str, str] | None:
        prefix = "/things/"
        return {"thing_id": path[len(prefix) :]} if path.startswith(prefix) else None

    async def answer(self, scope: Scope, params: dict[str, str]) -> Answer | None:
        thing = params["thing_id"]
        self.asked.append(thing)
        if thing.startswith("x"):
            raise RuntimeError("broken")
        if not thing.startswith("f"):
            return None
        return Answer(b'{"by":"fast"}', [(b"content-type", b"application/json")])


def service(fast: Things) -> ServiceApp:
    router = APIRouter()

    @router.get(TEMPLATE)
    async def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "boom":
            raise ZeroDivisionError
        if thing_id == "gone":
            raise HTTPException(404)
        return {"by": "route"}

    @router.post(TEMPLATE)
    async def change(thing_id: str) -> dict[str, str]:
        return {"by": "route"}

    app = compose_app([], [router], title="t", description="d", count_statements=True)
    app.fast_paths.append(fast)
    return app


@pytest.fixture
def fast() -> Things:
    return Things()


@pytest.fixture
async def client(fast: Things) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=service(fast), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


def counted(method: str, status: int) -> float:
    labels = {"method": method, "route": TEMPLATE, "status": str(status)}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0.0


def assert_door_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS:
        assert response.headers[name] == value, name
    assert response.headers["cache-control"] == "no-store"
    assert len(response.headers["x-request-id"]) == 32
    assert len(response.headers.get_list("x-request-id")) == 1


async def test_a_fast_answer_carries_what_every_answer_carries(
    client: httpx.AsyncClient, fast: Things
) -> None:
    before = counted("GET", 200)
    response = await client.get("/things/f1", headers={"X-Request-ID": "trace-0123456789"})
    assert response.status_code == 200
    assert response.json() == {"by": "fast"}
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))
    assert response.headers["x-sql-statements"] == "0"
    assert response.headers["x-request-id"] == "trace-0123456789"
    assert counted("GET", 200) == before + 1
    assert fast.asked == ["f1"]
    response = await client.get("/things/f2")
    assert_door_headers(response)


async def test_what_a_fast_path_declines_goes_to_the_route(
    client: httpx.AsyncClient, fast: Things
) -> None:
    before = counted("GET", 200)
    response = await client.get("/things/r1")
    assert response.json() == {"by": "route"}
    assert_door_headers(response)
    assert counted("GET", 200) == before + 1  # once, not once per layer
    assert fast.asked == ["r1"]
    missing = await client.get("/things/gone")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert_door_headers(missing)


async def test_a_failing_fast_path_leaves_the_request_to_the_route(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "projectconnect.infra.frontdoor"):
        response = await client.get("/things/x1")
    assert response.json() == {"by": "route"}
    assert "RuntimeError('broken')" in caplog.text


async def test_only_gets_are_fast(client: httpx.AsyncClient, fast: Things) -> None:
    response = await client.post("/things/f1")
    assert response.json() == {"by": "route"}
    assert fast.asked == []


async def test_an_unexpected_error_is_a_500_with_the_id_and_headers(
    client: httpx.AsyncClient,
) -> None:
    before = counted("GET", 500)
    response = await client.get("/things/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert_door_headers(response)
    assert counted("GET", 500) == before + 1


async def test_while_tracing_fast_paths_answer_in_spans_of_their_own(
    fast: Things, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(The spans themselves: tests/integration/test_tracing.py, in a process of its own.)"""
    monkeypatch.setattr(tracing, "enabled", lambda: True)
    transport = httpx.ASGITransport(app=service(fast))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answered = await client.get("/things/f1")
        declined = await client.get("/things/r1")
    assert answered.json() == {"by": "fast"}
    assert declined.json() == {"by": "route"}
    assert fast.asked == ["f1", "r1"]
