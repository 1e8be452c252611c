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
from projectconnect.projects.models import DeletedUser, InboxEvent
from projectconnect.projects.repository import PeopleRepository, PersonRepository
from projectconnect.projects.workspaces import WorkspaceService
from projectconnect.projects.writes import Writes

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
    """Ends a deleted account here, once per event id (`WorkspaceService.end_account`)."""

    def __init__(self, writes: Writes, workspaces: WorkspaceService) -> None:
        self.writes = writes
        self.workspaces = workspaces

    async def __call__(self, envelope: Envelope) -> None:
        try:
            user_id = uuid.UUID(str(envelope.data["user_id"]))
        except (KeyError, ValueError) as exc:
            raise PermanentError("user.deleted without a valid user_id") from exc
        handled = True
        removed = 0
        try:
            async with self.writes.open(None) as unit:
                session = unit.session
                if await _already_handled(session, envelope):
                    handled = False
                    return
                await PersonRepository(session, user_id).lock()
                if await session.get(DeletedUser, user_id) is None:
                    session.add(DeletedUser(user_id=user_id, deleted_at=utcnow()))
                removed = await self.workspaces.end_account(user_id, unit)
                await PeopleRepository(session).remove(user_id)
                session.add(
                    InboxEvent(event_id=envelope.id, type=envelope.type, handled_at=utcnow())
                )
        except IntegrityError:
            # The same event handled concurrently by another consumer: it won, fine.
            logger.info("event %s handled concurrently", envelope.id)
            return
        if handled:
            logger.info("ended a deleted account: %d workspaces deleted with it", removed)


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
            person = PersonRepository(session, profile.user_id)
            await person.lock()  # the same lock as the deletion: it cannot slip in between
            if await person.is_deleted():
                outcome = "the user is deleted, ignored"
            elif await PeopleRepository(session).apply(profile, utcnow()):
                outcome = "profile kept"
            else:
                outcome = "profile not newer, ignored"
            if not await _commit_as_handled(session, envelope):
                return
        logger.info("event %s: %s", envelope.id, outcome)


def dispatcher(workspaces: WorkspaceService) -> Dispatcher:
    db = workspaces.db
    events = Dispatcher()
    events.register(USER_DELETED, 1, UserDeletedHandler(workspaces.writes, workspaces))
    events.register(USER_REGISTERED, 1, PersonChangedHandler(db))
    events.register(USER_UPDATED, 1, PersonChangedHandler(db))
    return events
