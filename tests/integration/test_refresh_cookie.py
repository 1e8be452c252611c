"""The refresh cookie's Secure flag follows the scheme the request came over (after the
forwarded-headers handling), unless AUTH_COOKIE_SECURE forces it: plain HTTP on a LAN keeps
its session across reloads, and behind TLS the cookie stays Secure."""

from __future__ import annotations

import httpx
import pytest

from projectconnect import servers
from tests.support.accounts import PASSWORD, register, unique_email
from tests.support.embedded import LAN_CLIENT, Embedded
from tests.support.embedded import embedded as embedded
from tests.support.embedded import prepared as prepared


def _cookie_attributes(response: httpx.Response) -> set[str]:
    (cookie,) = [c for c in response.headers.get_list("set-cookie") if "refresh_token=" in c]
    return {part.strip().split("=")[0].lower() for part in cookie.split(";")}


async def _login_cookie(api: httpx.AsyncClient, headers: dict[str, str] | None = None) -> set[str]:
    email = unique_email("cookie")
    await register(api, email)
    response = await api.post(
        "/auth/login", json={"email": email, "password": PASSWORD}, headers=headers
    )
    assert response.status_code == 200, response.text
    return _cookie_attributes(response)


async def test_the_refresh_cookie_is_secure_exactly_when_the_request_was_https(
    embedded: Embedded,
) -> None:
    async with embedded(base_url="http://pc.lan", client=LAN_CLIENT) as plain:
        over_http = await _login_cookie(plain)
        # A reload: the cookie came back over plain HTTP and refreshes the session.
        refreshed = await plain.post("/auth/refresh")
        assert refreshed.status_code == 200, refreshed.text
        assert "secure" not in _cookie_attributes(refreshed)
        logout = await plain.post(
            "/auth/logout", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        )
        assert "secure" not in _cookie_attributes(logout)
    async with embedded(base_url="https://pc.lan", client=LAN_CLIENT) as secure:
        over_https = await _login_cookie(secure)
    assert "secure" not in over_http
    assert {"secure", "httponly", "samesite", "path"} <= over_https


async def test_the_scheme_is_the_one_a_trusted_proxy_forwards(embedded: Embedded) -> None:
    async with embedded(base_url="http://127.0.0.1:8000", wrap=servers.behind_proxy) as api:
        behind_tls = await _login_cookie(api, headers={"X-Forwarded-Proto": "https"})
    async with embedded(
        base_url="http://pc.lan", client=LAN_CLIENT, wrap=servers.behind_proxy
    ) as api:
        # Not from FORWARDED_ALLOW_IPS: a client's own X-Forwarded-Proto means nothing.
        spoofed = await _login_cookie(api, headers={"X-Forwarded-Proto": "https"})
    assert "secure" in behind_tls
    assert "secure" not in spoofed


@pytest.mark.parametrize(
    ("forced", "base_url"), [(True, "http://pc.lan"), (False, "https://pc.lan")]
)
async def test_auth_cookie_secure_forces_the_flag_either_way(
    embedded: Embedded, forced: bool, base_url: str
) -> None:
    async with embedded(base_url=base_url, cookie_secure=forced) as api:
        attributes = await _login_cookie(api)
    assert ("secure" in attributes) is forced
