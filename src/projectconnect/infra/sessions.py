"""Whether a session is still active, answered from a cache both services share.

The auth service owns sessions. It writes `revoked` under a session's key the moment it
revokes one, overwriting anything there; readers only ever add `active` if the key is
absent. So a reader that saw the session active in the database just before a revocation
can never hide the revocation by writing late.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from projectconnect.infra.cache import Cache
from projectconnect.infra.tokens import AccessClaims, SessionRegistry

ACTIVE = b"active:"  # followed by the session's user id
REVOKED = b"revoked"


class SessionCache:
    def __init__(self, cache: Cache, *, active_ttl: float, revoked_ttl: float) -> None:
        self.cache = cache
        self.active_ttl = active_ttl
        # Long enough to outlive every access token the revoked session ever got.
        self.revoked_ttl = revoked_ttl

    @staticmethod
    def key(session_id: uuid.UUID) -> str:
        return f"session:{session_id}"

    async def status(self, claims: AccessClaims) -> bool | None:
        """True if active for this subject, False if revoked or another's, None if unknown."""
        value = await self.cache.get(self.key(claims.session_id))
        if value is None:
            return None
        return value == ACTIVE + str(claims.subject).encode()

    async def remember(self, claims: AccessClaims, active: bool) -> None:
        key = self.key(claims.session_id)
        if active:
            value = ACTIVE + str(claims.subject).encode()
            await self.cache.set(key, value, self.active_ttl, only_if_absent=True)
        else:
            await self.cache.set(key, REVOKED, self.revoked_ttl)

    async def revoke(self, session_ids: Iterable[uuid.UUID]) -> None:
        for session_id in session_ids:
            await self.cache.set(self.key(session_id), REVOKED, self.revoked_ttl)


class CachedSessionRegistry:
    """Answers from the cache; on a miss asks `source` (the database) and remembers.

    Without a source (the projects service on its own) a miss counts as active: the token's
    signature and expiry hold, and any revocation would have been written to the cache.
    """

    def __init__(self, cache: SessionCache, source: SessionRegistry | None = None) -> None:
        self.cache = cache
        self.source = source

    async def is_active(self, claims: AccessClaims) -> bool:
        cached = await self.cache.status(claims)
        if cached is not None:
            return cached
        if self.source is None:
            return True
        active = await self.source.is_active(claims)
        if active:
            await self.cache.remember(claims, active)
        return active
