"""The user.deleted pipeline against the real PostgreSQL and RabbitMQ, including its faults."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field

import aio_pika
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from projectconnect.auth.models import OutboxEvent
from projectconnect.infra.cache import MemoryCache
from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.events import USER_DELETED, Envelope, user_deleted
from projectconnect.infra.faults import PermanentError
from projectconnect.infra.feed import MemoryFeed
from projectconnect.infra.inbox import Dispatcher
from projectconnect.infra.outbox import Outbox, OutboxRelay
from projectconnect.infra.problems import Unauthorized
from projectconnect.infra.rabbitmq import RabbitConsumer, RabbitPublisher, declare_topology
from projectconnect.projects import handlers
from projectconnect.projects.cache import ReadCache
from projectconnect.projects.live import Publisher
from projectconnect.projects.models import InboxEvent, Project, Workspace
from projectconnect.projects.schemas import ProjectCreate
from projectconnect.projects.service import ProjectService
from projectconnect.projects.workspaces import WorkspaceService
from projectconnect.projects.writes import Writes
from tests.support.processes import run_command
from tests.support.services import ThrowawayBroker, ThrowawayPostgres
from tests.support.tcpproxy import TcpProxy
from tests.support.waiting import eventually


@dataclass
class Pipeline:
    auth_db: Database
    projects_db: Database
    broker: ThrowawayBroker
    outbox: Outbox
    read_cache: ReadCache = field(default_factory=lambda: ReadCache(MemoryCache(), ttl=60))

    def workspaces(self, db: Database | None = None) -> WorkspaceService:
        db = db or self.projects_db
        return WorkspaceService(db, Writes(db, self.read_cache, Publisher(MemoryFeed())))

    def projects(self) -> ProjectService:
        workspaces = self.workspaces()
        return ProjectService(self.projects_db, workspaces.writes, workspaces)

    def publisher(self, url: str | None = None) -> RabbitPublisher:
        return RabbitPublisher(url or self.broker.url, self.broker.topology, publish_timeout=2)

    def consumer(
        self, dispatcher: Dispatcher | None = None, url: str | None = None, **kw: float
    ) -> RabbitConsumer:
        return RabbitConsumer(
            url or self.broker.url,
            self.broker.topology,
            "projects",
            dispatcher or handlers.dispatcher(self.workspaces()),
            **kw,  # type: ignore[arg-type]
        )

    async def record(self, envelope: Envelope) -> None:
        """Commit an event to the outbox the way the auth service does."""
        async with self.auth_db.session() as session:
            await self.outbox.add(session, envelope)
            await session.commit()

    async def unpublished(self) -> int:
        async with self.auth_db.session() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.published_at.is_(None))
            )
        return int(count or 0)

    async def projects_of(self, owner: uuid.UUID) -> int:
        async with self.projects_db.session() as session:
            count = await session.scalar(
                select(func.count()).select_from(Project).where(Project.created_by == owner)
            )
        return int(count or 0)

    async def queue_depth(self, name: str) -> int:
        connection = await aio_pika.connect(self.broker.url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(name, passive=True)
            return int(queue.declaration_result.message_count or 0)


@pytest.fixture
async def pipeline() -> AsyncIterator[Pipeline]:
    pg = ThrowawayPostgres()
    await pg.check()
    broker = ThrowawayBroker()
    await broker.check()
    auth_url, projects_url = await pg.create_migrated("events")
    await declare_topology(broker.url, broker.topology)
    auth_db, projects_db = Database(auth_url), Database(projects_url)
    try:
        yield Pipeline(auth_db, projects_db, broker, Outbox(OutboxEvent))
    finally:
        await auth_db.dispose()
        await projects_db.dispose()
        await pg.drop_all()
        await broker.delete()


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(relay.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_an_event_published_before_any_consumer_ran_is_kept_and_handled(
    pipeline: Pipeline,
) -> None:
    owner = uuid.uuid4()
    await pipeline.projects().create_project(owner, ProjectCreate(name="Doomed"))
    await pipeline.record(user_deleted(owner))
    publisher = pipeline.publisher()
    try:
        assert await OutboxRelay(pipeline.auth_db, pipeline.outbox, publisher).relay_once() == (
            1,
            0,
        )
    finally:
        await publisher.close()
    assert await pipeline.unpublished() == 0
    assert await pipeline.queue_depth(pipeline.broker.topology.queue("projects")) == 1

    consumer = pipeline.consumer()
    await consumer.start()
    try:
        await eventually(lambda: _is_zero(pipeline.projects_of(owner)))
    finally:
        await consumer.close()


async def _is_zero(count: Awaitable[int]) -> bool:
    return await count == 0


async def test_the_relay_retries_while_the_broker_is_down_and_delivers_after(
    pipeline: Pipeline,
) -> None:
    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    await proxy.cut()
    failures_before = sample("events_publish_failures_total", reason="AMQPConnectionError")
    published_before = sample("events_published_total", type=USER_DELETED)
    publisher = pipeline.publisher(f"amqp://guest:guest@127.0.0.1:{proxy.port}/")
    relay = OutboxRelay(pipeline.auth_db, pipeline.outbox, publisher, max_backoff=0.5)
    await pipeline.record(user_deleted(uuid.uuid4()))
    try:
        async with running(relay):
            await eventually(lambda: _attempted_twice(pipeline))
            assert await pipeline.unpublished() == 1
            async with pipeline.auth_db.session() as session:
                row = (await session.scalars(select(OutboxEvent))).one()
            assert row.last_error
            assert sample("events_publish_failures_total", reason="AMQPConnectionError") > (
                failures_before
            )

            await proxy.restore()
            await eventually(lambda: _is_zero(pipeline.unpublished()), within=5)
    finally:
        await publisher.close()
        await proxy.cut()
    assert sample("events_published_total", type=USER_DELETED) == published_before + 1
    assert await pipeline.queue_depth(pipeline.broker.topology.queue("projects")) == 1


async def _attempted_twice(pipeline: Pipeline) -> bool:
    async with pipeline.auth_db.session() as session:
        return ((await session.scalar(select(func.max(OutboxEvent.attempts)))) or 0) >= 2


async def test_a_redelivered_event_changes_nothing(pipeline: Pipeline) -> None:
    owner = uuid.uuid4()
    event = user_deleted(owner)
    consumer = pipeline.consumer()
    await consumer.start()
    publisher = pipeline.publisher()
    try:
        await publisher.publish(event)
        await eventually(lambda: _inbox_has(pipeline, event.id))
        # A project restored for that owner after the deletion was handled: a second
        # delivery of the same event must leave it alone.
        async with pipeline.projects_db.session() as session:
            session.add(Workspace(id=owner, name="Restored", created_by=owner, created_at=utcnow()))
            await session.flush()
            session.add(
                Project(
                    workspace_id=owner,
                    created_by=owner,
                    name="Restored",
                    task_count=0,
                    done_count=0,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
            await session.commit()
        handled = sample("events_consumed_total", type=USER_DELETED, outcome="handled")
        await publisher.publish(event)
        await eventually(
            lambda: _at_least(
                sample("events_consumed_total", type=USER_DELETED, outcome="handled"), handled + 1
            )
        )
    finally:
        await publisher.close()
        await consumer.close()
    assert await pipeline.projects_of(owner) == 1
    async with pipeline.projects_db.session() as session:
        assert await session.scalar(select(func.count()).select_from(InboxEvent)) == 1


async def _inbox_has(pipeline: Pipeline, event_id: uuid.UUID) -> bool:
    async with pipeline.projects_db.session() as session:
        return await session.get(InboxEvent, event_id) is not None


async def _at_least(value: float, floor: float) -> bool:
    return value >= floor


async def test_a_failing_handler_is_retried_then_dead_lettered_while_others_flow(
    pipeline: Pipeline,
) -> None:
    poison = Envelope(type=USER_DELETED, version=1, source="test", data={"user_id": "x"})
    good = [user_deleted(uuid.uuid4()) for _ in range(3)]
    attempts: dict[uuid.UUID, int] = {}
    handled: list[uuid.UUID] = []

    async def handler(envelope: Envelope) -> None:
        attempts[envelope.id] = attempts.get(envelope.id, 0) + 1
        if envelope.id == poison.id:
            raise RuntimeError("this one always fails")
        handled.append(envelope.id)

    dispatcher = Dispatcher()
    dispatcher.register(USER_DELETED, 1, handler)
    dead_before = sample("events_dead_lettered_total", type=USER_DELETED)
    consumer = pipeline.consumer(dispatcher, max_attempts=3)
    await consumer.start()
    publisher = pipeline.publisher()
    try:
        for envelope in (poison, *good):
            await publisher.publish(envelope)
        dead_queue = pipeline.broker.topology.dead_letter_queue("projects")
        await eventually(lambda: _depth_is(pipeline, dead_queue, 1))
    finally:
        await publisher.close()
        await consumer.close()
    assert sorted(handled) == sorted(e.id for e in good)
    assert attempts[poison.id] == 3
    assert sample("events_dead_lettered_total", type=USER_DELETED) == dead_before + 1
    assert await pipeline.queue_depth(pipeline.broker.topology.queue("projects")) == 0


async def _depth_is(pipeline: Pipeline, queue: str, depth: int) -> bool:
    return await pipeline.queue_depth(queue) == depth


async def test_unknown_event_versions_are_acknowledged_and_counted_not_dead_lettered(
    pipeline: Pipeline,
) -> None:
    future = Envelope(type=USER_DELETED, version=99, source="auth", data={"user_id": "?"})
    ignored = sample("events_consumed_total", type=USER_DELETED, outcome="ignored")
    consumer = pipeline.consumer()
    await consumer.start()
    publisher = pipeline.publisher()
    try:
        await publisher.publish(future)
        await eventually(
            lambda: _at_least(
                sample("events_consumed_total", type=USER_DELETED, outcome="ignored"), ignored + 1
            )
        )
    finally:
        await publisher.close()
        await consumer.close()
    topology = pipeline.broker.topology
    assert await pipeline.queue_depth(topology.queue("projects")) == 0
    assert await pipeline.queue_depth(topology.dead_letter_queue("projects")) == 0


async def test_an_unroutable_event_is_a_publish_failure(pipeline: Pipeline) -> None:
    publisher = pipeline.publisher()
    stray = Envelope(type="nobody.listens", version=1, source="test", data={})
    try:
        with pytest.raises(aio_pika.exceptions.DeliveryError):
            await publisher.publish(stray)
    finally:
        await publisher.close()


async def test_several_relays_never_publish_a_row_twice(pipeline: Pipeline) -> None:
    async with pipeline.auth_db.session() as session:
        for _ in range(300):
            await pipeline.outbox.add(session, user_deleted(uuid.uuid4()))
        await session.commit()
    publishers = [pipeline.publisher() for _ in range(3)]
    relays = [OutboxRelay(pipeline.auth_db, pipeline.outbox, p, batch_size=20) for p in publishers]

    async def drain(relay: OutboxRelay) -> int:
        total = 0
        while (published := (await relay.relay_once())[0]) or await pipeline.unpublished():
            total += published
        return total

    try:
        counts = await asyncio.gather(*(drain(r) for r in relays))
    finally:
        for publisher in publishers:
            await publisher.close()
    assert sum(counts) == 300
    assert all(c > 0 for c in counts), f"every relay should have had work: {counts}"
    assert await pipeline.queue_depth(pipeline.broker.topology.queue("projects")) == 300


async def test_rows_left_in_flight_by_a_crashed_relay_are_taken_back(pipeline: Pipeline) -> None:
    await pipeline.record(user_deleted(uuid.uuid4()))
    publisher = pipeline.publisher()
    lease = dt.timedelta(seconds=0.5)
    crashed = OutboxRelay(pipeline.auth_db, pipeline.outbox, publisher, lease=lease)
    survivor = OutboxRelay(pipeline.auth_db, pipeline.outbox, publisher, lease=lease)
    try:
        assert len(await crashed.claim()) == 1  # and then it dies without publishing
        assert await survivor.relay_once() == (0, 0)  # the lease still holds
        await eventually(lambda: _published_one(survivor))
    finally:
        await publisher.close()
    async with pipeline.auth_db.session() as session:
        row = (await session.scalars(select(OutboxEvent))).one()
    assert row.published_at is not None
    assert row.attempts == 2


async def _published_one(relay: OutboxRelay) -> bool:
    return await relay.relay_once() == (1, 0)


async def test_the_relay_wakes_at_once_on_a_commit_in_another_process(pipeline: Pipeline) -> None:
    publisher = pipeline.publisher()
    relay = OutboxRelay(pipeline.auth_db, pipeline.outbox, publisher, idle_poll=30)
    # Another process's outbox: only PostgreSQL's NOTIFY can reach the relay.
    elsewhere = Pipeline(
        pipeline.auth_db, pipeline.projects_db, pipeline.broker, Outbox(OutboxEvent)
    )
    try:
        async with running(relay):
            await eventually(lambda: sample("outbox_relay_listening") == 1)
            started = time.monotonic()
            await elsewhere.record(user_deleted(uuid.uuid4()))
            await eventually(lambda: _is_zero(pipeline.unpublished()), within=5)
            assert time.monotonic() - started < 1.0
    finally:
        await publisher.close()


async def test_the_backlog_metrics_follow_the_outbox(pipeline: Pipeline) -> None:
    publisher = pipeline.publisher()
    relay = OutboxRelay(pipeline.auth_db, pipeline.outbox, publisher)
    old = user_deleted(uuid.uuid4()).model_copy(
        update={"occurred_at": utcnow() - dt.timedelta(seconds=90)}
    )
    try:
        await pipeline.record(old)
        await pipeline.record(user_deleted(uuid.uuid4()))
        await relay.observe_backlog()
        assert sample("outbox_backlog_events") == 2
        assert sample("outbox_oldest_event_age_seconds") >= 90
        await relay.relay_once()
        await relay.observe_backlog()
        assert sample("outbox_backlog_events") == 0
        assert sample("outbox_oldest_event_age_seconds") == 0
    finally:
        await publisher.close()


async def test_the_consumer_comes_back_after_losing_the_broker(pipeline: Pipeline) -> None:
    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    owner = uuid.uuid4()
    await pipeline.projects().create_project(owner, ProjectCreate(name="Doomed"))
    consumer = pipeline.consumer(
        url=f"amqp://guest:guest@127.0.0.1:{proxy.port}/", reconnect_interval=0.5
    )
    await consumer.start()
    publisher = pipeline.publisher()
    try:
        await proxy.cut()
        await eventually(lambda: not consumer.connected)
        await proxy.restore()
        await publisher.publish(user_deleted(owner))
        await eventually(lambda: _is_zero(pipeline.projects_of(owner)), within=15)
    finally:
        await publisher.close()
        await consumer.close()
        await proxy.cut()


async def test_no_project_created_during_the_deletion_window_survives(pipeline: Pipeline) -> None:
    owner = uuid.uuid4()
    service = pipeline.projects()
    workspaces = pipeline.workspaces()
    handler = handlers.UserDeletedHandler(workspaces)

    created: list[int] = []

    async def keep_creating() -> int:
        refused = 0
        for i in range(40):
            try:
                await service.create_project(owner, ProjectCreate(name=f"Late {i}"))
                created.append(i)
            except Unauthorized:
                refused += 1
        return refused

    async def delete_midway() -> None:
        await eventually(lambda: len(created) >= 3)
        await handler(user_deleted(owner))

    refused, _ = await asyncio.gather(keep_creating(), delete_midway())
    assert refused > 0, "the deletion should have landed while creations went on"
    assert await pipeline.projects_of(owner) == 0


def _through(proxy: TcpProxy, url: str) -> str:
    return url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")


async def test_the_relay_listens_again_after_the_database_comes_back(pipeline: Pipeline) -> None:
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    relay_db = Database(_through(proxy, pipeline.auth_db.url))
    publisher = pipeline.publisher()
    # Its own outbox object: only PostgreSQL's NOTIFY can wake it, and the poll is far away.
    relay = OutboxRelay(relay_db, Outbox(OutboxEvent), publisher, idle_poll=120)
    try:
        async with running(relay):
            await pipeline.record(user_deleted(uuid.uuid4()))
            await eventually(lambda: _is_zero(pipeline.unpublished()))
            await proxy.cut()
            await eventually(lambda: sample("outbox_relay_listening") == 0)
            await proxy.restore()
            # A commit made while the relay was deaf is relayed once it listens again.
            await pipeline.record(user_deleted(uuid.uuid4()))
            await eventually(lambda: _is_zero(pipeline.unpublished()), within=10)

            await eventually(lambda: sample("outbox_relay_listening") == 1)
            started = time.monotonic()
            await pipeline.record(user_deleted(uuid.uuid4()))
            await eventually(lambda: _is_zero(pipeline.unpublished()), within=10)
            assert time.monotonic() - started < 1.5, "woken by NOTIFY, not by the poll"
    finally:
        await publisher.close()
        await relay_db.dispose()
        await proxy.cut()


async def _all_attempted(pipeline: Pipeline, ids: list[uuid.UUID]) -> bool:
    async with pipeline.auth_db.session() as session:
        attempts = (
            await session.scalars(select(OutboxEvent.attempts).where(OutboxEvent.id.in_(ids)))
        ).all()
    return len(attempts) == len(ids) and all(a >= 1 for a in attempts)


async def _queued_event_ids(pipeline: Pipeline, expected: int) -> list[uuid.UUID]:
    connection = await aio_pika.connect(pipeline.broker.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(pipeline.broker.topology.queue("projects"))
        ids = []
        for _ in range(expected):
            message = await queue.get(timeout=5)
            assert message is not None
            ids.append(Envelope.from_json(message.body).id)
            await message.ack()
    return ids


async def test_after_a_broker_outage_events_go_out_promptly_and_in_order(
    pipeline: Pipeline,
) -> None:
    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    await proxy.cut()
    publisher = pipeline.publisher(f"amqp://guest:guest@127.0.0.1:{proxy.port}/")
    relay = OutboxRelay(pipeline.auth_db, pipeline.outbox, publisher)
    ann, bob = uuid.uuid4(), uuid.uuid4()
    # Several events per user, as a user's own events are (deleted twice stands in for any).
    waves = [
        [user_deleted(ann), user_deleted(bob), user_deleted(ann)],
        [user_deleted(bob), user_deleted(ann)],
        [user_deleted(ann)],
    ]
    try:
        async with running(relay):
            for wave in waves[:2]:
                for event in wave:
                    await pipeline.record(event)
                # The relay has claimed them and failed to publish at least once.
                ids = [e.id for e in wave]
                await eventually(lambda: _all_attempted(pipeline, ids))  # noqa: B023
            for event in waves[2]:
                await pipeline.record(event)
            await proxy.restore()
            restored = time.monotonic()
            await eventually(lambda: _is_zero(pipeline.unpublished()), within=15)
            assert time.monotonic() - restored < 7.0, "delivered within seconds of the return"
    finally:
        await publisher.close()
        await proxy.cut()
    recorded = [event for wave in waves for event in wave]
    published = await _queued_event_ids(pipeline, len(recorded))
    for user in (ann, bob):
        own = [e.id for e in recorded if e.data["user_id"] == str(user)]
        assert [i for i in published if i in own] == own


def _retried(reason: str) -> float:
    return sample("events_retries_scheduled_total", type=USER_DELETED, reason=reason)


# Longer than the whole of the old retry policy (5 attempts, no pause: about 0.1 s).
OUTAGE_SECONDS = 10.0


async def test_a_deletion_waits_out_a_projects_database_outage_and_is_not_dead_lettered(
    pipeline: Pipeline,
) -> None:
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    handler_db = Database(_through(proxy, pipeline.projects_db.url))
    owner = uuid.uuid4()
    await pipeline.projects().create_project(owner, ProjectCreate(name="Doomed"))
    consumer = pipeline.consumer(handlers.dispatcher(pipeline.workspaces(handler_db)))
    await consumer.start()
    publisher = pipeline.publisher()
    failures_before = sample("events_handler_failures_total", type=USER_DELETED)
    topology = pipeline.broker.topology
    try:
        await proxy.cut()
        cut_at = time.monotonic()
        await publisher.publish(user_deleted(owner))
        await eventually(
            lambda: (
                sample("events_handler_failures_total", type=USER_DELETED) >= failures_before + 2
            )
        )
        # The outage lasts its length whatever the consumer does: that is the fault.
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))
        failed = sample("events_handler_failures_total", type=USER_DELETED) - failures_before
        assert 2 <= failed <= 6, f"retries should pause, growing: {failed} in {OUTAGE_SECONDS}s"
        assert await pipeline.queue_depth(topology.dead_letter_queue("projects")) == 0
        assert await pipeline.projects_of(owner) == 1

        await proxy.restore()
        await eventually(lambda: _is_zero(pipeline.projects_of(owner)), within=60)
    finally:
        await publisher.close()
        await consumer.close()
        await handler_db.dispose()
        await proxy.cut()
    assert await pipeline.queue_depth(topology.dead_letter_queue("projects")) == 0
    for delay in topology.retry_delays:
        assert await pipeline.queue_depth(topology.retry_queue("projects", delay)) == 0


async def test_a_message_that_can_never_succeed_is_dead_lettered_at_once(
    pipeline: Pipeline,
) -> None:
    invalid = Envelope(type=USER_DELETED, version=1, source="test", data={"user_id": "x"})
    retried_before = _retried("transient") + _retried("unknown")
    consumer = pipeline.consumer()
    await consumer.start()
    publisher = pipeline.publisher()
    connection = await aio_pika.connect(pipeline.broker.url)
    try:
        await publisher.publish(invalid)
        channel = await connection.channel()
        exchange = await channel.get_exchange(pipeline.broker.topology.exchange)
        await exchange.publish(aio_pika.Message(b"not an envelope"), routing_key=USER_DELETED)
        dead_queue = pipeline.broker.topology.dead_letter_queue("projects")
        await eventually(lambda: _depth_is(pipeline, dead_queue, 2), within=5)
    finally:
        await connection.close()
        await publisher.close()
        await consumer.close()
    assert _retried("transient") + _retried("unknown") == retried_before
    listed = run_command(["events", "list-dead"], _broker_env(pipeline))
    assert listed.returncode == 0, listed.stderr
    assert f"{invalid.id}  {USER_DELETED}  retries=0  error=user.deleted without a valid" in (
        listed.stdout
    )
    assert "error=undecodable envelope" in listed.stdout
    assert "2 dead-lettered" in listed.stdout
    # Listing leaves them where they are.
    assert await pipeline.queue_depth(dead_queue) == 2


def _broker_env(pipeline: Pipeline) -> dict[str, str]:
    return {"AMQP_URL": pipeline.broker.url, "EVENTS_NAMESPACE": pipeline.broker.topology.namespace}


async def test_replay_dead_sends_a_dead_letter_back_to_be_handled(pipeline: Pipeline) -> None:
    owner = uuid.uuid4()
    await pipeline.projects().create_project(owner, ProjectCreate(name="Doomed"))
    event = user_deleted(owner)

    async def broken(envelope: Envelope) -> None:
        raise PermanentError("a handler that could not cope then")

    failing = Dispatcher()
    failing.register(USER_DELETED, 1, broken)
    consumer = pipeline.consumer(failing)
    await consumer.start()
    publisher = pipeline.publisher()
    topology = pipeline.broker.topology
    try:
        await publisher.publish(event)
        await eventually(lambda: _depth_is(pipeline, topology.dead_letter_queue("projects"), 1))
    finally:
        await publisher.close()
        await consumer.close()
    assert await pipeline.projects_of(owner) == 1

    replayed = run_command(["events", "replay-dead", "--id", str(event.id)], _broker_env(pipeline))
    assert replayed.returncode == 0, replayed.stderr
    assert f"replayed {event.id}" in replayed.stdout
    assert await pipeline.queue_depth(topology.dead_letter_queue("projects")) == 0

    consumer = pipeline.consumer()
    await consumer.start()
    try:
        await eventually(lambda: _is_zero(pipeline.projects_of(owner)))
    finally:
        await consumer.close()
    assert await _inbox_has(pipeline, event.id)
