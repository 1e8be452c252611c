"""The transactional outbox: events written with the change that caused them, then relayed.

A row is claimed with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several relays
share the work), published with broker confirms, and marked sent only after the confirm.
A relay that dies leaves its lease to expire and another takes the row back.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import asyncpg
from opentelemetry.trace import SpanKind
from prometheus_client import Gauge
from sqlalchemy import Index, String, Text, delete, event, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from projectconnect.infra import metrics, tracing
from projectconnect.infra.db import Database, UTCDateTime, utcnow
from projectconnect.infra.events import Envelope

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "projectconnect_outbox"
# `Session.info` key: the outboxes a transaction wrote to, whose relays wake on its commit.
_WRITTEN = "projectconnect.outboxes_written"


class OutboxColumns:
    """Columns of an outbox table; a service maps it onto its own metadata."""

    __tablename__: ClassVar[str] = "outbox"
    __table_args__: ClassVar[tuple[Any, ...]] = (
        Index("ix_outbox_pending", "published_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # W3C trace context of the request that caused the event, so the trace goes on.
    trace_context: Mapped[str | None] = mapped_column(String(1000))


class EventPublisher(Protocol):
    async def publish(self, envelope: Envelope) -> None:
        """Return once the bus holds the event durably; raise if it does not."""


class Outbox:
    """Writes events into the caller's transaction and wakes the relay after commit."""

    def __init__(self, model: type[OutboxColumns]) -> None:
        self.model = model
        self.committed = asyncio.Event()

    async def add(self, session: AsyncSession, envelope: Envelope) -> None:
        """Write the event into the caller's transaction; its commit wakes this process's relay."""
        session.info.setdefault(_WRITTEN, set()).add(self)
        session.add(
            self.model(  # type: ignore[call-arg]
                id=envelope.id,
                type=envelope.type,
                payload=envelope.model_dump_json(),
                created_at=envelope.occurred_at,
                attempts=0,
                trace_context=tracing.current_context_json(),
            )
        )
        if session.get_bind().dialect.name == "postgresql":
            # Delivered on commit to every relay listening, in any process.
            await session.execute(
                text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL}
            )

    def notify_committed(self) -> None:
        """A relay in this process wakes at once (done for every commit that wrote here)."""
        self.committed.set()


