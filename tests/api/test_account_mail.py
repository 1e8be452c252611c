"""Mailed links: email verification, password reset and email change, through the public API.

Every backend delivers the mail for real: the embedded ones into .eml files, the separate
processes through RabbitMQ and the mailer to an SMTP server of the tests' own.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from projectconnect.auth.accounts import hash_token
from projectconnect.infra.config import normalize_database_url
from tests.conftest import Backend
from tests.support.accounts import PASSWORD, login, register, sign_up, unique_email
from tests.support.mail import (
    Mailbox,
    html_of,
    link_token,
    mail_to,
    mail_to_count,
    mails_to,
    text_of,
)

NEW_PASSWORD = "quartz-lantern-meadow-77"
VERIFY = "/verify-email"
RESET = "/reset-password"


@pytest.fixture
def mailbox(backend: Backend) -> Mailbox:
    assert backend.mailbox is not None
    return backend.mailbox


@pytest.fixture
async def auth_db(backend: Backend) -> AsyncIterator[object]:
    assert backend.auth_url is not None
    engine = create_async_engine(normalize_database_url(backend.auth_url))
    try:
        yield engine
    finally:
        await engine.dispose()


async def _expire(engine: object, token: str) -> None:
    """Make a mailed token's hour (or days) pass, behind the API."""
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    digest = hash_token(token)
    async with engine.begin() as connection:  # type: ignore[attr-defined]
        result = await connection.execute(
            text("UPDATE account_tokens SET expires_at = :past WHERE token_hash = :hash"),
            {"past": past, "hash": digest},
        )
        assert result.rowcount == 1


def _invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["code"] for e in response.json()["errors"]] == ["token_invalid"]


