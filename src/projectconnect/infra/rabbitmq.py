"""RabbitMQ: the topology, a confirming publisher and a consumer that survives reconnects.

Topology (for namespace `ns`):
  exchange `ns.events` (topic, durable) ──routing key = event type──► queue `ns.<service>`
  (quorum, durable) ──given up on, or over the delivery limit──► exchange `ns.events.dlx`
  (topic, durable) ──► queue `ns.<service>.dead`.
  A message whose handling failed for a while (a dependency away) waits in a delay queue
  `ns.<service>.retry.<ms>` (quorum, one per delay, the delay as its message TTL) and
  expires from it straight back into `ns.<service>`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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

from projectconnect.infra import faults, metrics
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
        default_factory=lambda: (
            QueueSpec("projects", ("user.deleted", "user.registered", "user.updated")),
            # Mail any service asks for (`mail.requested`), delivered by the mailer.
            QueueSpec("mailer", ("mail.requested",)),
        )
    )
    # The broker's own backstop for a consumer that dies mid-message, again and again.
    delivery_limit: int = 20
    # Waits before a failed message is tried again: the nth retry waits the nth delay
    # (the last one from then on), jittered down to half of it.
    retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)

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

    def retry_queue(self, service: str, delay: float) -> str:
        return f"{self.namespace}.{service}.retry.{round(delay * 1000)}"

    def retry_delay(self, retry: int) -> float:
        """The delay of the `retry`th retry (1-based), capped at the longest."""
        return self.retry_delays[min(max(retry, 1), len(self.retry_delays)) - 1]

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
            for delay in self.retry_delays:
                await channel.declare_queue(
                    self.retry_queue(spec.service, delay),
                    durable=True,
                    arguments={
                        "x-queue-type": "quorum",
                        "x-message-ttl": round(delay * 1000),
                        # Expired: straight back to the service's own queue, no one else's.
                        "x-dead-letter-exchange": "",
                        "x-dead-letter-routing-key": self.queue(spec.service),
                        # Kept until the work queue confirms it has the message.
                        "x-dead-letter-strategy": "at-least-once",
                        "x-overflow": "reject-publish",
                    },
                )
            declared[spec.service] = queue
        return declared

    async def delete(self, channel: AbstractChannel) -> None:
        """Remove everything `declare` made (tests, teardown of a namespace)."""
        for spec in self.queues:
            await channel.queue_delete(self.queue(spec.service))
            await channel.queue_delete(self.dead_letter_queue(spec.service))
            for delay in self.retry_delays:
                await channel.queue_delete(self.retry_queue(spec.service, delay))
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


RETRIES_HEADER = "x-retries"
ERROR_HEADER = "x-error"
# Headers of a message's past lives, dropped when it is sent round again.
_HISTORY_HEADERS = frozenset(
    {
        "x-death",
        "x-delivery-count",
        "x-first-death-exchange",
        "x-first-death-queue",
        "x-first-death-reason",
        "x-last-death-exchange",
        "x-last-death-queue",
        "x-last-death-reason",
    }
)


def _retries(message: AbstractIncomingMessage) -> int:
    value = (message.headers or {}).get(RETRIES_HEADER)
    return value if isinstance(value, int) else 0


def _copy(
    message: AbstractIncomingMessage,
    *,
    headers: dict[str, Any] | None = None,
    expiration: float | None = None,
    drop: Iterable[str] = (),
) -> aio_pika.Message:
    """The same message (body, id, type, trace context) to publish again."""
    kept = {
        k: v
        for k, v in (message.headers or {}).items()
        if k not in _HISTORY_HEADERS and k not in set(drop)
    }
    return aio_pika.Message(
        message.body,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        type=message.type,
        timestamp=message.timestamp,
        headers={**kept, **(headers or {})},
        expiration=expiration,
    )


class RabbitConsumer:
    """Consumes one service's queue; acks only after the handler's transaction committed.

    What a failure leads to:
    - transient (a dependency unreachable, a lost race: `faults.transient`): the message
      waits in a delay queue and comes back, for as long as it takes, with growing delays;
    - permanent (undecodable, or the handler raised `PermanentError`): dead-lettered at once;
    - anything else (a bug, most likely): retried like a transient failure, and
      dead-lettered at the `max_attempts`th attempt.
    A waiting message holds no consumer slot, so the others keep flowing meanwhile.
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
        publish_timeout: float = 5.0,
    ) -> None:
        self.reconnect_interval = reconnect_interval
        self.url = url
        self.topology = topology
        self.service = service
        self.dispatcher = dispatcher
        self.prefetch = prefetch
        self.max_attempts = max_attempts
        self.publish_timeout = publish_timeout
        self._connection: AbstractRobustConnection | None = None
        self._publishing: AbstractChannel | None = None

    @property
    def connected(self) -> bool:
        return self._connection is not None and self._connection.connected.is_set()

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
        self._publishing = await self._connection.channel(
            publisher_confirms=True, on_return_raises=True
        )
        await queues[self.service].consume(self._on_message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.from_json(message.body)
        except ValidationError:
            logger.error("dead-lettering malformed message %s", message.message_id)
            await self._dead_letter(message, message.type or "unknown", "undecodable envelope")
            return
        try:
            await self.dispatcher.dispatch(envelope)
        except Exception as exc:
            await self._failed(message, envelope, exc)
            return
        await message.ack()

    async def _failed(
        self, message: AbstractIncomingMessage, envelope: Envelope, exc: Exception
    ) -> None:
        attempt = _retries(message) + _delivery_count(message) + 1
        if faults.permanent(exc):
            logger.error("event %s can never be handled (%s); dead-lettering", envelope.id, exc)
            await self._dead_letter(message, envelope.type, str(exc))
            return
        transient = faults.transient(exc)
        if not transient and attempt >= self.max_attempts:
            logger.error(
                "event %s failed %d times; dead-lettering", envelope.id, attempt, exc_info=exc
            )
            await self._dead_letter(message, envelope.type, type(exc).__name__)
            return
        retry = _retries(message) + 1
        delay = self.topology.retry_delay(retry)
        logger.warning(
            "event %s failed (attempt %d, %s: %s); trying again in about %.0fs",
            envelope.id,
            attempt,
            "transient" if transient else "unexpected",
            type(exc).__name__,
            delay,
            exc_info=None if transient else exc,
        )
        metrics.EVENTS_RETRIED.labels(
            type=envelope.type, reason="transient" if transient else "unknown"
        ).inc()
        # Jittered down to half, so messages that failed together do not return together.
        expiration = delay * random.uniform(0.5, 1.0)  # noqa: S311
        copy = _copy(message, headers={RETRIES_HEADER: retry}, expiration=expiration)
        await self._pass_on(message, "", self.topology.retry_queue(self.service, delay), copy)

    async def _dead_letter(
        self, message: AbstractIncomingMessage, event_type: str, reason: str
    ) -> None:
        metrics.EVENTS_DEAD_LETTERED.labels(type=event_type).inc()
        copy = _copy(message, headers={ERROR_HEADER: reason[:200]})
        routing_key = message.routing_key or event_type
        await self._pass_on(message, self.topology.dead_letter_exchange, routing_key, copy)

    async def _pass_on(
        self,
        message: AbstractIncomingMessage,
        exchange_name: str,
        routing_key: str,
        copy: aio_pika.Message,
    ) -> None:
        """Publish `copy` with a confirm, then ack the original: never lost, at worst twice."""
        try:
            assert self._publishing is not None
            exchange = (
                self._publishing.default_exchange
                if not exchange_name
                else await self._publishing.get_exchange(exchange_name)
            )
            await exchange.publish(
                copy, routing_key=routing_key, mandatory=True, timeout=self.publish_timeout
            )
        except Exception:
            logger.warning("could not pass event %s on; redelivering", message.message_id)
            try:
                await message.nack(requeue=True)
            except Exception:  # the channel is gone: the broker redelivers it anyway
                logger.debug("could not nack event %s", message.message_id, exc_info=True)
            return
        await message.ack()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
            self._publishing = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    message_id: str | None
    type: str | None
    error: str | None
    retries: int
    body: bytes


async def _take_dead_letters(
    url: str,
    topology: Topology,
    service: str,
    act: Any,
    *,
    limit: int | None,
) -> list[DeadLetter]:
    """Take messages from the dead-letter queue one by one; `act` may move each on.

    Messages `act` does not move are left unacknowledged until the end, then go back to
    the queue in their order when the channel closes.
    """
    seen: list[DeadLetter] = []
    connection = await aio_pika.connect(url, timeout=10)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        dead = await channel.get_queue(topology.dead_letter_queue(service))
        while limit is None or len(seen) < limit:
            message = await dead.get(fail=False, no_ack=False)
            if message is None:
                break
            headers = message.headers or {}
            error = headers.get(ERROR_HEADER) or headers.get("x-first-death-reason")
            seen.append(
                DeadLetter(
                    message.message_id,
                    message.type,
                    error.decode() if isinstance(error, bytes) else str(error or "") or None,
                    _retries(message),
                    message.body,
                )
            )
            await act(channel, message)
    return seen


async def list_dead_letters(
    url: str, topology: Topology, service: str, *, limit: int | None = 100
) -> list[DeadLetter]:
    """What the dead-letter queue holds, left where it is."""

    async def leave(_: AbstractChannel, __: AbstractIncomingMessage) -> None:
        return None

    return await _take_dead_letters(url, topology, service, leave, limit=limit)


async def replay_dead_letters(
    url: str,
    topology: Topology,
    service: str,
    *,
    ids: Iterable[str] | None = None,
    limit: int | None = None,
) -> list[DeadLetter]:
    """Move dead-lettered messages (all, or those with the given ids) back to the work queue.

    Each goes back with its retry count reset, is confirmed by the broker, and only then
    removed from the dead-letter queue. Returns those moved.
    """
    wanted = {str(uuid.UUID(i)) for i in ids} if ids else None
    moved: set[str | None] = set()

    async def move(channel: AbstractChannel, message: AbstractIncomingMessage) -> None:
        if wanted is not None and message.message_id not in wanted:
            return
        copy = _copy(message, drop=(ERROR_HEADER, RETRIES_HEADER))
        await channel.default_exchange.publish(
            copy, routing_key=topology.queue(service), mandatory=True, timeout=10
        )
        await message.ack()
        moved.add(message.message_id)

    seen = await _take_dead_letters(url, topology, service, move, limit=limit)
    return [d for d in seen if d.message_id in moved]
