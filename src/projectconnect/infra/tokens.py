"""Access tokens: ES256 JWTs signed by the auth service, verified anywhere against its JWKS."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import logging
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

logger = logging.getLogger(__name__)

ALGORITHM = "ES256"
DEFAULT_AUDIENCE = "projectconnect"


class InvalidToken(Exception):
    """The token is malformed, badly signed, expired, for another audience or unknown key."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    subject: uuid.UUID
    session_id: uuid.UUID
    expires_at: dt.datetime
    issued_at: dt.datetime
    # The account's email when the token was issued (tokens live minutes): what an
    # invitation bound to an email is checked against.
    email: str | None = None
    # Whether that email was verified (a link mailed to it was followed) at issue time.
    email_verified: bool | None = None


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes(32, "big")  # P-256 coordinates are always 32 bytes, zero-padded
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    jwk = {"crv": "P-256", "kty": "EC", "x": _b64url_uint(numbers.x), "y": _b64url_uint(numbers.y)}
    # RFC 7638 thumbprint: the members in lexicographic order, no whitespace.
    thumbprint = hashlib.sha256(json.dumps(jwk, separators=(",", ":")).encode()).digest()
    kid = base64.urlsafe_b64encode(thumbprint).rstrip(b"=").decode()
    return {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}


def generate_private_key_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ensure_private_key_file(path: Path) -> Path:
    """Create a signing key at `path` (owner-only) unless one is there. Embedded mode only."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_bytes(generate_private_key_pem())
    return path


class TokenSigner:
    """Issues access tokens with the auth service's private key."""

    def __init__(self, private_key_pem: bytes, *, audience: str, ttl_seconds: int) -> None:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("the signing key must be an EC P-256 private key (ES256)")
        self._key = key
        self.jwk = public_jwk(key.public_key())
        self.kid = self.jwk["kid"]
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.jwk]}

    def issue(
        self,
        subject: uuid.UUID,
        session_id: uuid.UUID,
        *,
        email: str | None = None,
        email_verified: bool | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "sub": str(subject),
            "sid": str(session_id),
            "aud": self.audience,
            "iat": now,
            "exp": now + self.ttl_seconds,
        }
        if email is not None:
            claims["email"] = email
        if email_verified is not None:
            claims["email_verified"] = email_verified
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})


class KeySource(Protocol):
    async def key_for(self, kid: str) -> Any | None:
        """The public key with this id, or None when no such key is known."""


class StaticKeySource:
    """Public keys handed over in-process (embedded mode, tests)."""

    def __init__(self, jwks: dict[str, list[dict[str, str]]]) -> None:
        self._keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks["keys"]}

    async def key_for(self, kid: str) -> Any | None:
        return self._keys.get(kid)


class RemoteKeySource:
    """Public keys fetched from a JWKS URL, cached, refetched at most every `min_refresh` s.

    An unknown kid triggers a refetch (key rotation), rate-limited so garbage kids cannot
    turn into a flood of requests to the auth service.
    """

    def __init__(
        self, url: str, *, ttl: float = 300.0, min_refresh: float = 10.0, timeout: float = 3.0
    ) -> None:
        self.url = url
        self._ttl = ttl
        self._min_refresh = min_refresh
        self._timeout = timeout
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            response = await client.get(self.url)
            response.raise_for_status()
            document = response.json()
        self._keys = {k["kid"]: jwt.PyJWK(k).key for k in document.get("keys", []) if "kid" in k}
        self._fetched_at = time.monotonic()

    async def key_for(self, kid: str) -> Any | None:
        age = time.monotonic() - self._fetched_at
        if kid in self._keys and age < self._ttl:
            return self._keys[kid]
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if age >= self._min_refresh and (kid not in self._keys or age >= self._ttl):
                try:
                    await self._refresh()
                except (httpx.HTTPError, ValueError, jwt.PyJWTError):
                    logger.warning("could not fetch JWKS from %s", self.url, exc_info=True)
        return self._keys.get(kid)


class TokenVerifier:
    """Checks signature (ES256 only), expiry, audience and required claims.

    A token that passed is remembered until it expires, so a client's next requests skip
    the signature check, the largest cost of an authenticated request. What can end a
    token before its expiry (logout, revocation) is the session check, made every time.
    """

    def __init__(
        self, keys: KeySource, *, audience: str, leeway: float = 5.0, remember: int = 10_000
    ) -> None:
        self._keys = keys
        self.audience = audience
        self._leeway = leeway
        self._remember = remember
        self._verified: OrderedDict[str, AccessClaims] = OrderedDict()

    async def verify(self, token: str) -> AccessClaims:
        claims = self._verified.get(token)
        if claims is not None:
            if time.time() < claims.expires_at.timestamp() + self._leeway:
                return claims
            del self._verified[token]
        claims = await self._verify(token)
        self._verified[token] = claims
        if len(self._verified) > self._remember:
            self._verified.popitem(last=False)
        return claims

    async def _verify(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str):
            raise InvalidToken("unsupported token algorithm or missing key id")
        key = await self._keys.key_for(kid)
        if key is None:
            raise InvalidToken("unknown signing key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "sid", "aud"]},
            )
            return AccessClaims(
                subject=uuid.UUID(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                expires_at=dt.datetime.fromtimestamp(claims["exp"], dt.UTC),
                issued_at=dt.datetime.fromtimestamp(claims["iat"], dt.UTC),
                email=claims["email"] if isinstance(claims.get("email"), str) else None,
                email_verified=(
                    claims["email_verified"]
                    if isinstance(claims.get("email_verified"), bool)
                    else None
                ),
            )
        except (jwt.PyJWTError, ValueError, TypeError, AttributeError) as exc:
            raise InvalidToken(str(exc)) from exc


class SessionRegistry(Protocol):
    """Answers whether a token's session is still active and belongs to its subject."""

    async def is_active(self, claims: AccessClaims) -> bool: ...
