"""The in-process bus of the embedded mode: the outbox relay hands events straight to handlers."""

from __future__ import annotations

import asyncio
import logging

from projectconnect.infra import metrics
from projectconnect.infra.events import Envelope
from projectconnect.infra.inbox import Dispatcher

logger = logging.getLogger(__name__)


class InProcessBus:
    """Publishing runs the handler; it retries a bounded number of times, then dead-letters.

    Dead letters are kept in memory and logged at error level with the event id.
    """

    def __init__(
        self, dispatcher: Dispatcher, *, max_attempts: int = 5, retry_delay: float = 0.1
    ) -> None:
        self.dispatcher = dispatcher
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay

    async def publish(self, envelope: Envelope) -> None:
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self.dispatcher.dispatch(envelope)
                return
            except Exception:
                logger.warning(
                    "handler failed for event %s (attempt %d/%d)",
                    envelope.id,
                    attempt,
                    self.max_attempts,
                    exc_info=True,
                )
                if attempt < self.max_attempts:
                    await asyncio.sleep(self.retry_delay * attempt)
        metrics.EVENTS_DEAD_LETTERED.labels(type=envelope.type).inc()
        logger.error("event %s (%s) dead-lettered", envelope.id, envelope.type)
