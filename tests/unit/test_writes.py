"""The write unit's commit: a row removed by another write while this one changed it.

On SQLite in a temporary file, with the unit itself: the race is made, not hoped for.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete

from projectconnect.infra.cache import MemoryCache
from projectconnect.infra.db import Database
from projectconnect.infra.feed import MemoryFeed
from projectconnect.infra.problems import NotFound
from projectconnect.projects.cache import ReadCache
from projectconnect.projects.live import Publisher
from projectconnect.projects.models import Label, Workspace
from projectconnect.projects.writes import Writes


async def test_changing_a_row_another_write_removed_meanwhile_is_a_404(db: Database) -> None:
    workspace = Workspace(id=uuid.uuid4(), name="Team", created_by=uuid.uuid4())
    label = Label(id=uuid.uuid4(), workspace_id=workspace.id, name="Bug", colour="#aa0000")
    async with db.session() as session:
        session.add(workspace)
        await session.flush()
        session.add(label)
        await session.commit()

    writes = Writes(db, ReadCache(MemoryCache(), ttl=60), Publisher(MemoryFeed()))

    async def rename_while_another_write_removes_it() -> None:
        async with writes.open(None) as unit:
            found = await unit.session.get(Label, label.id)
            assert found is not None
            async with db.session() as other:  # another write, committed in between
                await other.execute(delete(Label).where(Label.id == label.id))
                await other.commit()
            found.name = "Defect"

    with pytest.raises(NotFound):
        await rename_while_another_write_removes_it()

    async with db.session() as session:
        assert await session.get(Label, label.id) is None
