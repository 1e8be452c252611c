"""Read caches per scope with exact invalidation by generation, bounded by what the server issued.

A scope is whose data a cached response shows (today an owner; later a workspace or a
project). Every cached read of a scope lives under a key that carries the scope's current
generation. A write, once committed, replaces the generation with a new random one, so
every earlier entry becomes unreachable at once and nothing else is ever evicted. A reader
that read the database before that write can only store its result under the old
generation, where no later reader looks.

What a client can name cannot grow the cache: keys are canonical (ids as the server writes
them, page sizes from a small set) and a page after a cursor is stored only when that
cursor was the `next_cursor` of a page of the same list and size under the same
generation. Any other cursor is served from the database and stored nowhere. A response
bigger than the entry cap is served, not stored.

When the cache cannot take a new generation (Redis down), the scope is kept as pending:
this process bypasses the cache for it and replaces its generation first thing once
Redis answers again, before it serves anything from the cache.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from projectconnect.infra.cache import Cache
from projectconnect.infra.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# Generations outlive the cached values they guard by a wide margin.
GENERATION_TTL = 7 * 24 * 3600
DEFAULT_MAX_ENTRY_BYTES = 256 * 1024
DEFAULT_PAGE_SIZES = frozenset({DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE})
ISSUED = b"1"


def canonical_id(value: str) -> str | None:
    """An id as the server writes it, or None for one that cannot name anything."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class PageView:
    """One page of a list: which list (`list`, `tasks:{project}`), its size, where it starts."""

    listing: str
    limit: int
    cursor: str | None = None

    @property
    def key(self) -> str:
        return f"{self.listing}:{self.limit}:{self.cursor or ''}"

    def after(self, cursor: str) -> PageView:
        return PageView(self.listing, self.limit, cursor)


class OwnerReadCache:
    def __init__(
        self,
        cache: Cache,
        *,
        ttl: float,
        enabled: bool = True,
        max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES,
        page_sizes: Collection[int] = DEFAULT_PAGE_SIZES,
    ) -> None:
        self.cache = cache
        self.ttl = ttl
        # Off: every read goes to the database (diagnosis, benchmarks of the database path).
        self.enabled = enabled
        self.max_entry_bytes = max_entry_bytes
        self.page_sizes = frozenset(page_sizes)
        self._pending: set[uuid.UUID] = set()

    @staticmethod
    def _generation_key(scope: uuid.UUID) -> str:
        return f"projects:{scope}:gen"

    async def generation(self, scope: uuid.UUID) -> str | None:
        """The scope's current generation, or None when the cache cannot be used now."""
        if not self.enabled:
            return None
        if self._pending and not await self._retry_pending():
            return None
        return await self._current(scope)

    async def _current(self, scope: uuid.UUID) -> str | None:
        key = self._generation_key(scope)
        value = await self.cache.get(key)
        if value is None:
            new = secrets.token_hex(8).encode()
            if await self.cache.set(key, new, GENERATION_TTL, only_if_absent=True):
                return new.decode()
            value = await self.cache.get(key)  # another reader set one first
        return value.decode() if value is not None else None

    async def invalidate(self, scope: uuid.UUID) -> None:
        """Call after a write to the scope committed."""
        if not await self._replace_generation(scope):
            self._pending.add(scope)

    async def _replace_generation(self, scope: uuid.UUID) -> bool:
        new = secrets.token_hex(8).encode()
        return await self.cache.set(self._generation_key(scope), new, GENERATION_TTL)

    async def _retry_pending(self) -> bool:
        """Replace the generations that could not be replaced; True when none is left."""
        for scope in list(self._pending):
            if not await self._replace_generation(scope):
                return False
            self._pending.discard(scope)
        return True

    @staticmethod
    def _key(scope: uuid.UUID, generation: str, view: str) -> str:
        return f"projects:{scope}:{generation}:{view}"

    async def get(self, scope: uuid.UUID, generation: str, view: str) -> bytes | None:
        return await self.cache.get(self._key(scope, generation, view))

    async def put(self, scope: uuid.UUID, generation: str, view: str, body: bytes) -> bool:
        """Store a response unless it is over the entry cap; True when stored."""
        if len(body) > self.max_entry_bytes:
            return False
        return await self.cache.set(self._key(scope, generation, view), body, self.ttl)

    def may_hold(self, page: PageView) -> bool:
        """Whether a page of this size is ever cached (a look-up for another is a sure miss)."""
        return page.limit in self.page_sizes

    async def is_issued(self, scope: uuid.UUID, generation: str, page: PageView) -> bool:
        """Whether this page may be stored: a cached size, and no cursor or an issued one."""
        if not self.may_hold(page):
            return False
        if page.cursor is None:
            return True
        marker = await self.cache.get(self._key(scope, generation, f"issued:{page.key}"))
        return marker is not None

    async def issue(self, scope: uuid.UUID, generation: str, page: PageView) -> None:
        """Record that the server handed out `page`'s cursor under this generation."""
        await self.cache.set(self._key(scope, generation, f"issued:{page.key}"), ISSUED, self.ttl)
