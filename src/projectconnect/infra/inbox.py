"""Consuming events: the inbox that makes redelivery harmless, and dispatch by type and version."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import ClassVar

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from projectconnect.infra import metrics
from projectconnect.infra.db import UTCDateTime
from projectconnect.infra.events import Envelope

logger = logging.getLogger(__name__)

Handler = Callable[[Envelope], Awaitable[None]]


class InboxColumns:
    """One row per handled event id, written in the same transaction as the effect."""

    __tablename__: ClassVar[str] = "inbox"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    handled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Dispatcher:
    """Routes an envelope to the handler registered for its type and version."""

    def __init__(self) -> None:
        self._handlers: dict[tuple[str, int], Handler] = {}

    def register(self, event_type: str, version: int, handler: Handler) -> None:
        self._handlers[(event_type, version)] = handler

    async def dispatch(self, envelope: Envelope) -> None:
        handler = self._handlers.get((envelope.type, envelope.version))
        if handler is None:
            # Visible, not fatal: a newer producer may speak a version we do not know yet.
            logger.warning(
                "ignoring event %s: no handler for %s v%d",
                envelope.id,
                envelope.type,
                envelope.version,
            )
            metrics.EVENTS_CONSUMED.labels(type=envelope.type, outcome="ignored").inc()
            return
        try:
            await handler(envelope)
        except Exception:
            metrics.HANDLER_FAILURES.labels(type=envelope.type).inc()
            raise
        metrics.EVENTS_CONSUMED.labels(type=envelope.type, outcome="handled").inc()
