"""Workspaces and their members through the public API, each test its own."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.accounts import Account, sign_up, verify_email
from tests.support.waiting import eventually


async def create_workspace(api: httpx.AsyncClient, owner: Account, name: str = "Team") -> str:
    response = await api.post("/workspaces", json={"name": name}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def invite(
    api: httpx.AsyncClient, by: Account, workspace_id: str, email: str, role: str = "member"
) -> dict[str, Any]:
    response = await api.post(
        f"/workspaces/{workspace_id}/invitations",
        json={"email": email, "role": role},
        headers=by.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def accept(api: httpx.AsyncClient, who: Account, token: str) -> httpx.Response:
    """Accept as `who`, whose email is verified first, as accepting requires."""
    await verify_email(api, who)
    return await api.post(f"/invitations/{token}/accept", headers=who.headers)


async def join(
    api: httpx.AsyncClient, by: Account, workspace_id: str, role: str = "member", tag: str = "m"
) -> Account:
    """A new person, invited by `by` with `role`, who accepted."""
    person = await sign_up(api, tag)
    invitation = await invite(api, by, workspace_id, person.email, role)
    accepted = await accept(api, person, invitation["token"])
    assert accepted.status_code == 200, accepted.text
    return person


async def create_project_in(
    api: httpx.AsyncClient, by: Account, workspace_id: str, name: str = "Shared"
) -> dict[str, Any]:
    response = await api.post(
        f"/workspaces/{workspace_id}/projects", json={"name": name}, headers=by.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def members(api: httpx.AsyncClient, who: Account, workspace_id: str) -> dict[str, str]:
    """user id → role."""
    response = await api.get(f"/workspaces/{workspace_id}/members", headers=who.headers)
    assert response.status_code == 200, response.text
    return {m["user_id"]: m["role"] for m in response.json()["items"]}


async def rename(api: httpx.AsyncClient, who: Account, workspace_id: str, name: str) -> None:
    """Give `who` a display name and wait until the projects service's directory, which
    hears of it by event, shows it among the members of `workspace_id`."""
    renamed = await api.patch("/auth/me", json={"display_name": name}, headers=who.headers)
    assert renamed.status_code == 200, renamed.text

    async def known() -> bool:
        listed = await api.get(f"/workspaces/{workspace_id}/members", headers=who.headers)
        return any(
            m["user_id"] == who.id and m["display_name"] == name for m in listed.json()["items"]
        )

    await eventually(known, within=30, message=f"the directory never named {who.email} {name!r}")