@event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: nothing is visible to the relay yet
    for outbox in session.info.pop(_WRITTEN, ()):
        outbox.notify_committed()


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        publisher: EventPublisher,
        *,
        batch_size: int = 100,
        lease: dt.timedelta = dt.timedelta(seconds=30),
        idle_poll: float = 5.0,
        max_backoff: float = 2.0,
        retention: dt.timedelta = dt.timedelta(days=7),
        listen_check_interval: float = 10.0,
        listen_timeout: float = 5.0,
        max_listen_backoff: float = 2.0,
        keep_published: bool = True,
        backlog_gauges: tuple[Gauge, Gauge] = (metrics.OUTBOX_BACKLOG, metrics.OUTBOX_OLDEST_AGE),
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.model = outbox.model
        self.publisher = publisher
        self.batch_size = batch_size
        self.lease = lease
        self.idle_poll = idle_poll
        self.max_backoff = max_backoff
        self.retention = retention
        self.listen_check_interval = listen_check_interval
        self.listen_timeout = listen_timeout
        self.max_listen_backoff = max_listen_backoff
        # False: a row is deleted once published, not kept for `retention` (mail messages,
        # whose links work once and must not linger in the database).
        self.keep_published = keep_published
        self.backlog_gauges = backlog_gauges
        self._wake = asyncio.Event()

    async def claim(self) -> Sequence[OutboxColumns]:
        """Lease a batch of unpublished rows that no live relay holds."""
        model = self.model
        now = utcnow()
        async with self.db.session() as session:
            pending = (
                select(model.id)
                .where(
                    model.published_at.is_(None),
                    (model.claimed_until.is_(None)) | (model.claimed_until < now),
                )
                .order_by(model.created_at)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )
            ids = list((await session.scalars(pending)).all())
            if not ids:
                return []
            await session.execute(
                update(model)
                .where(model.id.in_(ids))
                .values(claimed_until=now + self.lease, attempts=model.attempts + 1)
            )
            rows = (
                await session.scalars(
                    select(model).where(model.id.in_(ids)).order_by(model.created_at)
                )
            ).all()
            await session.commit()
        return rows

    async def _mark(self, row_id: uuid.UUID, **values: Any) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(self.model).where(self.model.id == row_id).values(**values)
            )
            await session.commit()

    async def _forget(self, row_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            await session.execute(delete(self.model).where(self.model.id == row_id))
            await session.commit()

    async def _release(self, row_ids: Sequence[uuid.UUID], error: str) -> None:
        """Give rows back at once, so the next attempt starts again from the oldest."""
        async with self.db.session() as session:
            await session.execute(
                update(self.model)
                .where(self.model.id.in_(row_ids), self.model.published_at.is_(None))
                .values(claimed_until=None, last_error=error)
            )
            await session.commit()

    async def relay_once(self) -> tuple[int, int]:
        """Publish one claimed batch; (published, failed)."""
        published = failed = 0
        rows = await self.claim()
        for index, row in enumerate(rows):
            envelope = Envelope.model_validate_json(row.payload)
            try:
                with tracing.tracer.start_as_current_span(
                    f"outbox publish {envelope.type}",
                    context=tracing.context_from_json(row.trace_context),
                    kind=SpanKind.PRODUCER,
                    attributes={"messaging.message.id": str(envelope.id)},
                ):
                    await self.publisher.publish(envelope)
            except Exception as exc:  # the broker said no or did not answer: retry later
                failed += 1
                metrics.PUBLISH_FAILURES.labels(reason=type(exc).__name__).inc()
                logger.warning("publish of event %s failed: %r", envelope.id, exc)
                # Keep order: this row and every later one of the batch wait for the next
                # attempt together; a lease left on them would let newer rows overtake.
                await self._release([r.id for r in rows[index:]], repr(exc)[:500])
                break
            if self.keep_published:
                await self._mark(row.id, published_at=utcnow(), claimed_until=None, last_error=None)
            else:
                await self._forget(row.id)
            metrics.EVENTS_PUBLISHED.labels(type=envelope.type).inc()
            published += 1
        return published, failed

    async def observe_backlog(self) -> None:
        model = self.model
        async with self.db.session() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(model.created_at)).where(
                        model.published_at.is_(None)
                    )
                )
            ).one()
        backlog, oldest_age = self.backlog_gauges
        backlog.set(count)
        oldest_age.set((utcnow() - oldest).total_seconds() if oldest else 0.0)

    async def prune(self) -> None:
        async with self.db.session() as session:
            await session.execute(
                self.model.__table__.delete().where(  # type: ignore[attr-defined]
                    self.model.published_at < utcnow() - self.retention
                )
            )
            await session.commit()

    async def run(self) -> None:
        """Relay until cancelled: at once after a commit, with backoff while something is down."""
        listener = asyncio.create_task(self._forward_local_commits())
        pg_listener = (
            asyncio.create_task(self._listen_postgres())
            if self.db.engine.dialect.name == "postgresql"
            else None
        )
        backoff = 0.0
        cycles = 0
        try:
            while True:
                database_failed = False
                try:
                    published, failed = await self.relay_once()
                    if cycles % 60 == 0:
                        await self.observe_backlog()
                        await self.prune()
                    cycles += 1
                    if not published and not failed:
                        await self.observe_backlog()
                except Exception:  # the database itself failed; keep the relay alive
                    logger.exception("outbox relay cycle failed")
                    published, failed, database_failed = 0, 1, True
                if failed:
                    backoff = min(self.max_backoff, max(0.2, backoff * 2))
                    pause = backoff * random.uniform(0.5, 1.0)  # noqa: S311
                    if database_failed:
                        # A wake-up (a commit, LISTEN re-established) says the database is
                        # back: go at once rather than sleep the backoff out.
                        await self._idle(pause)
                    else:
                        await asyncio.sleep(pause)
                    continue
                backoff = 0.0
                if published:
                    continue  # more may be waiting
                await self._idle(self.idle_poll)
        finally:
            for task in (listener, pg_listener):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    async def _idle(self, seconds: float) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
        # that arrives as the wake-up does, and the relay would outlive its shutdown.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()

    async def _forward_local_commits(self) -> None:
        while True:
            await self.outbox.committed.wait()
            self.outbox.committed.clear()
            self._wake.set()

    async def _listen_postgres(self) -> None:
        """LISTEN on the outbox channel so a commit in another process wakes this relay.

        The connection is watched (closed by the server, or silent for a health check) and
        made again with backoff after the database comes back; each new LISTEN wakes the
        relay once, for the commits it could not hear meanwhile.
        """
        url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        backoff = 0.0
        while True:
            try:
                await self._listen_until_lost(url)
                backoff = 0.0
                logger.warning("lost the LISTEN connection for outbox commits; reconnecting")
            except Exception as exc:  # whatever broke the connection, make a new one
                logger.warning("cannot LISTEN for outbox commits (%r); polling meanwhile", exc)
            backoff = min(self.max_listen_backoff, max(0.2, backoff * 2))
            await asyncio.sleep(backoff * random.uniform(0.5, 1.0))  # noqa: S311

    async def _listen_until_lost(self, url: str) -> None:
        connection = await asyncpg.connect(url, timeout=self.listen_timeout)
        try:
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _: lost.set())
            await connection.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
            metrics.OUTBOX_LISTENING.set(1)
            logger.info("listening for outbox commits")
            self._wake.set()  # for the commits made while no one listened
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.listen_check_interval):
                        await lost.wait()
                if not lost.is_set():  # a server gone silent shows only when asked
                    await connection.execute("SELECT 1", timeout=self.listen_timeout)
        finally:
            metrics.OUTBOX_LISTENING.set(0)
            connection.terminate()
