"""What the embedded app itself promises at the HTTP level, with no gateway in front:
security headers, no-store, internal routes for this machine only, and request bodies over
the limit refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from projectconnect import servers
from projectconnect.infra.config import HttpSettings
from projectconnect.infra.headers import CONTENT_SECURITY_POLICY, SECURITY_HEADERS
from tests.support.accounts import login, sign_up, unique_email
from tests.support.embedded import ASSET, LAN_CLIENT, Embedded
from tests.support.embedded import embedded as embedded
from tests.support.embedded import prepared as prepared


def _has_security_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS:
        assert response.headers.get_list(name) == [value], (name, response.url)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_every_answer_carries_the_security_headers(embedded: Embedded) -> None:
    async with embedded() as api:
        answers = [
            await api.get("/auth/.well-known/jwks.json"),
            await api.get("/projects"),  # a 401 problem
            await api.get("/health/live"),
            await api.get("/"),
            await api.get("/p/0b1c2d3e"),
            await api.get(f"/{ASSET}"),
            await api.get("/assets/index-00000000.js"),
        ]
        docs = await api.get("/docs")
    assert [r.status_code for r in answers] == [200, 401, 200, 200, 200, 200, 404]
    for response in answers:
        _has_security_headers(response)
    assert answers[0].headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    # Swagger UI needs its CDN and inline start-up script; it is never framed either.
    assert docs.status_code == 200
    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]


async def test_authenticated_answers_are_no_store_and_public_ones_keep_theirs(
    embedded: Embedded,
) -> None:
    async with embedded() as api:
        ann = await sign_up(api, "nostore")
        personal = [
            await api.get("/auth/me", headers=ann.headers),
            await api.get("/projects", headers=ann.headers),
            await api.post("/projects", json={"name": "Kept private"}, headers=ann.headers),
            await api.get("/auth/validate", headers=ann.headers),
            await api.get("/projects"),
        ]
        jwks = await api.get("/auth/.well-known/jwks.json")
        asset = await api.get(f"/{ASSET}")
        index = await api.get("/")
    assert [r.status_code for r in personal] == [200, 200, 201, 200, 401]
    for response in personal:
        assert response.headers["cache-control"] == "no-store", response.url
    assert jwks.headers["cache-control"] == "public, max-age=300"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert index.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", ["/metrics", "/docs", "/openapi.json", "/redoc"])
async def test_internal_routes_answer_only_this_machine_unless_made_public(
    embedded: Embedded, path: str
) -> None:
    async with embedded() as local:
        assert (await local.get(path)).status_code == 200
    async with embedded(client=LAN_CLIENT) as remote:
        refused = await remote.get(path)
        health = await remote.get("/health/live")
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"
    assert health.status_code == 200
    async with embedded(client=LAN_CLIENT, http=HttpSettings(public_internals=True)) as public:
        assert (await public.get(path)).status_code == 200


async def test_a_lan_client_through_a_local_proxy_is_still_remote(embedded: Embedded) -> None:
    async with embedded(client=("127.0.0.1", 50000), wrap=servers.behind_proxy) as api:
        forwarded = await api.get("/metrics", headers={"X-Forwarded-For": LAN_CLIENT[0]})
        direct = await api.get("/metrics")
    assert (forwarded.status_code, direct.status_code) == (404, 200)


async def test_a_declared_or_streamed_body_over_the_limit_is_a_413_problem(
    embedded: Embedded,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email":"'
        for _ in range(10):
            yield b"x" * 1024
        yield b'"}'

    async with embedded(http=HttpSettings(max_body_bytes=4096)) as api:
        streamed = await api.post(
            "/auth/login", content=chunks(), headers={"content-type": "application/json"}
        )
        declared = await api.post(
            "/auth/logout", content=b"x" * 5000, headers={"content-type": "application/json"}
        )
        within = await login(api, unique_email("small"))
    assert "content-length" not in streamed.request.headers
    for response in (streamed, declared):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/content_too_large")
        assert response.headers["connection"] == "close"
        _has_security_headers(response)
    assert within.status_code == 401
