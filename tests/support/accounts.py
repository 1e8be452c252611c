"""Making users through the public API, each test its own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

PASSWORD = "violet-kettle-orbit-42"


@dataclass
class Account:
    id: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


async def register(
    api: httpx.AsyncClient, email: str | None = None, password: str = PASSWORD
) -> dict[str, object]:
    response = await api.post(
        "/auth/register", json={"email": email or unique_email(), "password": password}
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def login(api: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await api.post("/auth/login", json={"email": email, "password": password})


async def sign_up(api: httpx.AsyncClient, tag: str = "user") -> Account:
    email = unique_email(tag)
    user = await register(api, email)
    response = await login(api, email)
    assert response.status_code == 200, response.text
    tokens = response.json()
    return Account(
        id=str(user["id"]),
        email=email,
        password=PASSWORD,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )


async def create_project(
    api: httpx.AsyncClient, owner: Account, name: str = "Launch", **extra: object
) -> dict[str, object]:
    response = await api.post("/projects", json={"name": name, **extra}, headers=owner.headers)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def create_task(
    api: httpx.AsyncClient, owner: Account, project_id: object, title: str = "Write it"
) -> dict[str, object]:
    response = await api.post(
        f"/projects/{project_id}/tasks", json={"title": title}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def statements(response: httpx.Response) -> int:
    """SQL statements the request ran (services started with *_EXPOSE_SQL_COUNT)."""
    return int(response.headers["X-SQL-Statements"])
