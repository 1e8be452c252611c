"""The directory of people: the newest profile wins, repeats change nothing, deletion is final.

On SQLite in a temporary file: the rule lives in one conditional upsert, so it is tested
where it runs, without any other service.
"""

from __future__ import annotations

import logging
import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from projectconnect.infra.cache import MemoryCache
from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.events import (
    Envelope,
    UserProfile,
    user_deleted,
    user_registered,
    user_updated,
)
from projectconnect.infra.faults import PermanentError
from projectconnect.infra.feed import MemoryFeed
from projectconnect.infra.inbox import Dispatcher
from projectconnect.projects import handlers
from projectconnect.projects.cache import ReadCache
from projectconnect.projects.live import Publisher
from projectconnect.projects.models import Person
from projectconnect.projects.repository import PeopleRepository
from projectconnect.projects.workspaces import WorkspaceService
from projectconnect.projects.writes import Writes

EMAIL = "ann.private@example.com"


def profile(user_id: uuid.UUID, version: int, name: str | None) -> UserProfile:
    return UserProfile(user_id=user_id, email=EMAIL, display_name=name, profile_version=version)


async def apply(db: Database, change: UserProfile) -> bool:
    async with db.session() as session:
        kept = await PeopleRepository(session).apply(change, utcnow())
        await session.commit()
    return kept


async def directory(db: Database, *user_ids: uuid.UUID) -> dict[uuid.UUID, str | None]:
    async with db.session() as session:
        people = await PeopleRepository(session).get_many(user_ids)
    return {user_id: person.display_name for user_id, person in people.items()}


async def test_a_profile_is_kept_only_over_a_lower_version(db: Database) -> None:
    ann = uuid.uuid4()
    assert await apply(db, profile(ann, 2, "Ann two"))  # first seen: inserted
    assert not await apply(db, profile(ann, 1, "Ann one"))  # older: ignored
    assert not await apply(db, profile(ann, 2, "Ann two again"))  # same version: a repeat
    assert await directory(db, ann) == {ann: "Ann two"}
    assert await apply(db, profile(ann, 3, None))  # newer: kept, a cleared name too
    assert await directory(db, ann) == {ann: None}


async def test_get_many_answers_the_known_people_among_the_ids(db: Database) -> None:
    ann, bob, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await apply(db, profile(ann, 1, "Ann"))
    await apply(db, profile(bob, 4, "Bob"))
    assert await directory(db, ann, bob, stranger, ann) == {ann: "Ann", bob: "Bob"}
    assert await directory(db) == {}
    many = [uuid.uuid4() for _ in range(2 * PeopleRepository.LOOKUP_SLICE)]  # several slices
    assert await directory(db, *many, bob, ann) == {ann: "Ann", bob: "Bob"}
    async with db.session() as session:
        person = (await PeopleRepository(session).get_many([bob]))[bob]
    assert (person.email, person.profile_version) == (EMAIL, 4)


def _dispatcher(db: Database) -> Dispatcher:
    return handlers.dispatcher(
        WorkspaceService(db, Writes(db, ReadCache(MemoryCache(), ttl=60), Publisher(MemoryFeed())))
    )


async def test_events_out_of_order_and_twice_leave_the_newest_name(db: Database) -> None:
    events = _dispatcher(db)
    ann = uuid.uuid4()
    registered = user_registered(profile(ann, 1, "Ann"))
    first = user_updated(profile(ann, 2, "Ann B"))
    second = user_updated(profile(ann, 3, "Ann C"))
    for envelope in (second, registered, first, second, first, registered):
        await events.dispatch(envelope)
    assert await directory(db, ann) == {ann: "Ann C"}


async def test_a_late_event_never_brings_a_deleted_user_back(db: Database) -> None:
    events = _dispatcher(db)
    ann, bob = uuid.uuid4(), uuid.uuid4()
    await events.dispatch(user_registered(profile(ann, 1, "Ann")))
    await events.dispatch(user_registered(profile(bob, 1, "Bob")))
    await events.dispatch(user_deleted(ann))
    assert await directory(db, ann, bob) == {bob: "Bob"}

    await events.dispatch(user_updated(profile(ann, 2, "Ann again")))
    await events.dispatch(user_registered(profile(ann, 1, "Ann")))
    assert await directory(db, ann, bob) == {bob: "Bob"}


async def test_an_invalid_profile_is_permanent_and_its_values_stay_out_of_the_error(
    db: Database,
) -> None:
    events = _dispatcher(db)
    broken = Envelope(
        type="user.updated",
        version=1,
        source="auth",
        data={"user_id": "not-a-uuid", "email": EMAIL, "profile_version": 0},
    )
    with pytest.raises(PermanentError) as raised:
        await events.dispatch(broken)
    assert EMAIL not in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_personal_data_stays_out_of_reprs_and_validation_errors() -> None:
    envelope = user_updated(profile(uuid.uuid4(), 2, "Ann Secretname"))
    assert envelope.data["email"] == EMAIL
    assert EMAIL not in repr(envelope)
    assert "Secretname" not in repr(envelope)
    with pytest.raises(ValidationError) as raised:
        UserProfile.model_validate(
            {"user_id": uuid.uuid4(), "email": EMAIL, "display_name": "Secretname" * 11}
        )
    assert "display_name" in str(raised.value)
    assert "Secretname" not in str(raised.value)


async def test_database_errors_do_not_carry_the_values_bound(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ann = uuid.uuid4()
    await apply(db, profile(ann, 1, "Ann"))
    caplog.set_level(logging.INFO)
    async with db.session() as session:
        session.add(Person(user_id=ann, email=EMAIL, profile_version=1, updated_at=utcnow()))
        with pytest.raises(IntegrityError) as raised:
            await session.commit()
    assert "UNIQUE" in str(raised.value)
    assert EMAIL not in str(raised.value)
    assert EMAIL not in caplog.text
