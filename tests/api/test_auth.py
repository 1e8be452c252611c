"""The auth service's contract: accounts, logins, token rotation, revocation and errors."""

from __future__ import annotations

import asyncio
import collections
import statistics
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import Backend
from tests.support.accounts import PASSWORD, Account, login, register, sign_up, unique_email

PROBLEM_FIELDS = {"type", "title", "status", "detail"}
NEW_PASSWORD = "amber-lantern-meadow-77"
# 128 characters of uncommon words: as long as the policy allows, and not repetitive.
LONGEST_PASSWORD = (
    "amber lantern meadow violet kettle orbit cobalt fig harbour quartz juniper saddle "
    "thistle walnut ember falcon ripple canyon mars"
)
assert len(LONGEST_PASSWORD) == 128


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Every error is an RFC 9457 problem document with the status it was sent with."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_FIELDS, body
    assert body["status"] == status
    return body


def assert_unauthorized(response: httpx.Response) -> dict[str, Any]:
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"].lower().startswith("bearer")
    return body


def field_errors(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {(error["field"], error["code"]) for error in body["errors"]}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refresh_cookie(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """The refresh_token Set-Cookie header: its value and its attributes, names lower-cased."""
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith("refresh_token=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    first, *rest = (part.strip() for part in headers[0].split(";"))
    value = first.partition("=")[2].strip('"')
    attributes = {}
    for attribute in rest:
        name, _, attribute_value = attribute.partition("=")
        attributes[name.strip().lower()] = attribute_value.strip()
    return value, attributes


async def refresh(api: httpx.AsyncClient, token: str) -> httpx.Response:
    return await api.post("/auth/refresh", json={"refresh_token": token})


async def second_session(api: httpx.AsyncClient, account: Account) -> Account:
    """Another login of the same user, as from a second device."""
    response = await login(api, account.email, account.password)
    assert response.status_code == 200, response.text
    tokens = response.json()
    return Account(
        account.id,
        account.email,
        account.password,
        tokens["access_token"],
        tokens["refresh_token"],
    )


async def assert_session_ended(api: httpx.AsyncClient, backend: Backend, access_token: str) -> None:
    """The access token is refused by auth and by projects."""
    # Projects first, so it answers from what the revocation told it, not from a later lookup.
    assert_unauthorized(await api.get("/projects", headers=bearer(access_token)))
    assert_unauthorized(await api.get("/auth/me", headers=bearer(access_token)))
    assert_unauthorized(await api.get("/auth/validate", headers=bearer(access_token)))


async def assert_session_works(api: httpx.AsyncClient, access_token: str) -> None:
    assert (await api.get("/auth/me", headers=bearer(access_token))).status_code == 200
    assert (await api.get("/auth/validate", headers=bearer(access_token))).status_code == 200
    assert (await api.get("/projects", headers=bearer(access_token))).status_code == 200


# Registration


async def test_register_returns_the_public_user_only(api: httpx.AsyncClient) -> None:
    email = unique_email("reg")
    response = await api.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "display_name": "  Ann  "}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {
        "id",
        "email",
        "email_verified",
        "pending_email",
        "display_name",
        "created_at",
    }
    assert body["email"] == email
    assert body["display_name"] == "Ann"
    uuid.UUID(body["id"])
    assert PASSWORD not in response.text
    assert "argon2" not in response.text


async def test_register_without_display_name_leaves_it_empty(api: httpx.AsyncClient) -> None:
    body = await register(api)
    assert body["display_name"] is None


@pytest.mark.parametrize("email", ["not-an-email", "ann@", "@example.com", "ann example@x.com"])
async def test_register_rejects_an_invalid_email(api: httpx.AsyncClient, email: str) -> None:
    response = await api.post("/auth/register", json={"email": email, "password": PASSWORD})
    body = assert_problem(response, 422)
    assert body["errors"] == [
        {"field": "email", "code": "email_invalid", "message": "Enter a valid email address."}
    ]


async def test_register_lists_every_field_at_fault_at_once(api: httpx.AsyncClient) -> None:
    response = await api.post("/auth/register", json={"email": "ann@", "password": "aaaaaaaa"})
    body = assert_problem(response, 422)
    assert field_errors(body) == {
        ("email", "email_invalid"),
        ("password", "password_repetitive"),
    }
    assert all(error["message"] for error in body["errors"])


async def test_register_rejects_an_email_taken_in_another_case(api: httpx.AsyncClient) -> None:
    tag = uuid.uuid4().hex[:12]
    await register(api, f"A-{tag}@x.com")
    response = await api.post(
        "/auth/register", json={"email": f"a-{tag}@X.com", "password": PASSWORD}
    )
    body = assert_problem(response, 409)
    assert body["errors"][0]["field"] == "email"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("kettle7", "password_too_short"),
        (LONGEST_PASSWORD + "s", "password_too_long"),
        ("password", "password_common"),
        ("qwerty123", "password_common"),
        ("aaaaaaaa", "password_repetitive"),
        (" " * 8, "password_repetitive"),
        ("abcdefghij", "password_sequential"),
        ("asdfghjkl;", "password_keyboard_pattern"),
    ],
)
async def test_register_names_the_password_rule_broken(
    api: httpx.AsyncClient, password: str, code: str
) -> None:
    response = await api.post(
        "/auth/register", json={"email": unique_email("pw"), "password": password}
    )
    body = assert_problem(response, 422)
    assert ("password", code) in field_errors(body)


