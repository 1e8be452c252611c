"""What the projects service does when other services' events arrive."""

from __future__ import annotations

import logging
import uuid

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.events import (
    USER_DELETED,
    USER_REGISTERED,
    USER_UPDATED,
    Envelope,
    UserProfile,
)
from projectconnect.infra.faults import PermanentError
from projectconnect.infra.inbox import Dispatcher
from projectconnect.projects.cache import OwnerReadCache
from projectconnect.projects.models import DeletedUser, InboxEvent
from projectconnect.projects.repository import OwnerRepository, PeopleRepository

logger = logging.getLogger(__name__)


async def _already_handled(session: AsyncSession, envelope: Envelope) -> bool:
    if await session.get(InboxEvent, envelope.id) is None:
        return False
    logger.info("event %s already handled", envelope.id)
    return True


async def _commit_as_handled(session: AsyncSession, envelope: Envelope) -> bool:
    """Commit the event's effect with its inbox record; False if another consumer won."""
    session.add(InboxEvent(event_id=envelope.id, type=envelope.type, handled_at=utcnow()))
    try:
        await session.commit()
    except IntegrityError:
        # The same event handled concurrently by another consumer: it won, fine.
        logger.info("event %s handled concurrently", envelope.id)
        return False
    return True


class UserDeletedHandler:
    """Deletes every project and task of a deleted user, once per event id."""

    def __init__(self, db: Database, read_cache: OwnerReadCache) -> None:
        self.db = db
        self.read_cache = read_cache

    async def __call__(self, envelope: Envelope) -> None:
        try:
            user_id = uuid.UUID(str(envelope.data["user_id"]))
        except (KeyError, ValueError) as exc:
            raise PermanentError("user.deleted without a valid user_id") from exc
        async with self.db.session() as session:
            if await _already_handled(session, envelope):
                return
            owners = OwnerRepository(session, user_id)
            await owners.lock()
            if await session.get(DeletedUser, user_id) is None:
                session.add(DeletedUser(user_id=user_id, deleted_at=utcnow()))
            removed = await owners.delete_all_projects()
            await PeopleRepository(session).remove(user_id)
            if not await _commit_as_handled(session, envelope):
                return
        await self.read_cache.invalidate(user_id)
        logger.info("deleted %d projects of a deleted account", removed)


class PersonChangedHandler:
    """Keeps the directory's copy of a user's profile from `user.registered`/`user.updated`.

    Once per event id; the newest `profile_version` wins whatever the order of arrival,
    and a user already deleted is never brought back by a late event.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(self, envelope: Envelope) -> None:
        try:
            profile = UserProfile.model_validate(envelope.data)
        except ValidationError:
            # Not chained: the payload carries personal data, and failures are logged.
            raise PermanentError(f"{envelope.type} without a valid profile") from None
        async with self.db.session() as session:
            if await _already_handled(session, envelope):
                return
            owners = OwnerRepository(session, profile.user_id)
            await owners.lock()  # the same lock as the deletion: it cannot slip in between
            if await owners.is_deleted():
                outcome = "the user is deleted, ignored"
            elif await PeopleRepository(session).apply(profile, utcnow()):
                outcome = "profile kept"
            else:
                outcome = "profile not newer, ignored"
            if not await _commit_as_handled(session, envelope):
                return
        logger.info("event %s: %s", envelope.id, outcome)


def dispatcher(db: Database, read_cache: OwnerReadCache) -> Dispatcher:
    events = Dispatcher()
    events.register(USER_DELETED, 1, UserDeletedHandler(db, read_cache))
    events.register(USER_REGISTERED, 1, PersonChangedHandler(db))
    events.register(USER_UPDATED, 1, PersonChangedHandler(db))
    return events
