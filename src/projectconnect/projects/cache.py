"""Per-owner read caches with exact invalidation by generation.

Every cached read of an owner lives under a key that carries the owner's current
generation. A write by the owner, once committed, replaces the generation with a new
random one, so every earlier entry becomes unreachable at once and nothing else is ever
evicted. A reader that read the database before that write can only store its result
under the old generation, where no later reader looks.
"""

from __future__ import annotations

import secrets
import uuid

from projectconnect.infra.cache import Cache

# Generations outlive the cached values they guard by a wide margin.
GENERATION_TTL = 7 * 24 * 3600


class OwnerReadCache:
    def __init__(self, cache: Cache, *, ttl: float) -> None:
        self.cache = cache
        self.ttl = ttl

    @staticmethod
    def _generation_key(owner: uuid.UUID) -> str:
        return f"projects:{owner}:gen"

    async def generation(self, owner: uuid.UUID) -> str | None:
        """The owner's current generation, or None when the cache cannot be used now."""
        key = self._generation_key(owner)
        value = await self.cache.get(key)
        if value is None:
            await self.cache.set(
                key, secrets.token_hex(8).encode(), GENERATION_TTL, only_if_absent=True
            )
            value = await self.cache.get(key)
        return value.decode() if value is not None else None

    async def invalidate(self, owner: uuid.UUID) -> None:
        """Call after the owner's write committed."""
        await self.cache.set(
            self._generation_key(owner), secrets.token_hex(8).encode(), GENERATION_TTL
        )

    @staticmethod
    def _key(owner: uuid.UUID, generation: str, view: str) -> str:
        return f"projects:{owner}:{generation}:{view}"

    async def get(self, owner: uuid.UUID, generation: str, view: str) -> bytes | None:
        return await self.cache.get(self._key(owner, generation, view))

    async def put(self, owner: uuid.UUID, generation: str, view: str, body: bytes) -> None:
        await self.cache.set(self._key(owner, generation, view), body, self.ttl)
