"""Every error leaves a service as RFC 9457 problem+json, including the unexpected ones."""

from __future__ import annotations

import sqlite3

import httpx
import sqlalchemy.exc
from pydantic import BaseModel, ConfigDict

from projectconnect.infra.http import create_service_app
from projectconnect.infra.problems import Conflict, FieldError


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


def _app() -> httpx.AsyncClient:
    app = create_service_app(title="t", description="d")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/busy")
    async def busy() -> None:
        raise sqlalchemy.exc.OperationalError(
            "UPDATE projects", {}, sqlite3.OperationalError("database is locked")
        )

    @app.post("/things")
    async def things(body: Body) -> Body:
        raise Conflict("Taken.", errors=[FieldError(field="name", code="taken", message="x")])

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_an_unexpected_error_is_a_500_problem_that_hides_the_internals() -> None:
    async with _app() as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 500
    assert "secret internals" not in response.text


async def test_a_busy_sqlite_writer_is_a_503_to_retry_not_a_500() -> None:
    async with _app() as client:
        response = await client.get("/busy")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert "UPDATE" not in response.text


async def test_validation_names_each_field_at_fault() -> None:
    async with _app() as client:
        response = await client.post("/things", json={"nme": "x"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "nme"}


async def test_a_service_error_keeps_its_status_code_and_field_errors() -> None:
    async with _app() as client:
        response = await client.post("/things", json={"name": "x"})
    assert response.status_code == 409
    body = response.json()
    assert body["type"].endswith("/conflict")
    assert body["errors"] == [{"field": "name", "code": "taken", "message": "x"}]


async def test_unknown_paths_and_methods_are_problems() -> None:
    async with _app() as client:
        missing = await client.get("/nowhere")
        wrong = await client.delete("/boom")
    assert (missing.status_code, wrong.status_code) == (404, 405)
    assert missing.headers["content-type"] == wrong.headers["content-type"]
    assert wrong.headers["content-type"] == "application/problem+json"
    assert "allow" in {k.lower() for k in wrong.headers}


async def test_the_openapi_document_describes_problems() -> None:
    async with _app() as client:
        document = (await client.get("/openapi.json")).json()
    assert document["components"]["schemas"]["Problem"]["required"] == ["title", "status"]
    assert document["paths"]["/things"]["post"]["operationId"] == "things"
