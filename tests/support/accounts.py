"""Making users through the public API, each test its own."""

from __future__ import annotations

import uuid
import weakref
from dataclasses import dataclass

import httpx
import jwt

from tests.support.mail import Mailbox, link_token, mail_to

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


# Where the mail each test client's services send arrives, so a helper given only the client
# can follow a mailed link.
_MAILBOXES: weakref.WeakKeyDictionary[httpx.AsyncClient, Mailbox] = weakref.WeakKeyDictionary()


def mail_arrives(api: httpx.AsyncClient, mailbox: Mailbox) -> None:
    """Say where the mail sent by the services behind `api` can be read."""
    _MAILBOXES[api] = mailbox


def email_verified(who: Account) -> bool:
    claims = jwt.decode(who.access_token, options={"verify_signature": False})
    return claims.get("email_verified") is True


async def verify_email(api: httpx.AsyncClient, who: Account) -> None:
    """Follow the link mailed at sign-up, then refresh: `who`'s new token says verified."""
    if email_verified(who):
        return
    mailbox = _MAILBOXES.get(api)
    assert mailbox is not None, "no mailbox known for this client: call mail_arrives"
    mail = await mail_to(mailbox, who.email, "Confirm your email address")
    token = link_token(mail, "/verify-email")
    verified = await api.post("/auth/email/verify", json={"token": token})
    assert verified.status_code == 204, verified.text
    refreshed = await api.post("/auth/refresh", json={"refresh_token": who.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    who.access_token = refreshed.json()["access_token"]
    who.refresh_token = refreshed.json()["refresh_token"]
    assert email_verified(who)


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
