"""Whether a session is still active: a cache both services share, in front of a source of truth.

The auth service owns sessions. It writes `revoked` under a session's key the moment it
revokes one, overwriting anything there; readers only ever add `active` if the key is
absent. So a reader that saw the session active in the database just before a revocation
can never hide the revocation by writing late.

The cache is never the last word on a session it does not hold: a miss (the key expired
or was evicted) or a cache that cannot answer sends the question to the source of truth
(the auth database, or from the projects service the auth service's `GET /auth/validate`).
When neither can answer, the check fails closed: 503, never a silent "active".
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterable
from typing import NoReturn, Protocol

import httpx

from projectconnect.infra.cache import Cache, CacheUnavailable, CircuitBreaker, count_read
from projectconnect.infra.problems import ServiceUnavailable
from projectconnect.infra.tokens import AccessClaims, SessionRegistry

logger = logging.getLogger(__name__)

ACTIVE = b"active:"  # followed by the session's user id
REVOKED = b"revoked"


class SessionCheckUnavailable(ServiceUnavailable):
    """Neither the cache nor the source of truth could say whether the session is active."""

    code = "session_check_unavailable"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "The session cannot be checked right now; try again shortly.",
            retry_after=retry_after,
        )


def session_key(session_id: uuid.UUID) -> str:
    return f"session:{session_id}"


async def cached_status(cache: Cache, claims: AccessClaims) -> bool | None:
    """True if active for this subject, False if revoked or another's, None if not held.

    Raises CacheUnavailable when the cache cannot answer.
    """
    return status_of(await cache.lookup(session_key(claims.session_id)), claims)


def status_of(value: bytes | None, claims: AccessClaims) -> bool | None:
    """What a session key's value says: True if active for this subject, False if revoked
    or another's, None if the key holds nothing."""
    if value is None:
        return None
    return value == ACTIVE + str(claims.subject).encode()


class SessionCache:
    """The auth service's side: it reads, remembers "active" and writes revocations."""

    def __init__(self, cache: Cache, *, active_ttl: float, revoked_ttl: float) -> None:
        self.cache = cache
        self.active_ttl = active_ttl
        # Long enough to outlive every access token the revoked session ever got.
        self.revoked_ttl = revoked_ttl

    async def status(self, claims: AccessClaims) -> bool | None:
        return await cached_status(self.cache, claims)

    async def remember(self, claims: AccessClaims, active: bool) -> None:
        key = session_key(claims.session_id)
        if active:
            value = ACTIVE + str(claims.subject).encode()
            await self.cache.set(key, value, self.active_ttl, only_if_absent=True)
        else:
            await self.cache.set(key, REVOKED, self.revoked_ttl)

    async def revoke(self, session_ids: Iterable[uuid.UUID]) -> None:
        for session_id in session_ids:
            await self.cache.set(session_key(session_id), REVOKED, self.revoked_ttl)


class CachedSessionRegistry:
    """The auth service's: answers from the cache; otherwise asks `source` (its database).

    On a miss the answer "active" is remembered; after a cache error nothing is written,
    the cache being unwell.
    """

    def __init__(self, cache: SessionCache, source: SessionRegistry) -> None:
        self.cache = cache
        self.source = source

    async def is_active(self, claims: AccessClaims) -> bool:
        try:
            cached = await self.cache.status(claims)
        except CacheUnavailable:
            return await self.source.is_active(claims)
        if cached is not None:
            return cached
        active = await self.source.is_active(claims)
        if active:
            await self.cache.remember(claims, active)
        return active


class TokenSessions(Protocol):
    """The projects service's session check, for a verified token as it was presented."""

    async def is_active(self, token: str, claims: AccessClaims) -> bool:
        """Raises SessionCheckUnavailable when no one can tell."""

    def shared_key(self, claims: AccessClaims) -> str | None:
        """The key of the shared cache that holds the session's status, for a reader that
        fetches it together with other keys; None when there is none to fetch."""

    def settled(self, claims: AccessClaims, value: bytes | None) -> bool:
        """Whether that key's value, fetched by the reader, confirms the session active.
        False means "not confirmed": `is_active` has the last word."""

    async def close(self) -> None: ...


class LocalSessions:
    """The embedded mode: the auth service's own registry, in the same process."""

    def __init__(self, registry: SessionRegistry) -> None:
        self.registry = registry

    async def is_active(self, token: str, claims: AccessClaims) -> bool:
        return await self.registry.is_active(claims)

    def shared_key(self, claims: AccessClaims) -> None:
        return None

    def settled(self, claims: AccessClaims, value: bytes | None) -> bool:
        return False

    async def close(self) -> None:
        return None


class AuthValidation:
    """The source of truth seen from another service: the auth service's `GET /auth/validate`.

    200 means active for the token's subject and session, 401 means ended; anything else,
    a timeout or a refused connection means it cannot tell. After a failure the service is
    left alone for the breaker's cool-down, so a dead auth service costs no waiting.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        breaker: CircuitBreaker | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.breaker = breaker or CircuitBreaker()
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.breaker.cooldown))

    async def is_active(self, token: str, claims: AccessClaims) -> bool:
        if self.breaker.is_open:
            raise SessionCheckUnavailable(self.retry_after)
        headers = {"Authorization": f"Bearer {token}"}
        try:
            try:
                response = await self._client.get(self.url, headers=headers)
            except httpx.RemoteProtocolError:
                # A kept-alive connection the auth service had closed meanwhile: the
                # question never reached it, and asking is safe to repeat, once.
                response = await self._client.get(self.url, headers=headers)
        except httpx.HTTPError as exc:
            self._fail(repr(exc))
        if response.status_code == 401:
            return False
        if response.status_code != 200:
            self._fail(f"status {response.status_code}")
        try:
            body = response.json()
            return bool(
                body["sub"] == str(claims.subject) and body["sid"] == str(claims.session_id)
            )
        except (ValueError, KeyError, TypeError):
            self._fail("an unreadable answer")

    def _fail(self, why: str) -> NoReturn:
        self.breaker.trip()
        logger.warning("cannot check sessions with %s: %s", self.url, why)
        raise SessionCheckUnavailable(self.retry_after)

    async def close(self) -> None:
        await self._client.aclose()


class SharedCacheSessions:
    """The projects service on its own: the shared cache first, then the auth service.

    A hit is the one cache read of a request's session check. A miss (expired or evicted)
    and a cache that cannot answer both go to `source`; this side never writes session
    keys, the auth service does (its validate remembers "active" on the way). Without a
    source (a composition in code that named none) such a session cannot be confirmed: 503.
    """

    def __init__(
        self, cache: Cache, source: AuthValidation | None, *, name: str = "sessions"
    ) -> None:
        self.cache = cache
        self.source = source
        self.name = name  # the cache's, for the hits and misses of fetched keys

    async def is_active(self, token: str, claims: AccessClaims) -> bool:
        try:
            cached = await cached_status(self.cache, claims)
        except CacheUnavailable:
            cached = None
        if cached is not None:
            return cached
        if self.source is None:
            raise SessionCheckUnavailable(retry_after=1)
        return await self.source.is_active(token, claims)

    def shared_key(self, claims: AccessClaims) -> str:
        return session_key(claims.session_id)

    def settled(self, claims: AccessClaims, value: bytes | None) -> bool:
        return status_of(count_read(self.name, value), claims) is True

    async def close(self) -> None:
        if self.source is not None:
            await self.source.close()
