"""Per-owner read caches with exact invalidation by generation.

Every cached read of an owner lives under a key that carries the owner's current
generation. A write by the owner, once committed, replaces the generation with a new
random one, so every earlier entry becomes unreachable at once and nothing else is ever
evicted. A reader that read the database before that write can only store its result
under the old generation, where no later reader looks.

When the cache cannot take a new generation (Redis down), the owner is kept as pending:
this process bypasses the cache for them and replaces their generation first thing once
Redis answers again, before it serves anything from the cache.
"""

from __future__ import annotations

import secrets
import uuid

from projectconnect.infra.cache import Cache

# Generations outlive the cached values they guard by a wide margin.
GENERATION_TTL = 7 * 24 * 3600


class OwnerReadCache:
    def __init__(self, cache: Cache, *, ttl: float, enabled: bool = True) -> None:
        self.cache = cache
        self.ttl = ttl
        # Off: every read goes to the database (diagnosis, benchmarks of the database path).
        self.enabled = enabled
        self._pending: set[uuid.UUID] = set()

    @staticmethod
    def _generation_key(owner: uuid.UUID) -> str:
        return f"projects:{owner}:gen"

    async def generation(self, owner: uuid.UUID) -> str | None:
        """The owner's current generation, or None when the cache cannot be used now."""
        if not self.enabled:
            return None
        if self._pending and not await self._retry_pending():
            return None
        return await self._current(owner)

    async def _current(self, owner: uuid.UUID) -> str | None:
        key = self._generation_key(owner)
        value = await self.cache.get(key)
        if value is None:
            new = secrets.token_hex(8).encode()
            if await self.cache.set(key, new, GENERATION_TTL, only_if_absent=True):
                return new.decode()
            value = await self.cache.get(key)  # another reader set one first
        return value.decode() if value is not None else None

    async def invalidate(self, owner: uuid.UUID) -> None:
        """Call after the owner's write committed."""
        if not await self._replace_generation(owner):
            self._pending.add(owner)

    async def _replace_generation(self, owner: uuid.UUID) -> bool:
        new = secrets.token_hex(8).encode()
        return await self.cache.set(self._generation_key(owner), new, GENERATION_TTL)

    async def _retry_pending(self) -> bool:
        """Replace the generations that could not be replaced; True when none is left."""
        for owner in list(self._pending):
            if not await self._replace_generation(owner):
                return False
            self._pending.discard(owner)
        return True

    @staticmethod
    def _key(owner: uuid.UUID, generation: str, view: str) -> str:
        return f"projects:{owner}:{generation}:{view}"

    async def get(self, owner: uuid.UUID, generation: str, view: str) -> bytes | None:
        return await self.cache.get(self._key(owner, generation, view))

    async def put(self, owner: uuid.UUID, generation: str, view: str, body: bytes) -> None:
        await self.cache.set(self._key(owner, generation, view), body, self.ttl)