async def test_password_boundaries_of_8_and_128_characters_are_allowed(
    api: httpx.AsyncClient,
) -> None:
    for password in ("kettle7!", LONGEST_PASSWORD):
        await register(api, password=password)


async def test_the_passphrases_the_tests_and_the_front_end_use_are_accepted(
    api: httpx.AsyncClient,
) -> None:
    passphrases = ["violet kettle orbit", "violet kettle orbit 7", "amber lantern meadow 42"]
    for password in [PASSWORD, NEW_PASSWORD, *passphrases]:
        await register(api, password=password)


async def test_register_refuses_the_email_as_password(api: httpx.AsyncClient) -> None:
    email = unique_email("same")
    response = await api.post("/auth/register", json={"email": email, "password": email})
    body = assert_problem(response, 422)
    assert ("password", "password_is_email") in field_errors(body)


async def test_register_refuses_a_password_built_from_the_email_or_the_name(
    api: httpx.AsyncClient,
) -> None:
    tag = uuid.uuid4().hex[:6]
    for email, password, display_name in (
        (f"grace.hopper.{tag}@example.com", "Hopper.Grace1906", None),
        (unique_email("name"), "Lovelace-Ada!", "Ada Lovelace"),
    ):
        response = await api.post(
            "/auth/register",
            json={"email": email, "password": password, "display_name": display_name},
        )
        body = assert_problem(response, 422)
        assert ("password", "password_personal") in field_errors(body), password


async def test_register_refuses_unknown_fields(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/auth/register",
        json={"email": unique_email(), "password": PASSWORD, "is_admin": True},
    )
    body = assert_problem(response, 422)
    assert "is_admin" in {error["field"] for error in body["errors"]}


# Login


async def test_login_issues_a_token_pair_and_a_strict_refresh_cookie(
    api: httpx.AsyncClient,
) -> None:
    email = unique_email("login")
    await register(api, email)
    response = await login(api, email)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert isinstance(body["expires_in"], int)
    assert body["expires_in"] > 0
    assert response.headers["cache-control"] == "no-store"

    value, attributes = refresh_cookie(response)
    assert value == body["refresh_token"]
    assert "httponly" in attributes
    assert "secure" in attributes
    assert attributes["samesite"].lower() == "strict"
    assert attributes["path"] == "/auth"


async def test_login_accepts_the_email_in_another_case(api: httpx.AsyncClient) -> None:
    email = unique_email("case")
    await register(api, email)
    assert (await login(api, email.upper())).status_code == 200


async def test_login_refuses_unknown_fields(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/auth/login", json={"email": unique_email(), "password": PASSWORD, "remember": True}
    )
    assert_problem(response, 422)


async def test_unknown_email_and_wrong_password_look_the_same(api: httpx.AsyncClient) -> None:
    """Neither the answer nor its timing tells whether an account exists."""
    email = unique_email("timing")
    await register(api, email)
    unknown = unique_email("nobody")
    await login(api, unknown)  # warm-up

    unknown_times: list[float] = []
    wrong_times: list[float] = []
    bodies: list[dict[str, Any]] = []
    for _ in range(5):
        for address, times in ((unknown, unknown_times), (email, wrong_times)):
            started = time.perf_counter()
            response = await login(api, address, "not-the-password-9")
            times.append(time.perf_counter() - started)
            bodies.append(assert_unauthorized(response))

    assert all(body == bodies[0] for body in bodies), bodies
    ratio = statistics.median(unknown_times) / statistics.median(wrong_times)
    assert 0.33 < ratio < 3, (unknown_times, wrong_times)


