"""The in-process bus of the embedded mode: the outbox relay hands events straight to handlers."""

from __future__ import annotations

import asyncio
import logging

from projectconnect.infra import faults, metrics
from projectconnect.infra.events import Envelope
from projectconnect.infra.inbox import Dispatcher

logger = logging.getLogger(__name__)


class InProcessBus:
    """Publishing runs the handler, with the consumer's policy on failures.

    A transient failure (a database busy or away) is raised back to the outbox relay, which
    keeps the event and tries again with its backoff, for as long as it takes. A permanent
    one is dead-lettered at once; anything else is retried a bounded number of times, with
    growing delays, then dead-lettered. Dead letters are logged at error level with the
    event id and counted.
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
            except Exception as exc:
                if faults.transient(exc):
                    metrics.EVENTS_RETRIED.labels(type=envelope.type, reason="transient").inc()
                    raise  # the outbox keeps it; the relay backs off and publishes it again
                if faults.permanent(exc):
                    logger.error("event %s can never be handled: %s", envelope.id, exc)
                    break
                logger.warning(
                    "handler failed for event %s (attempt %d/%d)",
                    envelope.id,
                    attempt,
                    self.max_attempts,
                    exc_info=True,
                )
                if attempt < self.max_attempts:
                    metrics.EVENTS_RETRIED.labels(type=envelope.type, reason="unknown").inc()
                    await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))
        metrics.EVENTS_DEAD_LETTERED.labels(type=envelope.type).inc()
        logger.error("event %s (%s) dead-lettered", envelope.id, envelope.type)
