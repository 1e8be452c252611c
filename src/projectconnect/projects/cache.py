"""Read caches by scope, invalidated exactly by generation and fenced across replicas.

A scope is a set of responses that change together:

- a person's view (`person_scope`): their memberships (the `acl` entry, what the cached
  reads check membership against) and their lists of projects. A change of their
  memberships touches it, and so does any change shown in their lists, in any workspace
  they belong to: a write fans out to every member's view in one round trip, so every
  member reads every member's write.
- a project (`project_scope`): the project and its pages of tasks, shared by all its
  workspace's members. Each entry carries its workspace id, and a reader is served only
  when their `acl` (read in the same round trip) gives them a role there.

Every cached read of a scope lives under a key that carries the scope's current
generation. A write fences each scope it touches before it commits (the generation becomes
a marker that tells every replica to leave the cache alone), and replaces the fence with a
new random generation after. A reader that read the database before the write can only
store what it read under a generation no later reader looks at. When the new generation
cannot be written (a Redis error), the fence stays until it expires, and no replica serves
the scope from the cache meanwhile; when the fence itself cannot be written, the write is
refused before it commits (503), so a replica that cannot reach Redis never leaves the
others serving what it changed.

What a client can name cannot grow the cache: keys are canonical (ids as the server writes
them, page sizes from a small set) and a page after a cursor is stored only when that
cursor was the `next_cursor` of a page of the same list and size under the same
generation. A response bigger than the entry cap is served, not stored.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from projectconnect.infra.cache import Cache, CacheUnavailable, Derived
from projectconnect.infra.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# Generations outlive the cached values they guard by a wide margin.
GENERATION_TTL = 7 * 24 * 3600
# A fence outlives any write transaction: once it expires, readers read what committed.
DEFAULT_FENCE_SECONDS = 60.0
DEFAULT_MAX_ENTRY_BYTES = 256 * 1024
DEFAULT_PAGE_SIZES = frozenset({DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE})
FENCE = b"~"
ISSUED = b"1"


def person_scope(user_id: uuid.UUID) -> str:
    return f"person:{user_id}"


def project_scope(project_id: uuid.UUID) -> str:
    return f"project:{project_id}"


def canonical_id(value: str) -> str | None:
    """An id as the server writes it, or None for one that cannot name anything."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class PageView:
    """One page of a list (`list:*`, `list:{workspace}`, `tasks`): its size, where it starts."""

    listing: str
    limit: int
    cursor: str | None = None

    @property
    def key(self) -> str:
        return f"{self.listing}:{self.limit}:{self.cursor or ''}"

    def after(self, cursor: str) -> PageView:
        return PageView(self.listing, self.limit, cursor)


def encode_acl(roles: Mapping[uuid.UUID, str]) -> bytes:
    return "\n".join(f"{workspace}={role}" for workspace, role in roles.items()).encode()


def decode_acl(value: bytes) -> dict[str, str]:
    """Workspace id → role, as `encode_acl` wrote them."""
    return dict(line.split("=", 1) for line in value.decode().splitlines() if line)


def tag(workspace_id: uuid.UUID, body: bytes) -> bytes:
    """A shared entry: the workspace it belongs to, then the response."""
    return str(workspace_id).encode() + b"\n" + body


def untag(value: bytes) -> tuple[str, bytes]:
    workspace, _, body = value.partition(b"\n")
    return workspace.decode(), body


def role_for(acl: bytes, entry: bytes) -> tuple[str | None, bytes]:
    """A shared entry read with a caller's memberships: their role in the entry's workspace
    (None: not a member, the entry is not theirs to see), and its body."""
    workspace, body = untag(entry)
    return decode_acl(acl).get(workspace), body


