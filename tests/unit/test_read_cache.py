"""The owner read cache's switch: off, every read is told to go to the database."""

from __future__ import annotations

import uuid

from projectconnect.infra.cache import MemoryCache
from projectconnect.projects.cache import OwnerReadCache


async def test_a_disabled_read_cache_hands_out_no_generation() -> None:
    owner = uuid.uuid4()
    enabled = OwnerReadCache(MemoryCache(), ttl=60)
    disabled = OwnerReadCache(MemoryCache(), ttl=60, enabled=False)

    generation = await enabled.generation(owner)
    assert generation is not None
    assert await enabled.generation(owner) == generation
    assert await disabled.generation(owner) is None
    await disabled.invalidate(owner)
    assert await disabled.generation(owner) is None
