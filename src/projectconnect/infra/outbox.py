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

from opentelemetry.trace import SpanKind
from sqlalchemy import Index, String, Text, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from projectconnect.infra import metrics, tracing
from projectconnect.infra.db import Database, UTCDateTime, utcnow
from projectconnect.infra.events import Envelope

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "projectconnect_outbox"


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
        """Call after the transaction committed: a relay in this process wakes at once."""
        self.committed.set()


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
        max_backoff: float = 30.0,
        retention: dt.timedelta = dt.timedelta(days=7),
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

    async def relay_once(self) -> tuple[int, int]:
        """Publish one claimed batch; (published, failed)."""
        published = failed = 0
        for row in await self.claim():
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
                await self._mark(row.id, claimed_until=None, last_error=repr(exc)[:500])
                break  # keep order: the rest of the batch waits for the next attempt
            await self._mark(row.id, published_at=utcnow(), claimed_until=None, last_error=None)
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
        metrics.OUTBOX_BACKLOG.set(count)
        metrics.OUTBOX_OLDEST_AGE.set((utcnow() - oldest).total_seconds() if oldest else 0.0)

    async def prune(self) -> None:
        async with self.db.session() as session:
            await session.execute(
                self.model.__table__.delete().where(  # type: ignore[attr-defined]
                    self.model.published_at < utcnow() - self.retention
                )
            )
            await session.commit()

    async def run(self) -> None:
        """Relay until cancelled: at once after a commit, with backoff while the bus is down."""
        listener = asyncio.create_task(self._forward_local_commits())
        pg_listener = await self._listen_postgres()
        backoff = 0.0
        cycles = 0
        try:
            while True:
                try:
                    published, failed = await self.relay_once()
                    if cycles % 60 == 0:
                        await self.observe_backlog()
                        await self.prune()
                    cycles += 1
                except Exception:  # the database itself failed; keep the relay alive
                    logger.exception("outbox relay cycle failed")
                    published, failed = 0, 1
                if failed:
                    backoff = min(self.max_backoff, max(0.2, backoff * 2))
                    await asyncio.sleep(backoff * random.uniform(0.5, 1.0))  # noqa: S311
                    continue
                backoff = 0.0
                if published:
                    continue  # more may be waiting
                await self.observe_backlog()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle_poll)
                self._wake.clear()
        finally:
            listener.cancel()
            if pg_listener is not None:
                await pg_listener.close()

    async def _forward_local_commits(self) -> None:
        while True:
            await self.outbox.committed.wait()
            self.outbox.committed.clear()
            self._wake.set()

    async def _listen_postgres(self) -> Any | None:
        """LISTEN on the outbox channel so a commit in another process wakes this relay."""
        if self.db.engine.dialect.name != "postgresql":
            return None
        import asyncpg

        url = self.db.engine.url.set(drivername="postgresql")
        try:
            connection = await asyncpg.connect(url.render_as_string(hide_password=False))
        except (OSError, asyncpg.PostgresError):
            logger.warning("cannot LISTEN for outbox commits; polling only", exc_info=True)
            return None
        await connection.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        return connection
