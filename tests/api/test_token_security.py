"""Forged, altered and stale access tokens are refused by every route that takes one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import Backend
from tests.support.accounts import Account, create_project, sign_up

AUDIENCE = "projectconnect"
GUARDED = ("/auth/me", "/auth/validate", "/projects")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signing_key(backend: Backend) -> ec.EllipticCurvePrivateKey:
    assert backend.signing_key is not None
    key = serialization.load_pem_private_key(backend.signing_key.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def claims_for(account: Account, **overrides: object) -> dict[str, object]:
    """The claims of the account's own access token, with some replaced."""
    claims: dict[str, object] = jwt.decode(
        account.access_token, options={"verify_signature": False}
    )
    claims.update(overrides)
    return claims


def kid_of(account: Account) -> str:
    kid: str = jwt.get_unverified_header(account.access_token)["kid"]
    return kid


def sign_real(backend: Backend, account: Account, **overrides: object) -> str:
    """A token signed with the service's own private key."""
    return jwt.encode(
        claims_for(account, **overrides),
        signing_key(backend),
        algorithm="ES256",
        headers={"kid": kid_of(account)},
    )


async def assert_refused(
    api: httpx.AsyncClient, token: str, paths: tuple[str, ...] = GUARDED
) -> None:
    for path in paths:
        response = await api.get(path, headers=bearer(token))
        assert response.status_code == 401, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"].lower().startswith("bearer")


async def assert_accepted(api: httpx.AsyncClient, token: str) -> None:
    for path in GUARDED:
        response = await api.get(path, headers=bearer(token))
        assert response.status_code == 200, (path, response.text)


async def test_a_token_signed_properly_by_the_test_is_accepted(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    """The control: the forgeries below fail for their flaw, not for how they are made."""
    ann = await sign_up(api, "control")
    now = int(time.time())
    await assert_accepted(api, sign_real(backend, ann, iat=now, exp=now + 300))


async def test_alg_none_is_refused(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "none")
    header = {"alg": "none", "typ": "JWT", "kid": kid_of(ann)}
    unsigned = f"{b64url_json(header)}.{b64url_json(claims_for(ann))}."
    await assert_refused(api, unsigned)
    await assert_refused(api, jwt.encode(claims_for(ann), "", algorithm="none"))


async def test_hs256_signed_with_the_public_key_is_refused(api: httpx.AsyncClient) -> None:
    """The key-confusion attack: the public key's PEM used as an HMAC secret."""
    ann = await sign_up(api, "confusion")
    keys = (await api.get("/auth/.well-known/jwks.json")).json()["keys"]
    jwk = next(k for k in keys if k["kid"] == kid_of(ann))
    public_key = jwt.PyJWK(jwk).key
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": jwk["kid"]}
    signing_input = f"{b64url_json(header)}.{b64url_json(claims_for(ann))}"
    for secret in (pem, pem.strip(), json.dumps(jwk).encode()):
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        await assert_refused(api, f"{signing_input}.{b64url(signature)}")


async def test_an_expired_token_is_refused(api: httpx.AsyncClient, backend: Backend) -> None:
    ann = await sign_up(api, "expired")
    now = int(time.time())
    # Well past the verifier's 5 s leeway.
    await assert_refused(api, sign_real(backend, ann, iat=now - 700, exp=now - 60))


async def test_a_token_for_another_audience_is_refused(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    ann = await sign_up(api, "aud")
    await assert_refused(api, sign_real(backend, ann, aud="some-other-service"))
    await assert_refused(api, sign_real(backend, ann, aud=[]))


async def test_a_token_missing_a_required_claim_is_refused(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    ann = await sign_up(api, "missing")
    for claim in ("exp", "sub", "sid", "aud", "iat"):
        claims = claims_for(ann)
        del claims[claim]
        token = jwt.encode(
            claims, signing_key(backend), algorithm="ES256", headers={"kid": kid_of(ann)}
        )
        await assert_refused(api, token)


async def test_a_token_with_malformed_ids_is_refused(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    ann = await sign_up(api, "ids")
    await assert_refused(api, sign_real(backend, ann, sub="not-a-uuid"))
    await assert_refused(api, sign_real(backend, ann, sid=12345))


async def test_a_tampered_payload_is_refused(api: httpx.AsyncClient) -> None:
    """Ann's token with Bob's id swapped in, the signature kept: it must not reach Bob's data."""
    ann = await sign_up(api, "tamper")
    bob = await sign_up(api, "victim")
    await create_project(api, bob, "Bob's secret")
    header, _, signature = ann.access_token.split(".")
    claims = json.loads(b64url_decode(ann.access_token.split(".")[1]))
    claims["sub"] = bob.id
    await assert_refused(api, f"{header}.{b64url_json(claims)}.{signature}")


async def test_a_token_signed_by_an_unknown_key_is_refused(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "kid")
    stranger = ec.generate_private_key(ec.SECP256R1())
    for kid in ("made-up-kid", kid_of(ann)):
        token = jwt.encode(claims_for(ann), stranger, algorithm="ES256", headers={"kid": kid})
        await assert_refused(api, token)


async def test_a_token_without_a_kid_is_refused(api: httpx.AsyncClient, backend: Backend) -> None:
    ann = await sign_up(api, "nokid")
    await assert_refused(api, jwt.encode(claims_for(ann), signing_key(backend), algorithm="ES256"))


async def test_a_token_for_no_such_session_is_refused(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    """A sound signature is not enough: the session must exist and be active."""
    ann = await sign_up(api, "nosession")
    token = sign_real(backend, ann, sid=str(uuid.uuid4()))
    # Asked first, before auth has looked the session up: embedded, projects asks auth's
    # registry; alone, it hears only of revocations, so an unknown session is not in its view.
    if backend.app is not None:
        await assert_refused(api, token, ("/projects",))
    await assert_refused(api, token, ("/auth/me", "/auth/validate"))


async def test_a_session_only_vouches_for_its_own_user(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    """Bob's id with Ann's live session: the session is active, but it is not Bob's."""
    ann = await sign_up(api, "owner")
    bob = await sign_up(api, "other")
    await create_project(api, bob, "Bob's secret")
    assert (await api.get("/auth/validate", headers=ann.headers)).status_code == 200
    forged = sign_real(backend, ann, sub=bob.id)
    await assert_refused(api, forged)
