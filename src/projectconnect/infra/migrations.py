"""Alembic, driven from code: each service has its own migration tree and version table."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from projectconnect.infra.db import UTCDateTime


@dataclass(frozen=True, slots=True)
class MigrationTree:
    """Where a service's migrations live, and the table that records which have run."""

    name: str
    script_location: Path
    version_table: str
    metadata: MetaData
    # Schema objects the migrations keep that the models do not describe (full-text index
    # tables, generated columns and their indexes): left out of every comparison.
    unmodelled: frozenset[str] = frozenset()

    def include_name(self, name: str | None, type_: str, parent_names: Any) -> bool:
        """Alembic's `include_name` hook: whether a reflected object is compared."""
        return name not in self.unmodelled

    def config(self, database_url: str) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(self.script_location))
        # Alembic's config is an INI file: a literal % must be doubled.
        cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
        cfg.attributes["tree"] = self
        return cfg


def _run(cfg: Config, action: str, revision: str) -> None:
    if action == "upgrade":
        command.upgrade(cfg, revision)
    else:
        command.downgrade(cfg, revision)


async def upgrade(tree: MigrationTree, database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`; Alembic runs in a thread with its own event loop."""
    await asyncio.to_thread(_run, tree.config(database_url), "upgrade", revision)


async def downgrade(tree: MigrationTree, database_url: str, revision: str = "base") -> None:
    await asyncio.to_thread(_run, tree.config(database_url), "downgrade", revision)


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations are frozen history: they name plain SQLAlchemy types, not our decorators.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure_and_run(connection: Connection, tree: MigrationTree) -> None:
    from alembic import context

    context.configure(
        connection=connection,
        target_metadata=tree.metadata,
        version_table=tree.version_table,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
        include_name=tree.include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str, tree: MigrationTree) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure_and_run, tree)
            await connection.commit()
    finally:
        await engine.dispose()


def run_env() -> None:
    """The body of every service's migrations/env.py."""
    from alembic import context

    tree: MigrationTree = context.config.attributes["tree"]
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    asyncio.run(_run_online(url, tree))
