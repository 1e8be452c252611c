"""Async database plumbing: engines for PostgreSQL and SQLite, sessions, column types."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, DateTime, MetaData, String, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, ORMExecuteState, Session, UOWTransaction
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from projectconnect.infra import metrics, tracing

if TYPE_CHECKING:
    from prometheus_client import Counter

# Stable constraint names keep Alembic migrations identical on PostgreSQL and SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on every backend.

    SQLite keeps no zone, so values are stored as naive UTC there and made aware on read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# SQLite's own lower() folds ASCII only; this one (`unicode_lower` below) folds as
# PostgreSQL's lower() does, for case-insensitive filters on names and titles.
SQLITE_LOWER = "pc_lower"


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.create_function(SQLITE_LOWER, 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class unicode_lower(FunctionElement[str]):
    """lower() of a text: PostgreSQL's, or on SQLite one that folds beyond ASCII."""

    name = "unicode_lower"
    type = String()
    inherit_cache = True


@compiles(unicode_lower)
def _lower(element: unicode_lower, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(unicode_lower, "sqlite")
def _sqlite_lower(element: unicode_lower, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_LOWER}({compiler.process(element.clauses, **kw)})"


def contains_text(
    column: ColumnElement[str] | InstrumentedAttribute[str], text: str
) -> ColumnElement[bool]:
    """Whether `column` contains `text`, ignoring case (`%` and `_` are plain characters)."""
    return unicode_lower(column).contains(text.lower(), autoescape=True)


class StatementCount:
    """SQL statements run on behalf of one request (a test and benchmark hook)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


statement_count: ContextVar[StatementCount | None] = ContextVar("statement_count", default=None)


def _statement_counter(total: Counter) -> Callable[..., None]:
    """Counts each statement in the pool's total and in the current request's tally."""

    def count(*_: Any) -> None:
        total.inc()
        counter = statement_count.get()
        if counter is not None:
            counter.value += 1

    return count


class TimedPool(AsyncAdaptedQueuePool):
    """The default async pool, timing how long each checkout waited for a connection."""

    def _do_get(self) -> ConnectionPoolEntry:
        started = time.perf_counter()
        try:
            return super()._do_get()
        finally:
            metrics.DB_POOL_WAIT.labels(pool=self.logging_name or "default").observe(
                time.perf_counter() - started
            )


CONNECT_TIMEOUT_SECONDS = 5.0
# How long a request waits for a pooled connection before it is answered 503 with
# Retry-After (`faults.unreachable`): under more load than the pool serves, shed the excess
# in a second rather than queue it past a client's or the gateway's timeout (reads: 1.5 s).
POOL_TIMEOUT_SECONDS = 1.0


def _replace_closed(
    dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    """A pooled connection the server or the network closed (the database went away and
    came back) is dropped at checkout, and the pool hands out a new one, so the first
    request after an outage succeeds. Costs no round trip: asyncpg knows its socket
    closed. A connection that breaks without the client noticing fails its statement
    once and is then invalidated as a disconnect."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the pooled connection was closed")


def create_engine(
    url: str,
    *,
    name: str = "default",
    pool_size: int = 10,
    pool_timeout: float = POOL_TIMEOUT_SECONDS,
    echo: bool = False,
) -> AsyncEngine:
    engine = _create_engine(
        url, name=name, pool_size=pool_size, pool_timeout=pool_timeout, echo=echo
    )
    count = _statement_counter(metrics.DB_STATEMENTS.labels(pool=name))
    event.listen(engine.sync_engine, "before_cursor_execute", count)
    in_use = metrics.DB_POOL_IN_USE.labels(pool=name)
    event.listen(engine.sync_engine.pool, "checkout", lambda *_: in_use.inc())
    event.listen(engine.sync_engine.pool, "checkin", lambda *_: in_use.dec())
    return engine


def _create_engine(
    url: str, *, name: str, pool_size: int, pool_timeout: float, echo: bool
) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            echo=echo,
            poolclass=TimedPool,
            pool_logging_name=name,
            pool_size=pool_size,
            pool_timeout=pool_timeout,
            # Errors are logged; the values bound to a statement (emails, names) must not be.
            hide_parameters=True,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        poolclass=TimedPool,
        pool_logging_name=name,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout,
        hide_parameters=True,  # as on SQLite
        pool_recycle=1800,
        # An unreachable host fails in seconds (503), not after asyncpg's default minute.
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
    )
    # Instead of a ping per checkout (three round trips: BEGIN, a statement, ROLLBACK).
    event.listen(engine.sync_engine.pool, "checkout", _replace_closed)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class ReadOnlySession(Session):
    """The session of `Database.reading`: it runs SELECTs and nothing else."""


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    raise RuntimeError("a reading session does not write: use the unit of work")


@event.listens_for(ReadOnlySession, "do_orm_execute")
def _refuse_writes(state: ORMExecuteState) -> None:
    if not state.is_select:
        raise RuntimeError("a reading session runs SELECTs only: use the unit of work")


def reader_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for reads. On PostgreSQL each statement runs in its own implicit
    transaction: no BEGIN and ROLLBACK around a one-statement read, two round trips
    fewer, and under READ COMMITTED each statement saw its own snapshot anyway. SQLite
    keeps its transaction: there, one read snapshot across the statements is free."""
    bind = engine
    if engine.dialect.name == "postgresql":
        bind = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(
        bind, expire_on_commit=False, autoflush=False, sync_session_class=ReadOnlySession
    )


class Database:
    """One service's database: its engine and the sessions it hands out."""

    def __init__(
        self,
        url: str,
        *,
        name: str = "default",
        pool_size: int = 10,
        pool_timeout: float = POOL_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url
        self.engine = create_engine(url, name=name, pool_size=pool_size, pool_timeout=pool_timeout)
        tracing.instrument_engine(self.engine)
        self.sessions = session_factory(self.engine)
        # A session for a request that only reads (`reader_factory`); writes go through the
        # unit of work, which holds one transaction.
        self.reading = reader_factory(self.engine)
        # SQLite has one writer at a time, and its busy handler polls with growing sleeps:
        # with many writers waiting, one can miss every turn until busy_timeout (5 s) and
        # fail. The process's writers take their turns here instead, in arrival order; the
        # busy timeout is left for other processes (the CLI) on the same file.
        self._writer_turns = asyncio.Lock() if url.startswith("sqlite") else None

    @asynccontextmanager
    async def writer_turn(self) -> AsyncIterator[None]:
        """Held around a write transaction: on SQLite, this process's writers queue here in
        order; on PostgreSQL, where writers run side by side, it is nothing."""
        async with self._writer_turns or contextlib.nullcontext():
            yield

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction rolls back unless the caller committed."""
        async with self.sessions() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