# Throttles, at their default per-account settings (the suite opens only the per-address
# ones wide); the per-address throttles and the hashing queue: test_auth_limits.py.

# A password check's allowance: failures per account from one address (the default).
CHECKS_PER_ACCOUNT_AND_ADDRESS = 10


def assert_throttled(response: httpx.Response) -> None:
    assert_problem(response, 429)
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60


async def test_concurrent_guesses_at_one_account_are_counted_before_hashing(
    api: httpx.AsyncClient,
) -> None:
    email = unique_email("burst")
    await register(api, email)
    responses = await asyncio.gather(*(login(api, email, f"wrong guess {i}") for i in range(50)))
    statuses = collections.Counter(response.status_code for response in responses)
    # Each 401 is a password that was hashed and compared; the rest never reached the hasher.
    # Exactly the limit, unless Redis timed out under the burst and the process went on with
    # counters of its own for a while (by design), which can let up to the limit more through.
    assert set(statuses) == {401, 429}, statuses
    assert CHECKS_PER_ACCOUNT_AND_ADDRESS <= statuses[401] <= 2 * CHECKS_PER_ACCOUNT_AND_ADDRESS
    for response in responses:
        if response.status_code == 429:
            assert_throttled(response)
    # Even the right password waits, from this address: it may be the attacker's.
    assert_throttled(await login(api, email, PASSWORD))


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [("POST", "/auth/me/password", "current_password"), ("DELETE", "/auth/me", "password")],
)
async def test_password_rechecks_are_throttled_like_logins(
    api: httpx.AsyncClient, method: str, path: str, field: str
) -> None:
    ann = await sign_up(api, "recheck")

    async def recheck(password: str) -> httpx.Response:
        body = {field: password}
        if field == "current_password":
            body["new_password"] = NEW_PASSWORD
        return await api.request(method, path, json=body, headers=ann.headers)

    responses = await asyncio.gather(*(recheck(f"wrong guess {i}") for i in range(25)))
    statuses = collections.Counter(response.status_code for response in responses)
    # As for logins: exactly the limit, or up to twice it if Redis timed out under the burst.
    assert set(statuses) == {403, 429}, statuses
    assert CHECKS_PER_ACCOUNT_AND_ADDRESS <= statuses[403] <= 2 * CHECKS_PER_ACCOUNT_AND_ADDRESS
    for response in responses:
        if response.status_code == 429:
            assert_throttled(response)
    # The same counters as logins: guessing here leaves no fresh allowance there.
    assert_throttled(await login(api, ann.email, "yet another guess"))
    assert_throttled(await recheck(PASSWORD))
    assert (await api.get("/auth/me", headers=ann.headers)).status_code == 200


# Refresh


