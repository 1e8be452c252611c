"""RabbitMQ: the topology, a confirming publisher and a consumer that survives reconnects.

Topology (for namespace `ns`):
  exchange `ns.events` (topic, durable) ──routing key = event type──► queue `ns.<service>`
  (quorum, durable) ──rejected or over the delivery limit──► exchange `ns.events.dlx`
  (topic, durable) ──► queue `ns.<service>.dead`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from pydantic import ValidationError

from projectconnect.infra import metrics
from projectconnect.infra.events import Envelope
from projectconnect.infra.inbox import Dispatcher

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QueueSpec:
    service: str
    event_types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Topology:
    namespace: str = "projectconnect"
    queues: tuple[QueueSpec, ...] = field(
        default_factory=lambda: (QueueSpec("projects", ("user.deleted",)),)
    )
    # The broker's own backstop for a consumer that dies mid-message, again and again.
    delivery_limit: int = 20

    @property
    def exchange(self) -> str:
        return f"{self.namespace}.events"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.namespace}.events.dlx"

    def queue(self, service: str) -> str:
        return f"{self.namespace}.{service}"

    def dead_letter_queue(self, service: str) -> str:
        return f"{self.namespace}.{service}.dead"

    async def declare(
        self, channel: AbstractChannel, services: Iterable[str] | None = None
    ) -> dict[str, AbstractQueue]:
        """Idempotently declare the exchanges and the queues of `services` (default: all).

        Returns each service's queue; on a robust channel these are the objects that get
        re-declared, re-bound and re-consumed after a reconnect.
        """
        declared: dict[str, AbstractQueue] = {}
        wanted = set(services) if services is not None else {q.service for q in self.queues}
        exchange = await channel.declare_exchange(
            self.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        dlx = await channel.declare_exchange(
            self.dead_letter_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        for spec in self.queues:
            if spec.service not in wanted:
                continue
            dead = await channel.declare_queue(
                self.dead_letter_queue(spec.service),
                durable=True,
                arguments={"x-queue-type": "quorum"},
            )
            await dead.bind(dlx, routing_key="#")
            queue = await channel.declare_queue(
                self.queue(spec.service),
                durable=True,
                arguments={
                    "x-queue-type": "quorum",
                    "x-dead-letter-exchange": self.dead_letter_exchange,
                    "x-delivery-limit": self.delivery_limit,
                },
            )
            for event_type in spec.event_types:
                await queue.bind(exchange, routing_key=event_type)
            declared[spec.service] = queue
        return declared

    async def delete(self, channel: AbstractChannel) -> None:
        """Remove everything `declare` made (tests, teardown of a namespace)."""
        for spec in self.queues:
            await channel.queue_delete(self.queue(spec.service))
            await channel.queue_delete(self.dead_letter_queue(spec.service))
        await channel.exchange_delete(self.exchange)
        await channel.exchange_delete(self.dead_letter_exchange)


async def declare_topology(url: str, topology: Topology) -> None:
    connection = await aio_pika.connect(url, timeout=10)
    async with connection:
        await topology.declare(await connection.channel())


class RabbitPublisher:
    """Publishes persistent messages and waits for the broker's confirm.

    Unroutable messages come back (mandatory) and count as failures; so does a confirm that
    does not arrive within `publish_timeout`.
    """

    def __init__(self, url: str, topology: Topology, *, publish_timeout: float = 5.0) -> None:
        self.url = url
        self.topology = topology
        self.publish_timeout = publish_timeout
        self._connection: AbstractConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._lock = asyncio.Lock()

    async def _ready(self) -> AbstractExchange:
        async with self._lock:
            if self._exchange is None or self._connection is None or self._connection.is_closed:
                await self.close()
                # Not a robust connection: a failed publish drops it and the relay's
                # backoff decides when to dial again.
                self._connection = await aio_pika.connect(self.url, timeout=self.publish_timeout)
                channel = await self._connection.channel(
                    publisher_confirms=True, on_return_raises=True
                )
                self._exchange = await channel.declare_exchange(
                    self.topology.exchange, aio_pika.ExchangeType.TOPIC, durable=True
                )
            return self._exchange

    async def publish(self, envelope: Envelope) -> None:
        try:
            exchange = await self._ready()
            message = aio_pika.Message(
                envelope.to_json(),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=str(envelope.id),
                type=envelope.type,
                timestamp=envelope.occurred_at,
                headers={"event_version": envelope.version},
            )
            await exchange.publish(
                message,
                routing_key=envelope.type,
                mandatory=True,
                timeout=self.publish_timeout,
            )
        except Exception:
            # Drop the connection so the next attempt starts clean.
            async with self._lock:
                await self.close()
            raise

    async def close(self) -> None:
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None and not connection.is_closed:
            try:
                await asyncio.wait_for(connection.close(), self.publish_timeout)
            except Exception:  # closing a dead connection may fail; it is gone either way
                logger.debug("error closing the publisher connection", exc_info=True)


def _delivery_count(message: AbstractIncomingMessage) -> int:
    """How many times the broker delivered this message before (quorum queues count)."""
    value = (message.headers or {}).get("x-delivery-count")
    return value if isinstance(value, int) else 0


class RabbitConsumer:
    """Consumes one service's queue; acks only after the handler's transaction committed.

    A failing handler is retried by redelivery up to `max_attempts`, then rejected to the
    dead-letter queue; other messages keep flowing meanwhile (prefetch > 1).
    """

    def __init__(
        self,
        url: str,
        topology: Topology,
        service: str,
        dispatcher: Dispatcher,
        *,
        prefetch: int = 16,
        max_attempts: int = 5,
        reconnect_interval: float = 2.0,
    ) -> None:
        self.reconnect_interval = reconnect_interval
        self.url = url
        self.topology = topology
        self.service = service
        self.dispatcher = dispatcher
        self.prefetch = prefetch
        self.max_attempts = max_attempts
        self._connection: AbstractRobustConnection | None = None

    async def start(self) -> None:
        """Connect (retrying while the broker is down), declare, and start consuming."""
        delay = 0.5
        while True:
            try:
                self._connection = await aio_pika.connect_robust(
                    self.url, timeout=10, reconnect_interval=self.reconnect_interval
                )
                break
            except (OSError, aio_pika.exceptions.AMQPError, TimeoutError):
                logger.warning("broker unreachable; retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=self.prefetch)
        queues = await self.topology.declare(channel, [self.service])
        await queues[self.service].consume(self._on_message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.from_json(message.body)
        except ValidationError:
            logger.error("rejecting malformed message %s", message.message_id)
            metrics.EVENTS_DEAD_LETTERED.labels(type=message.type or "unknown").inc()
            await message.reject(requeue=False)
            return
        try:
            await self.dispatcher.dispatch(envelope)
        except Exception:
            # Quorum queues count redeliveries for us in x-delivery-count.
            previous = _delivery_count(message)
            if previous + 1 >= self.max_attempts:
                logger.exception(
                    "event %s failed %d times; dead-lettering", envelope.id, previous + 1
                )
                metrics.EVENTS_DEAD_LETTERED.labels(type=envelope.type).inc()
                await message.reject(requeue=False)
            else:
                logger.warning("event %s failed; will be redelivered", envelope.id, exc_info=True)
                await message.nack(requeue=True)
            return
        await message.ack()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
