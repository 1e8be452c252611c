"""What the projects service does when other services' events arrive."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from projectconnect.infra.db import utcnow
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
from projectconnect.projects.notifications import forget
from projectconnect.projects.repository import PeopleRepository, PersonRepository
from projectconnect.projects.workspaces import WorkspaceService
from projectconnect.projects.writes import Unit, Writes

logger = logging.getLogger(__name__)


async def handle_once(
    writes: Writes, envelope: Envelope, effect: Callable[[Unit], Awaitable[str]]
) -> None:
    """Run `effect` and record the event as handled in the same commit (the inbox): a
    redelivered event, or one another consumer handles at the same moment, changes nothing.
    `effect` says what it did, for the log."""
    try:
        async with writes.open(None) as unit:
            if await unit.session.get(InboxEvent, envelope.id) is not None:
                outcome = "already handled"
            else:
                outcome = await effect(unit)
                unit.session.add(
                    InboxEvent(event_id=envelope.id, type=envelope.type, handled_at=utcnow())
                )
    except IntegrityError:
        outcome = "handled concurrently by another consumer"
    logger.info("event %s: %s", envelope.id, outcome)


class UserDeletedHandler:
    """Ends a deleted account here (`WorkspaceService.end_account`), once per event id."""

    def __init__(self, workspaces: WorkspaceService) -> None:
        self.workspaces = workspaces

    async def __call__(self, envelope: Envelope) -> None:
        try:
            user_id = uuid.UUID(str(envelope.data["user_id"]))
        except (KeyError, ValueError) as exc:
            raise PermanentError("user.deleted without a valid user_id") from exc

        async def end_account(unit: Unit) -> str:
            session = unit.session
            # The same lock as every write of theirs: none slips in between.
            await PersonRepository(session, user_id).lock()
            if await session.get(DeletedUser, user_id) is None:
                session.add(DeletedUser(user_id=user_id, deleted_at=utcnow()))
            removed = await self.workspaces.end_account(user_id, unit)
            await PeopleRepository(session).remove(user_id)
            await forget(session, user_id)
            return f"account ended, {removed} workspaces deleted with it"

        await handle_once(self.workspaces.writes, envelope, end_account)


class PersonChangedHandler:
    """Keeps the directory's copy of a user's profile from `user.registered`/`user.updated`.

    Once per event id; the newest `profile_version` wins whatever the order of arrival,
    and a user already deleted is never brought back by a late event.
    """

    def __init__(self, writes: Writes) -> None:
        self.writes = writes

    async def __call__(self, envelope: Envelope) -> None:
        try:
            profile = UserProfile.model_validate(envelope.data)
        except ValidationError:
            # Not chained: the payload carries personal data, and failures are logged.
            raise PermanentError(f"{envelope.type} without a valid profile") from None

        async def keep(unit: Unit) -> str:
            person = PersonRepository(unit.session, profile.user_id)
            await person.lock()  # the same lock as the deletion: it cannot slip in between
            if await person.is_deleted():
                return "the user is deleted, ignored"
            if await PeopleRepository(unit.session).apply(profile, utcnow()):
                return "profile kept"
            return "profile not newer, ignored"

        await handle_once(self.writes, envelope, keep)


def dispatcher(workspaces: WorkspaceService) -> Dispatcher:
    events = Dispatcher()
    events.register(USER_DELETED, 1, UserDeletedHandler(workspaces))
    events.register(USER_REGISTERED, 1, PersonChangedHandler(workspaces.writes))
    events.register(USER_UPDATED, 1, PersonChangedHandler(workspaces.writes))
    return events