class ReadCache:
    def __init__(
        self,
        cache: Cache,
        *,
        ttl: float,
        enabled: bool = True,
        max_entry_bytes: int = DEFAULT_MAX_ENTRY_BYTES,
        page_sizes: Collection[int] = DEFAULT_PAGE_SIZES,
        fence_seconds: float = DEFAULT_FENCE_SECONDS,
    ) -> None:
        self.cache = cache
        self.ttl = ttl
        # Off: every read goes to the database (diagnosis, benchmarks of the database path).
        self.enabled = enabled
        self.max_entry_bytes = max_entry_bytes
        self.page_sizes = frozenset(page_sizes)
        self.fence_seconds = fence_seconds

    @staticmethod
    def _generation_key(scope: str) -> str:
        return f"{scope}:gen"

    async def generations(self, scopes: Sequence[str]) -> list[str | None]:
        """Each scope's current generation (one round trip when all exist), or None for a
        scope that may not be served from the cache now (fenced, or the cache is away)."""
        if not self.enabled:
            return [None] * len(scopes)
        values = await self.cache.get_many([self._generation_key(s) for s in scopes])
        found: list[str | None] = []
        for scope, value in zip(scopes, values, strict=True):
            if value is None:
                value = await self._start(scope)
            found.append(None if value is None or value.startswith(FENCE) else value.decode())
        return found

    async def _start(self, scope: str) -> bytes | None:
        key = self._generation_key(scope)
        new = secrets.token_hex(8).encode()
        if await self.cache.set(key, new, GENERATION_TTL, only_if_absent=True):
            return new
        return await self.cache.get(key)  # another reader, or a writer's fence, came first

    async def fence(self, scopes: Iterable[str]) -> None:
        """Before a write to `scopes` commits: raises CacheUnavailable when it cannot."""
        if not self.enabled:
            return
        marker = FENCE + secrets.token_hex(8).encode()
        fences = {self._generation_key(scope): marker for scope in scopes}
        if not await self.cache.set_many(fences, self.fence_seconds, strict=True):
            raise RuntimeError("the cache did not store the fences")

    async def renew(self, scopes: Iterable[str]) -> None:
        """After the write committed: new generations (or the fences stay until they expire)."""
        if not self.enabled:
            return
        fresh = {self._generation_key(s): secrets.token_hex(8).encode() for s in scopes}
        # Tried even while reads skip a Redis that just failed: it ends the fences.
        with contextlib.suppress(CacheUnavailable):
            await self.cache.set_many(fresh, GENERATION_TTL, strict=True)

    @staticmethod
    def _key(scope: str, generation: str, view: str) -> str:
        return f"{scope}:{generation}:{view}"

    async def get_many(self, entries: Sequence[tuple[str, str, str]]) -> list[bytes | None]:
        """Entries by (scope, generation, view), in one round trip."""
        return await self.cache.get_many([self._key(*entry) for entry in entries])

    async def fetch(
        self, views: Sequence[tuple[str, str]], *, also: Sequence[str] = ()
    ) -> tuple[list[bytes | None], list[bytes | None]]:
        """The values of the cache's keys `also`, and each (scope, view)'s entry under the
        scope's current generation, in one round trip. An entry reads None when it is not
        there, and when its scope has no generation yet or is fenced (a request that will
        read the database starts or waits for it)."""
        derived = [
            Derived(self._generation_key(scope), f"{scope}:", f":{view}") for scope, view in views
        ]
        values, found = await self.cache.fetch(also, derived, FENCE)
        return values, [entry for _, entry in found]

    async def get(self, scope: str, generation: str, view: str) -> bytes | None:
        return await self.cache.get(self._key(scope, generation, view))

    async def put(self, scope: str, generation: str, view: str, body: bytes) -> bool:
        """Store a response unless it is over the entry cap; True when stored."""
        if len(body) > self.max_entry_bytes:
            return False
        return await self.cache.set(self._key(scope, generation, view), body, self.ttl)

    def may_hold(self, page: PageView) -> bool:
        """Whether a page of this size is ever cached (a look-up for another is a sure miss)."""
        return page.limit in self.page_sizes

    async def is_issued(self, scope: str, generation: str, page: PageView) -> bool:
        """Whether this page may be stored: a cached size, and no cursor or an issued one."""
        if not self.may_hold(page):
            return False
        if page.cursor is None:
            return True
        marker = await self.cache.get(self._key(scope, generation, f"issued:{page.key}"))
        return marker is not None

    async def issue(self, scope: str, generation: str, page: PageView) -> None:
        """Record that the server handed out `page`'s cursor under this generation."""
        await self.cache.set(self._key(scope, generation, f"issued:{page.key}"), ISSUED, self.ttl)
