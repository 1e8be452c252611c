"""The embedded mode's in-process bus follows the consumer's policy on failures."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import REGISTRY

from projectconnect.infra.bus import InProcessBus
from projectconnect.infra.events import USER_DELETED, Envelope, user_deleted
from projectconnect.infra.faults import PermanentError
from projectconnect.infra.inbox import Dispatcher


def _dead_lettered() -> float:
    return REGISTRY.get_sample_value("events_dead_lettered_total", {"type": USER_DELETED}) or 0.0


def _bus(error: Exception, attempts: list[Envelope]) -> InProcessBus:
    async def handler(envelope: Envelope) -> None:
        attempts.append(envelope)
        raise error

    dispatcher = Dispatcher()
    dispatcher.register(USER_DELETED, 1, handler)
    return InProcessBus(dispatcher, retry_delay=0.001)


async def test_a_transient_failure_goes_back_to_the_outbox_not_to_the_dead_letters() -> None:
    attempts: list[Envelope] = []
    bus = _bus(ConnectionRefusedError(111, "database refused"), attempts)
    before = _dead_lettered()
    # Raised to the relay: the outbox row stays unpublished and is tried again later.
    with pytest.raises(ConnectionRefusedError):
        await bus.publish(user_deleted(uuid.uuid4()))
    assert len(attempts) == 1
    assert _dead_lettered() == before


async def test_a_permanent_failure_is_dead_lettered_at_once() -> None:
    attempts: list[Envelope] = []
    bus = _bus(PermanentError("no valid user_id"), attempts)
    before = _dead_lettered()
    await bus.publish(user_deleted(uuid.uuid4()))
    assert len(attempts) == 1
    assert _dead_lettered() == before + 1


async def test_an_unexpected_failure_is_retried_then_dead_lettered() -> None:
    attempts: list[Envelope] = []
    bus = _bus(RuntimeError("a bug"), attempts)
    before = _dead_lettered()
    await bus.publish(user_deleted(uuid.uuid4()))
    assert len(attempts) == bus.max_attempts
    assert _dead_lettered() == before + 1
