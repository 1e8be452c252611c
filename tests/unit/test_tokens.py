"""ES256 access tokens: what the signer issues the verifier accepts, and nothing else."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from projectconnect.infra.tokens import (
    AccessClaims,
    InvalidToken,
    StaticKeySource,
    TokenSigner,
    TokenVerifier,
    generate_private_key_pem,
    public_jwk,
)

AUDIENCE = "projectconnect"
TTL = 600


def pem(key: Any) -> bytes:
    data: bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return data


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_int(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


@pytest.fixture
def private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def signer(private_key: ec.EllipticCurvePrivateKey) -> TokenSigner:
    return TokenSigner(pem(private_key), audience=AUDIENCE, ttl_seconds=TTL)


@pytest.fixture
def verifier(signer: TokenSigner) -> TokenVerifier:
    return TokenVerifier(StaticKeySource(signer.jwks()), audience=AUDIENCE)


def forge(private_key: ec.EllipticCurvePrivateKey, kid: str, **overrides: Any) -> str:
    """A token signed with the real key, with claims the signer itself would never write."""
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + TTL,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, private_key, algorithm="ES256", headers={"kid": kid})


async def test_an_issued_token_verifies_to_its_subject_and_session(
    signer: TokenSigner, verifier: TokenVerifier
) -> None:
    subject, session = uuid.uuid4(), uuid.uuid4()
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    claims = await verifier.verify(signer.issue(subject, session))
    assert isinstance(claims, AccessClaims)
    assert (claims.subject, claims.session_id) == (subject, session)
    assert claims.expires_at - claims.issued_at == dt.timedelta(seconds=TTL)
    assert before <= claims.issued_at <= dt.datetime.now(dt.UTC)


def test_an_issued_token_is_es256_and_names_its_key(signer: TokenSigner) -> None:
    header = jwt.get_unverified_header(signer.issue(uuid.uuid4(), uuid.uuid4()))
    assert header["alg"] == "ES256"
    assert header["kid"] == signer.kid


def test_the_key_id_is_the_rfc_7638_thumbprint(
    signer: TokenSigner, private_key: ec.EllipticCurvePrivateKey
) -> None:
    numbers = private_key.public_key().public_numbers()
    required = {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }
    # RFC 7638: the required members only, sorted, no whitespace, SHA-256, base64url.
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":")).encode()
    assert signer.kid == b64url(hashlib.sha256(canonical).digest())
    assert signer.jwks() == {
        "keys": [{**required, "kid": signer.kid, "use": "sig", "alg": "ES256"}]
    }


def key_with_a_short_x() -> ec.EllipticCurvePublicKey:
    # About one key in 256 has an x coordinate below 2**248, a leading zero byte.
    while True:
        key = ec.generate_private_key(ec.SECP256R1()).public_key()
        if key.public_numbers().x < 2**248:
            return key


def test_jwk_coordinates_keep_their_leading_zero_bytes() -> None:
    key = key_with_a_short_x()
    jwk = public_jwk(key)
    assert len(base64.urlsafe_b64decode(jwk["x"] + "=")) == 32
    assert b64url_int(jwk["x"]) == key.public_numbers().x
    assert jwt.PyJWK(jwk).key.public_numbers() == key.public_numbers()


async def test_a_token_for_another_audience_is_refused(
    private_key: ec.EllipticCurvePrivateKey, verifier: TokenVerifier
) -> None:
    other = TokenSigner(pem(private_key), audience="someone-else", ttl_seconds=TTL)
    with pytest.raises(InvalidToken):
        await verifier.verify(other.issue(uuid.uuid4(), uuid.uuid4()))


async def test_an_expired_token_is_refused(
    private_key: ec.EllipticCurvePrivateKey, signer: TokenSigner, verifier: TokenVerifier
) -> None:
    now = int(time.time())
    # Past the verifier's few seconds of leeway for clock skew.
    token = forge(private_key, signer.kid, iat=now - 700, exp=now - 60)
    with pytest.raises(InvalidToken):
        await verifier.verify(token)


async def test_a_token_just_inside_the_leeway_is_accepted(
    private_key: ec.EllipticCurvePrivateKey, signer: TokenSigner, verifier: TokenVerifier
) -> None:
    now = int(time.time())
    token = forge(private_key, signer.kid, iat=now - 600, exp=now - 1)
    assert (await verifier.verify(token)).expires_at.timestamp() == now - 1


async def test_an_unsigned_alg_none_token_is_refused(
    signer: TokenSigner, verifier: TokenVerifier
) -> None:
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + TTL,
    }
    token = jwt.encode(claims, "", algorithm="none", headers={"kid": signer.kid})
    with pytest.raises(InvalidToken):
        await verifier.verify(token)


async def test_an_hs256_token_keyed_with_the_public_key_is_refused(
    private_key: ec.EllipticCurvePrivateKey, signer: TokenSigner, verifier: TokenVerifier
) -> None:
    # Algorithm confusion: the public key, which anyone can fetch, used as an HMAC secret.
    secret = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT", "kid": signer.kid}
    claims = {
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + TTL,
    }
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidToken):
        await verifier.verify(f"{signing_input}.{b64url(signature)}")


async def test_a_token_from_an_unknown_key_is_refused(verifier: TokenVerifier) -> None:
    stranger = TokenSigner(generate_private_key_pem(), audience=AUDIENCE, ttl_seconds=TTL)
    with pytest.raises(InvalidToken):
        await verifier.verify(stranger.issue(uuid.uuid4(), uuid.uuid4()))


async def test_a_token_naming_a_known_kid_but_signed_by_another_key_is_refused(
    signer: TokenSigner, verifier: TokenVerifier
) -> None:
    impostor = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InvalidToken):
        await verifier.verify(forge(impostor, signer.kid))


async def test_a_tampered_token_is_refused(signer: TokenSigner, verifier: TokenVerifier) -> None:
    header, payload, signature = signer.issue(uuid.uuid4(), uuid.uuid4()).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(uuid.uuid4())
    forged_payload = b64url(json.dumps(claims).encode())
    with pytest.raises(InvalidToken):
        await verifier.verify(f"{header}.{forged_payload}.{signature}")


@pytest.mark.parametrize("missing", ["sub", "sid", "exp", "iat", "aud"])
async def test_a_token_missing_a_required_claim_is_refused(
    missing: str,
    private_key: ec.EllipticCurvePrivateKey,
    signer: TokenSigner,
    verifier: TokenVerifier,
) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(forge(private_key, signer.kid, **{missing: None}))


@pytest.mark.parametrize("claim", ["sub", "sid"])
async def test_a_token_whose_ids_are_not_uuids_is_refused(
    claim: str,
    private_key: ec.EllipticCurvePrivateKey,
    signer: TokenSigner,
    verifier: TokenVerifier,
) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(forge(private_key, signer.kid, **{claim: "admin"}))


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "eyJhbGciOiJFUzI1NiJ9.e30."])
async def test_garbage_is_refused(token: str, verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(token)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(lambda: ec.generate_private_key(ec.SECP384R1()), id="P-384"),
        pytest.param(lambda: ec.generate_private_key(ec.SECP256K1()), id="secp256k1"),
        pytest.param(lambda: rsa.generate_private_key(65537, 2048), id="RSA"),
        pytest.param(ed25519.Ed25519PrivateKey.generate, id="Ed25519"),
    ],
)
def test_the_signer_refuses_any_key_but_p256(key: Any) -> None:
    with pytest.raises(ValueError, match="P-256"):
        TokenSigner(pem(key()), audience=AUDIENCE, ttl_seconds=TTL)


async def test_a_remembered_token_still_expires(
    private_key: ec.EllipticCurvePrivateKey, signer: TokenSigner
) -> None:
    verifier = TokenVerifier(StaticKeySource(signer.jwks()), audience=AUDIENCE, leeway=0)
    now = time.time()
    token = forge(private_key, signer.kid, iat=int(now), exp=int(now) + 2)
    first = await verifier.verify(token)
    assert await verifier.verify(token) is first  # remembered, not checked again

    await asyncio.sleep(int(now) + 2.05 - time.time())
    with pytest.raises(InvalidToken):
        await verifier.verify(token)


async def test_only_a_verified_token_is_remembered(
    private_key: ec.EllipticCurvePrivateKey, signer: TokenSigner
) -> None:
    verifier = TokenVerifier(StaticKeySource(signer.jwks()), audience=AUDIENCE, remember=2)
    forged = forge(ec.generate_private_key(ec.SECP256R1()), signer.kid)
    for _ in range(2):
        with pytest.raises(InvalidToken):
            await verifier.verify(forged)
    tokens = [signer.issue(uuid.uuid4(), uuid.uuid4()) for _ in range(3)]
    claims = [await verifier.verify(t) for t in tokens]
    # The oldest was forgotten beyond the bound: checked again, to the same claims.
    again = await verifier.verify(tokens[0])
    assert again == claims[0]
    assert again is not claims[0]
    assert await verifier.verify(tokens[2]) is claims[2]