async def _me(api: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await api.get("/auth/me", headers={"Authorization": f"Bearer {access_token}"})


# --- email verification ---


async def test_registration_mails_a_verification_link_that_verifies_once(
    api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    ann = await sign_up(api, "verify")
    me = await _me(api, ann.access_token)
    assert me.json()["email_verified"] is False
    assert me.json()["pending_email"] is None
    claims = jwt.decode(ann.access_token, options={"verify_signature": False})
    assert claims["email_verified"] is False

    mail = await mail_to(mailbox, ann.email, "Confirm your email address")
    assert mail["To"] == ann.email
    assert "Project Connect" in str(mail["From"])
    token = link_token(mail, VERIFY)
    # The front end's page, at the origin people browse (PUBLIC_URL; `make run`'s here).
    assert f"http://127.0.0.1:8000{VERIFY}?token={token}" in text_of(mail)
    assert f"{VERIFY}?token={token}" in html_of(mail)

    assert (await api.post("/auth/email/verify", json={"token": token})).status_code == 204
    assert (await _me(api, ann.access_token)).json()["email_verified"] is True
    fresh = (await login(api, ann.email)).json()["access_token"]
    assert jwt.decode(fresh, options={"verify_signature": False})["email_verified"] is True
    # Single use.
    _invalid_token(await api.post("/auth/email/verify", json={"token": token}))


async def test_a_verification_link_expires_and_a_new_one_replaces_the_old(
    api: httpx.AsyncClient, mailbox: Mailbox, auth_db: object
) -> None:
    ann = await sign_up(api, "late")
    first = link_token(await mail_to(mailbox, ann.email), VERIFY)
    await _expire(auth_db, first)
    _invalid_token(await api.post("/auth/email/verify", json={"token": first}))

    again = await api.post("/auth/me/email/verification", headers=ann.headers)
    assert again.status_code == 202, again.text
    await mail_to_count(mailbox, ann.email, 2)
    second = link_token(mails_to(mailbox, ann.email)[-1], VERIFY)
    assert second != first
    assert (await api.post("/auth/email/verify", json={"token": second})).status_code == 204
    assert (await _me(api, ann.access_token)).json()["email_verified"] is True


async def test_unknown_and_malformed_tokens_are_refused_alike(api: httpx.AsyncClient) -> None:
    for path, body in (
        ("/auth/email/verify", {"token": "x" * 43}),
        ("/auth/password/reset", {"token": "y" * 43, "new_password": NEW_PASSWORD}),
    ):
        _invalid_token(await api.post(path, json=body))
    bad = await api.post("/auth/email/verify", json={"token": "not a token!"})
    assert bad.status_code == 422


# --- password reset ---


async def test_a_forgotten_password_is_reset_through_the_mailed_link(
    api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    ann = await sign_up(api, "forgetful")
    other = await login(api, ann.email)  # a second session, on another device
    forgot = await api.post("/auth/password/forgot", json={"email": ann.email.upper()})
    assert forgot.status_code == 202, forgot.text

    mail = await mail_to(mailbox, ann.email, "Reset your Project Connect password")
    token = link_token(mail, RESET)
    reset = await api.post(
        "/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 204, reset.text

    # Every session ended: access tokens, refresh tokens.
    for access in (ann.access_token, other.json()["access_token"]):
        assert (await _me(api, access)).status_code == 401
    refreshed = await api.post("/auth/refresh", json={"refresh_token": ann.refresh_token})
    assert refreshed.status_code == 401
    # The old password no longer works; the new one does.
    assert (await login(api, ann.email)).status_code == 401
    back = await login(api, ann.email, NEW_PASSWORD)
    assert back.status_code == 200
    # Following the link proved the address.
    assert (await _me(api, back.json()["access_token"])).json()["email_verified"] is True
    # Single use.
    again = await api.post(
        "/auth/password/reset", json={"token": token, "new_password": "another-" + NEW_PASSWORD}
    )
    _invalid_token(again)


async def test_a_reset_keeps_to_the_password_policy_and_the_link_survives_a_refusal(
    api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    ann = await sign_up(api, "policy")
    await api.post("/auth/password/forgot", json={"email": ann.email})
    token = link_token(await mail_to(mailbox, ann.email, "Reset"), RESET)
    weak = await api.post("/auth/password/reset", json={"token": token, "new_password": "password"})
    assert weak.status_code == 422
    assert {e["field"] for e in weak.json()["errors"]} == {"new_password"}
    assert (await login(api, ann.email)).status_code == 200  # nothing changed
    done = await api.post(
        "/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 204


async def test_a_reset_link_expires(
    api: httpx.AsyncClient, mailbox: Mailbox, auth_db: object
) -> None:
    ann = await sign_up(api, "expired")
    await api.post("/auth/password/forgot", json={"email": ann.email})
    token = link_token(await mail_to(mailbox, ann.email, "Reset"), RESET)
    await _expire(auth_db, token)
    late = await api.post(
        "/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD}
    )
    _invalid_token(late)
    assert (await login(api, ann.email)).status_code == 200


async def test_forgot_answers_alike_for_known_and_unknown_addresses(
    api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    ann = await sign_up(api, "known")
    stranger = unique_email("nobody")
    known = await api.post("/auth/password/forgot", json={"email": ann.email})
    unknown = await api.post("/auth/password/forgot", json={"email": stranger})
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert known.headers["content-type"] == unknown.headers["content-type"]
    await mail_to(mailbox, ann.email, "Reset")
    assert mails_to(mailbox, stranger) == []


async def test_forgot_takes_as_long_for_known_and_unknown_addresses(
    api: httpx.AsyncClient,
) -> None:
    """Medians over many tries, alternating, so a slow moment of the machine hits both."""
    tries = 12
    known = [str((await register(api, unique_email("timed")))["email"]) for _ in range(tries)]
    unknown = [unique_email("ghost") for _ in range(tries)]
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for mine, theirs in zip(known, unknown, strict=True):
        for kind, email in (("known", mine), ("unknown", theirs)):
            started = time.perf_counter()
            response = await api.post("/auth/password/forgot", json={"email": email})
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 202
    ratio = statistics.median(timings["known"]) / statistics.median(timings["unknown"])
    assert 0.67 < ratio < 1.5, timings


async def test_forgot_is_throttled_per_address(api: httpx.AsyncClient) -> None:
    email = unique_email("hammered")
    for _ in range(5):
        assert (await api.post("/auth/password/forgot", json={"email": email})).status_code == 202
    refused = await api.post("/auth/password/forgot", json={"email": email.upper()})
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["Retry-After"]) > 0


# --- email change ---


async def test_an_email_change_waits_for_the_new_address_and_tells_the_old(
    api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    ann = await sign_up(api, "mover")
    new = unique_email("moved")
    asked = await api.post(
        "/auth/me/email", json={"email": new, "password": PASSWORD}, headers=ann.headers
    )
    assert asked.status_code == 202, asked.text
    assert asked.json()["email"] == ann.email
    assert asked.json()["pending_email"] == new
    # Nothing changed yet: the old address still signs in.
    assert (await login(api, ann.email)).status_code == 200
    assert (await login(api, new)).status_code == 401

    mail = await mail_to(mailbox, new, "Confirm your new email address")
    assert mail["To"] == new
    assert ann.email in text_of(mail)
    token = link_token(mail, VERIFY)
    assert (await api.post("/auth/email/verify", json={"token": token})).status_code == 204

    me = (await _me(api, ann.access_token)).json()
    assert (me["email"], me["email_verified"], me["pending_email"]) == (new, True, None)
    assert (await login(api, new)).status_code == 200
    assert (await login(api, ann.email)).status_code == 401
    notice = await mail_to(mailbox, ann.email, "was changed")
    assert new in text_of(notice)
    _invalid_token(await api.post("/auth/email/verify", json={"token": token}))


async def test_an_email_change_needs_the_password_and_a_free_address(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "careful")
    bob = await sign_up(api, "taken")
    wrong = await api.post(
        "/auth/me/email",
        json={"email": unique_email(), "password": "not-the-password"},
        headers=ann.headers,
    )
    assert wrong.status_code == 403
    taken = await api.post(
        "/auth/me/email", json={"email": bob.email, "password": PASSWORD}, headers=ann.headers
    )
    assert taken.status_code == 409
    assert taken.json()["errors"][0]["code"] == "email_taken"
    same = await api.post(
        "/auth/me/email", json={"email": ann.email, "password": PASSWORD}, headers=ann.headers
    )
    assert same.status_code == 422
    assert (await _me(api, ann.access_token)).json()["pending_email"] is None


async def test_a_newer_email_change_replaces_the_pending_one(
    api: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    ann = await sign_up(api, "undecided")
    first, second = unique_email("first"), unique_email("second")
    for address in (first, second):
        response = await api.post(
            "/auth/me/email", json={"email": address, "password": PASSWORD}, headers=ann.headers
        )
        assert response.status_code == 202
    stale = link_token(await mail_to(mailbox, first, "new email"), VERIFY)
    _invalid_token(await api.post("/auth/email/verify", json={"token": stale}))
    fresh = link_token(await mail_to(mailbox, second, "new email"), VERIFY)
    assert (await api.post("/auth/email/verify", json={"token": fresh})).status_code == 204
    assert (await _me(api, ann.access_token)).json()["email"] == second
