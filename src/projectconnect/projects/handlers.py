"""What the projects service does when other services' events arrive."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.exc import IntegrityError

from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.events import USER_DELETED, Envelope
from projectconnect.infra.faults import PermanentError
from projectconnect.infra.inbox import Dispatcher
from projectconnect.projects.cache import OwnerReadCache
from projectconnect.projects.models import DeletedUser, InboxEvent
from projectconnect.projects.repository import OwnerRepository

logger = logging.getLogger(__name__)


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
            if await session.get(InboxEvent, envelope.id) is not None:
                logger.info("event %s already handled", envelope.id)
                return
            owners = OwnerRepository(session, user_id)
            await owners.lock()
            if await session.get(DeletedUser, user_id) is None:
                session.add(DeletedUser(user_id=user_id, deleted_at=utcnow()))
            removed = await owners.delete_all_projects()
            session.add(InboxEvent(event_id=envelope.id, type=envelope.type, handled_at=utcnow()))
            try:
                await session.commit()
            except IntegrityError:
                # The same event handled concurrently by another consumer: it won, fine.
                logger.info("event %s handled concurrently", envelope.id)
                return
        await self.read_cache.invalidate(user_id)
        logger.info("deleted %d projects of a deleted account", removed)


def dispatcher(db: Database, read_cache: OwnerReadCache) -> Dispatcher:
    events = Dispatcher()
    events.register(USER_DELETED, 1, UserDeletedHandler(db, read_cache))
    return events