async def test_refresh_rotates_the_pair(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "rot")
    response = await refresh(api, ann.refresh_token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["refresh_token"] != ann.refresh_token
    assert body["access_token"] != ann.access_token
    assert refresh_cookie(response)[0] == body["refresh_token"]
    await assert_session_works(api, body["access_token"])

    again = await refresh(api, body["refresh_token"])
    assert again.status_code == 200, again.text


async def test_a_replayed_refresh_token_ends_the_whole_session(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    ann = await sign_up(api, "replay")
    rotated = await refresh(api, ann.refresh_token)
    assert rotated.status_code == 200
    newest = rotated.json()

    assert_unauthorized(await refresh(api, ann.refresh_token))

    assert_unauthorized(await refresh(api, newest["refresh_token"]))
    await assert_session_ended(api, backend, newest["access_token"])
    await assert_session_ended(api, backend, ann.access_token)


async def test_a_replay_leaves_the_users_other_sessions_alone(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "replay2")
    other = await second_session(api, ann)
    assert (await refresh(api, ann.refresh_token)).status_code == 200
    assert_unauthorized(await refresh(api, ann.refresh_token))
    await assert_session_works(api, other.access_token)


async def test_refresh_with_the_cookie_alone(api: httpx.AsyncClient) -> None:
    email = unique_email("cookie")
    await register(api, email)
    logged_in = await login(api, email)
    assert logged_in.status_code == 200

    response = await api.post("/auth/refresh")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refresh_token"] != logged_in.json()["refresh_token"]
    assert refresh_cookie(response)[0] == body["refresh_token"]
    # The cookie that was sent is now spent.
    assert_unauthorized(await refresh(api, logged_in.json()["refresh_token"]))


async def test_refresh_without_any_token_is_unauthorized(api: httpx.AsyncClient) -> None:
    assert_unauthorized(await api.post("/auth/refresh"))
    assert_unauthorized(await api.post("/auth/refresh", json={}))


async def test_refresh_with_an_unknown_token_is_unauthorized(api: httpx.AsyncClient) -> None:
    assert_unauthorized(await refresh(api, "no-such-refresh-token"))


# Logout


async def test_logout_ends_only_the_current_session(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    ann = await sign_up(api, "out")
    other = await second_session(api, ann)

    response = await api.post("/auth/logout", headers=ann.headers)
    assert response.status_code == 204
    value, attributes = refresh_cookie(response)
    assert value == ""
    assert attributes.get("max-age") == "0"

    await assert_session_ended(api, backend, ann.access_token)
    assert_unauthorized(await refresh(api, ann.refresh_token))

    await assert_session_works(api, other.access_token)
    assert (await refresh(api, other.refresh_token)).status_code == 200


async def test_logout_needs_a_token(api: httpx.AsyncClient) -> None:
    assert_unauthorized(await api.post("/auth/logout"))


async def test_logout_all_ends_every_session_of_the_user(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    ann = await sign_up(api, "all")
    sessions = [ann, await second_session(api, ann), await second_session(api, ann)]
    bob = await sign_up(api, "bystander")

    response = await api.post("/auth/logout-all", headers=ann.headers)
    assert response.status_code == 204

    for session in sessions:
        await assert_session_ended(api, backend, session.access_token)
        assert_unauthorized(await refresh(api, session.refresh_token))
    await assert_session_works(api, bob.access_token)


# The current user


async def test_me_returns_the_public_user(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "me")
    response = await api.get("/auth/me", headers=ann.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "email",
        "email_verified",
        "pending_email",
        "display_name",
        "created_at",
    }
    assert (body["id"], body["email"]) == (ann.id, ann.email)


async def test_me_needs_a_token(api: httpx.AsyncClient) -> None:
    assert_unauthorized(await api.get("/auth/me"))


async def test_display_name_is_trimmed_and_can_be_cleared(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "name")
    named = await api.patch("/auth/me", json={"display_name": "  Ann Lee  "}, headers=ann.headers)
    assert named.status_code == 200, named.text
    assert named.json()["display_name"] == "Ann Lee"
    assert (await api.get("/auth/me", headers=ann.headers)).json()["display_name"] == "Ann Lee"

    cleared = await api.patch("/auth/me", json={"display_name": None}, headers=ann.headers)
    assert cleared.status_code == 200
    assert cleared.json()["display_name"] is None
    assert (await api.get("/auth/me", headers=ann.headers)).json()["display_name"] is None


async def test_display_name_is_at_most_100_characters(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "long")
    longest = await api.patch("/auth/me", json={"display_name": "n" * 100}, headers=ann.headers)
    assert longest.status_code == 200
    assert longest.json()["display_name"] == "n" * 100

    too_long = await api.patch("/auth/me", json={"display_name": "n" * 101}, headers=ann.headers)
    body = assert_problem(too_long, 422)
    assert "display_name" in {error["field"] for error in body["errors"]}
    assert (await api.get("/auth/me", headers=ann.headers)).json()["display_name"] == "n" * 100


async def test_update_me_refuses_unknown_fields(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "mass")
    response = await api.patch(
        "/auth/me", json={"display_name": "Ann", "email": "evil@example.com"}, headers=ann.headers
    )
    assert_problem(response, 422)
    assert (await api.get("/auth/me", headers=ann.headers)).json()["email"] == ann.email


# Password change


async def test_change_password_ends_the_other_sessions(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    ann = await sign_up(api, "chpw")
    other = await second_session(api, ann)

    response = await api.post(
        "/auth/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=ann.headers,
    )
    assert response.status_code == 204, response.text

    assert_unauthorized(await login(api, ann.email, PASSWORD))
    assert (await login(api, ann.email, NEW_PASSWORD)).status_code == 200

    await assert_session_ended(api, backend, other.access_token)
    assert_unauthorized(await refresh(api, other.refresh_token))
    await assert_session_works(api, ann.access_token)
    assert (await refresh(api, ann.refresh_token)).status_code == 200


async def test_change_password_needs_the_current_one(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "wrongpw")
    response = await api.post(
        "/auth/me/password",
        json={"current_password": "not-the-password-9", "new_password": NEW_PASSWORD},
        headers=ann.headers,
    )
    body = assert_problem(response, 403)
    assert "current_password" in {error["field"] for error in body["errors"]}
    assert (await login(api, ann.email, PASSWORD)).status_code == 200


@pytest.mark.parametrize(
    ("new_password", "code"),
    [
        ("kettle7", "password_too_short"),
        ("password", "password_common"),
        ("1234567890", "password_common"),
        ("zzzzzzzzzz", "password_repetitive"),
        (PASSWORD, "password_unchanged"),
    ],
)
async def test_change_password_applies_the_policy(
    api: httpx.AsyncClient, new_password: str, code: str
) -> None:
    ann = await sign_up(api, "weak")
    response = await api.post(
        "/auth/me/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=ann.headers,
    )
    body = assert_problem(response, 422)
    assert ("new_password", code) in field_errors(body)
    assert (await login(api, ann.email, PASSWORD)).status_code == 200


async def test_change_password_refuses_the_email(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "pwmail")
    response = await api.post(
        "/auth/me/password",
        json={"current_password": PASSWORD, "new_password": ann.email},
        headers=ann.headers,
    )
    body = assert_problem(response, 422)
    assert ("new_password", "password_is_email") in field_errors(body)


# Account deletion


async def test_delete_account_needs_the_password(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "keep")
    response = await api.request(
        "DELETE", "/auth/me", json={"password": "not-the-password-9"}, headers=ann.headers
    )
    body = assert_problem(response, 403)
    assert "password" in {error["field"] for error in body["errors"]}
    assert (await api.get("/auth/me", headers=ann.headers)).status_code == 200


async def test_delete_account_ends_it_and_frees_the_email(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    ann = await sign_up(api, "gone")
    other = await second_session(api, ann)

    response = await api.request(
        "DELETE", "/auth/me", json={"password": PASSWORD}, headers=ann.headers
    )
    assert response.status_code == 204, response.text

    assert_unauthorized(await login(api, ann.email))
    for session in (ann, other):
        await assert_session_ended(api, backend, session.access_token)
        assert_unauthorized(await refresh(api, session.refresh_token))

    again = await register(api, ann.email)
    assert again["id"] != ann.id
    assert (await login(api, ann.email)).status_code == 200


# Validation, keys and error shape


async def test_validate_answers_the_tokens_subject(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "val")
    response = await api.get("/auth/validate", headers=ann.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    claims = jwt.decode(ann.access_token, options={"verify_signature": False})
    assert body == {"sub": ann.id, "sid": claims["sid"], "exp": claims["exp"]}
    uuid.UUID(body["sid"])
    assert body["exp"] > time.time()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not.a.token"},
        {"Authorization": "Bearer garbage"},
        {"Authorization": "Basic YW5uOnNlY3JldA=="},
    ],
)
async def test_validate_refuses_missing_or_garbage_tokens(
    api: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    assert_unauthorized(await api.get("/auth/validate", headers=headers))


async def test_jwks_publishes_the_es256_key(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "jwks")
    response = await api.get("/auth/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys
    for key in keys:
        assert (key["kty"], key["crv"], key["alg"]) == ("EC", "P-256", "ES256")
        assert isinstance(key["kid"], str)
        assert key["kid"]
        assert "d" not in key
    assert jwt.get_unverified_header(ann.access_token)["kid"] in {key["kid"] for key in keys}


async def test_a_published_key_verifies_issued_tokens(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "verify")
    keys = (await api.get("/auth/.well-known/jwks.json")).json()["keys"]
    kid = jwt.get_unverified_header(ann.access_token)["kid"]
    key = jwt.PyJWK(next(k for k in keys if k["kid"] == kid))
    claims = jwt.decode(ann.access_token, key, algorithms=["ES256"], audience="projectconnect")
    assert claims["sub"] == ann.id


async def test_unknown_routes_and_methods_are_problems(api: httpx.AsyncClient) -> None:
    assert_problem(await api.get("/auth/nothing-here"), 404)
    assert_problem(await api.get("/auth/login"), 405)
