"""The embedded mode serves the built front end at / without shadowing the APIs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from projectconnect.devserver import DataDir, create_embedded_app
from tests.conftest import BASE_URL, embedded_settings


async def test_the_front_end_and_the_apis_share_one_port(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Project Connect</title>")
    (dist / "assets" / "index-1a2b3c4d.js").write_text("console.log(1)")
    data = DataDir(tmp_path / "data")
    await asyncio.to_thread(data.prepare)
    app = create_embedded_app(
        *embedded_settings(data.auth_url, data.projects_url, data.signing_key), frontend_dir=dist
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            home = await client.get("/")
            deep = await client.get("/p/0b1c2d3e")
            # The page a shared invitation link opens, next to the API's /invitations.
            invite = await client.get("/invite/some-token")
            unknown_invitation = await client.get("/invitations/some-token")
            workspaces_unauthorized = await client.get("/workspaces")
            asset = await client.get("/assets/index-1a2b3c4d.js")
            missing_asset = await client.get("/assets/index-00000000.js")
            wrong_method = await client.get("/auth/login")
            unknown_api = await client.get("/projects/a/b/c/d")
            # The caller's own routes are the projects service's; /auth/me stays the account.
            api_paths = [await client.get(p) for p in ("/search?q=x", "/me", "/me/tasks")]
            account = await client.get("/auth/me")
            app_paths = [await client.get(p) for p in ("/my-tasks", "/me-anything", "/searches")]
    assert "Project Connect" in home.text
    assert home.headers["cache-control"] == "no-cache"
    assert deep.text == home.text
    assert invite.text == home.text
    assert unknown_invitation.status_code == 404
    assert unknown_invitation.headers["content-type"] == "application/problem+json"
    assert workspaces_unauthorized.status_code == 401
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert missing_asset.status_code == 404
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"
    assert unknown_api.status_code == 404
    assert unknown_api.headers["content-type"] == "application/problem+json"
    for answer in api_paths:
        assert answer.status_code in {401, 404, 422}, answer.url
        assert answer.headers["content-type"] == "application/problem+json", answer.url
    assert account.status_code == 401
    assert account.headers["www-authenticate"].startswith("Bearer")
    for answer in app_paths:
        assert answer.text == home.text, answer.url
