"""The projects service's directory of people, fed by auth's events through RabbitMQ."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY
from sqlalchemy import func, select

from projectconnect.auth.app import MIGRATIONS as AUTH_MIGRATIONS
from projectconnect.auth.models import User
from projectconnect.infra import migrations
from projectconnect.infra.db import utcnow
from projectconnect.infra.events import (
    USER_REGISTERED,
    USER_UPDATED,
    Envelope,
    UserProfile,
    user_deleted,
    user_registered,
    user_updated,
)
from projectconnect.infra.outbox import OutboxRelay
from projectconnect.projects.models import InboxEvent, Person
from projectconnect.projects.repository import PeopleRepository
from tests.integration.test_events import Pipeline, running
from tests.integration.test_events import pipeline as pipeline  # the fixture, shared
from tests.support.waiting import eventually


def handled(event_type: str) -> float:
    labels = {"type": event_type, "outcome": "handled"}
    return REGISTRY.get_sample_value("events_consumed_total", labels) or 0.0


def profile(user_id: uuid.UUID, version: int, name: str) -> UserProfile:
    return UserProfile(
        user_id=user_id, email="ann@example.com", display_name=name, profile_version=version
    )


async def directory(pipeline: Pipeline, *user_ids: uuid.UUID) -> dict[uuid.UUID, Person]:
    async with pipeline.projects_db.session() as session:
        return await PeopleRepository(session).get_many(user_ids)


async def names(pipeline: Pipeline, *user_ids: uuid.UUID) -> dict[uuid.UUID, str | None]:
    return {i: p.display_name for i, p in (await directory(pipeline, *user_ids)).items()}


async def publish_directly(pipeline: Pipeline, envelopes: list[Envelope]) -> None:
    publisher = pipeline.publisher()
    try:
        for envelope in envelopes:
            await publisher.publish(envelope)
    finally:
        await publisher.close()


async def test_out_of_order_and_repeated_events_leave_the_newest_name(pipeline: Pipeline) -> None:
    ann = uuid.uuid4()
    registered = user_registered(profile(ann, 1, "Ann"))
    renamed = user_updated(profile(ann, 2, "Ann B"))
    renamed_again = user_updated(profile(ann, 3, "Ann C"))
    for envelope in (registered, renamed, renamed_again):
        await pipeline.record(envelope)
    # The newest first, then the older ones; then the outbox sends all three again, in order.
    await publish_directly(pipeline, [renamed_again, registered, renamed])
    publisher = pipeline.publisher()
    try:
        relay = OutboxRelay(pipeline.auth_db, pipeline.outbox, publisher)
        assert await relay.relay_once() == (3, 0)
    finally:
        await publisher.close()
    registrations, updates = handled(USER_REGISTERED), handled(USER_UPDATED)

    consumer = pipeline.consumer()
    await consumer.start()
    try:
        await eventually(
            lambda: (
                handled(USER_REGISTERED) == registrations + 2
                and handled(USER_UPDATED) == updates + 4
            ),
            message="not every delivery was handled",
        )
    finally:
        await consumer.close()

    person = (await directory(pipeline, ann))[ann]
    assert (person.display_name, person.email, person.profile_version) == (
        "Ann C",
        "ann@example.com",
        3,
    )
    async with pipeline.projects_db.session() as session:
        assert await session.scalar(select(func.count()).select_from(InboxEvent)) == 3


async def test_a_deletion_removes_the_person_and_a_late_update_does_not_bring_them_back(
    pipeline: Pipeline,
) -> None:
    ann, bob = uuid.uuid4(), uuid.uuid4()
    consumer = pipeline.consumer()
    await consumer.start()
    publisher = pipeline.publisher()
    try:
        async with running(OutboxRelay(pipeline.auth_db, pipeline.outbox, publisher)):
            await pipeline.record(user_registered(profile(ann, 1, "Ann")))
            await pipeline.record(user_registered(profile(bob, 1, "Bob")))
            pipeline.outbox.notify_committed()

            async def both_known() -> bool:
                return await names(pipeline, ann, bob) == {ann: "Ann", bob: "Bob"}

            await eventually(both_known)

            await pipeline.record(user_deleted(ann))
            pipeline.outbox.notify_committed()

            async def only_bob() -> bool:
                return await names(pipeline, ann, bob) == {bob: "Bob"}

            await eventually(only_bob, message="the deleted user is still in the directory")

            updates = handled(USER_UPDATED)
            await pipeline.record(user_updated(profile(ann, 2, "Ann, late")))
            pipeline.outbox.notify_committed()
            await eventually(lambda: handled(USER_UPDATED) == updates + 1)
    finally:
        await consumer.close()
        await publisher.close()
    assert await names(pipeline, ann, bob) == {bob: "Bob"}


async def test_the_data_migration_announces_accounts_made_before_the_events(
    pipeline: Pipeline,
) -> None:
    # An account that existed before auth published user.registered: only the row.
    ann = uuid.uuid4()
    async with pipeline.auth_db.session() as session:
        session.add(
            User(
                id=ann,
                email="Ann.Early@example.com",
                email_key="ann.early@example.com",
                display_name="Early Ann",
                password_hash="not-a-real-hash",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        await session.commit()
    await migrations.downgrade(AUTH_MIGRATIONS, pipeline.auth_db.url, "0004")
    assert await pipeline.unpublished() == 0
    await migrations.upgrade(AUTH_MIGRATIONS, pipeline.auth_db.url)
    assert await pipeline.unpublished() == 1

    consumer = pipeline.consumer()
    await consumer.start()
    publisher = pipeline.publisher()
    try:
        async with running(OutboxRelay(pipeline.auth_db, pipeline.outbox, publisher)):

            async def known() -> bool:
                return ann in await directory(pipeline, ann)

            await eventually(known, message="the existing account never reached the directory")
    finally:
        await consumer.close()
        await publisher.close()
    person = (await directory(pipeline, ann))[ann]
    assert (person.email, person.display_name, person.profile_version) == (
        "Ann.Early@example.com",
        "Early Ann",
        1,
    )


async def test_get_many_answers_for_more_ids_than_one_statement_may_bind(
    pipeline: Pipeline,
) -> None:
    ann = uuid.uuid4()
    async with pipeline.projects_db.session() as session:
        await PeopleRepository(session).apply(profile(ann, 1, "Ann"), utcnow())
        await session.commit()
    many = [uuid.uuid4() for _ in range(40_000)]  # PostgreSQL binds at most 32 767 values
    assert await names(pipeline, *many, ann) == {ann: "Ann"}
