"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from projectconnect.infra.db import Database
from projectconnect.projects.models import Base


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """The projects schema in a SQLite file of the test's own."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'projects.db'}")
    async with database.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    try:
        yield database
    finally:
        await database.dispose()
