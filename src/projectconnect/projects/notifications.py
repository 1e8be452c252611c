"""Who is notified of what: the one place that decides.

The use cases hand `Notifier` the change they make, inside their unit (`projects/writes.py`),
so a notification commits or rolls back with its change; the periodic `DueReminders` makes
the reminders. The kinds:

- `assigned`: each person a task's creation or change assigns (not those already on it);
- `commented`: a new comment on a task tells the task's assignees and its creator;
- `mentioned`: a comment or a task description that names a member as `<@USER_ID>` (what
  the front end's picker inserts) tells them; an edit tells only those it newly names;
  whatever else the text holds, the id of someone outside the workspace included, is text;
- `invited`: an invitation to an email that the directory of people knows tells its person;
- `due_soon`, `overdue`: an open task (neither done nor cancelled, not in the trash) due
  tomorrow, or before today (UTC), tells its assignees, once per task, kind and due date.

Over all of them: nobody is told of their own action; only members of the workspace are
told (an invitation's person excepted); one change tells a person once, of the first kind
in `KINDS` that their preferences leave on; a kind someone turned off is not made. Each
notification is announced to its recipient's live streams after the commit
(`Notice("notification", id, user_id=recipient)`). One of a kind in `MAIL_KINDS` is queued
to be mailed (`mail_queued_at`) when its person wants mail of that kind and their mail is
not off, as decided when it is made; `projects.notification_mail` sends it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

from sqlalchemy import ColumnElement, delete, exists, func, or_, select, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.infra.db import utcnow
from projectconnect.projects.listing import CLOSED, STATUS_ORDER
from projectconnect.projects.live import Notice, announce
from projectconnect.projects.models import (
    Comment,
    Invitation,
    Membership,
    Notification,
    NotificationMailing,
    NotificationPreference,
    Person,
    Project,
    Task,
    TaskAssignee,
)
from projectconnect.projects.repository import is_postgres
from projectconnect.projects.writes import Writes

logger = logging.getLogger(__name__)

# Strongest first: when one change gives a person several reasons, the first one on wins.
Kind = Literal["assigned", "mentioned", "commented", "invited", "due_soon", "overdue"]
KINDS: Final[tuple[Kind, ...]] = get_args(Kind)
# The kinds that may be mailed: an invitation is mailed on its own (`workspaces.invite`).
MAIL_KINDS: Final[tuple[Kind, ...]] = tuple(kind for kind in KINDS if kind != "invited")

# How often a person is mailed: soon after each notification, once a day, or never.
Frequency = Literal["instant", "daily", "off"]
FREQUENCIES: Final[tuple[Frequency, ...]] = get_args(Frequency)
DEFAULT_FREQUENCY: Final[Frequency] = "instant"

# `<@USER_ID>`: a mention, as the front end's picker writes it and renders it (a name).
MENTION: Final = re.compile(
    r"<@([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})>"
)


def mentions(text: str | None) -> set[uuid.UUID]:
    """The user ids a text names as `<@USER_ID>` (any case; each once)."""
    if not text:
        return set()
    return {uuid.UUID(found) for found in MENTION.findall(text)}


def choose(
    reasons: Mapping[uuid.UUID, Collection[Kind]],
    *,
    actor: uuid.UUID | None,
    allowed: Collection[uuid.UUID],
    off: Collection[tuple[uuid.UUID, str]],
) -> dict[uuid.UUID, Kind]:
    """Who is told, and of which kind: of the people with `reasons`, those `allowed` (the
    members), never the `actor`, each once, of their strongest kind not turned `off`."""
    told: dict[uuid.UUID, Kind] = {}
    for person, kinds in reasons.items():
        if person == actor or person not in allowed:
            continue
        kept = [k for k in KINDS if k in kinds and (person, k) not in off]
        if kept:
            told[person] = kept[0]
    return told


@dataclass(frozen=True, slots=True)
class Choices:
    """Some people's choices that are not the default (on): the kinds each turned off in
    the app, and for mail; and those whose mail is off altogether."""

    in_app_off: frozenset[tuple[uuid.UUID, str]]
    mail_off: frozenset[tuple[uuid.UUID, str]]
    unmailed: frozenset[uuid.UUID]

    def mailed(self, person: uuid.UUID, kind: Kind) -> bool:
        """Whether a notification of `kind` made now is to be mailed to `person`."""
        return (
            kind in MAIL_KINDS
            and person not in self.unmailed
            and (person, kind) not in self.mail_off
        )


@dataclass(frozen=True, slots=True)
class Target:
    """What a notification points at."""

    workspace_id: uuid.UUID
    project_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None
    comment_id: uuid.UUID | None = None
    invitation_id: uuid.UUID | None = None


class Notifier:
    """Tells people of a change, in the session of the change, all at its time."""

    def __init__(self, session: AsyncSession, actor_id: uuid.UUID | None, at: dt.datetime) -> None:
        self.session = session
        self.actor_id = actor_id
        self.at = at

    async def task_written(
        self,
        task: Task,
        *,
        assignees_before: Collection[uuid.UUID],
        assignees_after: Collection[uuid.UUID],
        description_before: str | None,
    ) -> None:
        """A task made or changed: who it newly assigns, and who its description newly names."""
        reasons: dict[uuid.UUID, set[Kind]] = {}
        for person in set(assignees_after) - set(assignees_before):
            reasons.setdefault(person, set()).add("assigned")
        for person in mentions(task.description) - mentions(description_before):
            reasons.setdefault(person, set()).add("mentioned")
        await self._tell(reasons, Target(task.workspace_id, task.project_id, task.id))

    async def comment_written(
        self, project: Project, comment: Comment, *, body_before: str | None = None
    ) -> None:
        """A new comment (`body_before` None) tells its task's assignees and creator; a
        comment, new or edited, tells whom it newly names."""
        reasons: dict[uuid.UUID, set[Kind]] = {}
        if body_before is None:
            for person in await _followers(self.session, comment.task_id):
                reasons.setdefault(person, set()).add("commented")
        for person in mentions(comment.body) - mentions(body_before):
            reasons.setdefault(person, set()).add("mentioned")
        target = Target(project.workspace_id, project.id, comment.task_id, comment.id)
        await self._tell(reasons, target)

    async def invited(self, invitation: Invitation) -> None:
        """An invitation tells the person whose email it is, when the directory knows them."""
        found = await self.session.scalars(
            select(Person.user_id).where(func.lower(Person.email) == invitation.email.lower())
        )
        reasons: dict[uuid.UUID, set[Kind]] = {person: {"invited"} for person in found}
        target = Target(invitation.workspace_id, invitation_id=invitation.id)
        await self._tell(reasons, target, members_only=False)

    async def _tell(
        self,
        reasons: Mapping[uuid.UUID, Collection[Kind]],
        target: Target,
        *,
        members_only: bool = True,
    ) -> None:
        wanted = set(reasons) - {self.actor_id}
        if not wanted:
            return
        allowed = (
            await _members_among(self.session, target.workspace_id, wanted)
            if members_only
            else wanted
        )
        chosen = await choices_of(self.session, wanted)
        told = choose(reasons, actor=self.actor_id, allowed=allowed, off=chosen.in_app_off)
        for person, kind in told.items():
            notification = Notification(
                id=uuid.uuid4(),
                user_id=person,
                kind=kind,
                workspace_id=target.workspace_id,
                project_id=target.project_id,
                task_id=target.task_id,
                comment_id=target.comment_id,
                invitation_id=target.invitation_id,
                actor_id=self.actor_id,
                created_at=self.at,
                mail_queued_at=self.at if chosen.mailed(person, kind) else None,
            )
            self.session.add(notification)
            announce(self.session, created(notification.id, person))


def created(notification_id: uuid.UUID, recipient: uuid.UUID) -> Notice:
    return Notice("notification", notification_id, None, "created", user_id=recipient)


async def _followers(session: AsyncSession, task_id: uuid.UUID) -> set[uuid.UUID]:
    """A task's creator and assignees, in one statement (the write found the task)."""
    creator = select(Task.created_by).where(Task.id == task_id)
    assignees = select(TaskAssignee.user_id).where(TaskAssignee.task_id == task_id)
    return set((await session.scalars(union(creator, assignees))).all())


async def _members_among(
    session: AsyncSession, workspace_id: uuid.UUID, people: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    statement = select(Membership.user_id).where(
        Membership.workspace_id == workspace_id, Membership.user_id.in_(people)
    )
    return set((await session.scalars(statement)).all())


async def choices_of(session: AsyncSession, people: Collection[uuid.UUID]) -> Choices:
    turned_off = select(
        NotificationPreference.user_id,
        NotificationPreference.kind,
        NotificationPreference.in_app,
        NotificationPreference.mail,
    ).where(
        NotificationPreference.user_id.in_(people),
        or_(NotificationPreference.in_app.is_(False), NotificationPreference.mail.is_(False)),
    )
    rows = (await session.execute(turned_off)).all()
    unmailed = await session.scalars(
        select(NotificationMailing.user_id).where(
            NotificationMailing.user_id.in_(people), NotificationMailing.frequency == "off"
        )
    )
    return Choices(
        in_app_off=frozenset((person, kind) for person, kind, in_app, _ in rows if not in_app),
        mail_off=frozenset((person, kind) for person, kind, _, mail in rows if not mail),
        unmailed=frozenset(unmailed),
    )


async def forget(session: AsyncSession, user_id: uuid.UUID) -> None:
    """A deleted account's notifications, preferences and mail state go with it."""
    await session.execute(delete(Notification).where(Notification.user_id == user_id))
    await session.execute(
        delete(NotificationPreference).where(NotificationPreference.user_id == user_id)
    )
    await session.execute(delete(NotificationMailing).where(NotificationMailing.user_id == user_id))


# Statuses whose tasks are reminded of: every one but done and cancelled.
OPEN: Final = tuple(status for status in STATUS_ORDER if status not in CLOSED)
# How long after its due date a task is still reminded of as overdue. The job runs every
# few minutes, so a task is reminded of the day after it fell due; the bound is for what
# arrives already late (an import, an upgrade, the job down for days): a million tasks
# overdue for months are not a million notifications, and the scan stays a short range.
OVERDUE_WITHIN: Final = dt.timedelta(days=7)


class DueReminders:
    """`due_soon` for open tasks due tomorrow, `overdue` for those due before today (UTC)
    but not before `OVERDUE_WITHIN`, to each assignee, once per task, kind and due date: a
    unique index keeps it so when runs overlap. One process runs `remind_once`
    periodically, the one that purges the trash."""

    def __init__(
        self,
        writes: Writes,
        clock: Callable[[], dt.datetime] = utcnow,
        *,
        batch: int = 500,
    ) -> None:
        self.writes = writes
        self.clock = clock
        self.batch = batch

    async def remind_once(self) -> int:
        """The reminders due now, made and announced; how many."""
        today = self.clock().astimezone(dt.UTC).date()
        made = 0
        due: dict[Kind, ColumnElement[bool]] = {
            "due_soon": Task.due_date == today + dt.timedelta(days=1),
            "overdue": Task.due_date.between(today - OVERDUE_WITHIN, today - dt.timedelta(days=1)),
        }
        for kind, when in due.items():
            while True:
                # One unit per batch: the transactions stay short, each announced on commit.
                async with self.writes.open(None) as unit:
                    wanted, given = await self._remind(unit.session, kind, when)
                made += given
                if wanted < self.batch:
                    break
        if made:
            logger.info("due reminders: %d", made)
        return made

    async def _remind(
        self, session: AsyncSession, kind: Kind, when: ColumnElement[bool]
    ) -> tuple[int, int]:
        """Up to a batch of the reminders of `kind` not given yet: (wanted, given)."""
        already = exists().where(
            Notification.user_id == TaskAssignee.user_id,
            Notification.task_id == Task.id,
            Notification.kind == kind,
            Notification.due_date == Task.due_date,
        )
        off = exists().where(
            NotificationPreference.user_id == TaskAssignee.user_id,
            NotificationPreference.kind == kind,
            NotificationPreference.in_app.is_(False),
        )
        statement = (
            select(TaskAssignee.user_id, Task.id, Task.project_id, Task.workspace_id, Task.due_date)
            .select_from(Task)
            .join(TaskAssignee, TaskAssignee.task_id == Task.id)
            .join(Project, Project.id == Task.project_id)
            .where(
                Task.status.in_(OPEN),
                when,
                Task.due_date.is_not(None),
                Task.deleted_at.is_(None),
                Project.deleted_at.is_(None),
                ~already,
                ~off,
            )
            .limit(self.batch)
        )
        rows = (await session.execute(statement)).all()
        if not rows:
            return 0, 0
        now = self.clock()
        chosen = await choices_of(session, {person for person, *_ in rows})
        values = [
            {
                "id": uuid.uuid4(),
                "user_id": person,
                "kind": kind,
                "workspace_id": workspace_id,
                "project_id": project_id,
                "task_id": task_id,
                "due_date": due_date,
                "created_at": now,
                "mail_queued_at": now if chosen.mailed(person, kind) else None,
            }
            for person, task_id, project_id, workspace_id, due_date in rows
        ]
        dialect = postgresql if is_postgres(session) else sqlite
        # A concurrent run that gave the same reminder first wins; this one skips it.
        insert = (
            dialect.insert(Notification)
            .values(values)
            .on_conflict_do_nothing()
            .returning(Notification.id, Notification.user_id)
        )
        given = (await session.execute(insert)).all()
        announce(session, *(created(n, person) for n, person in given))
        return len(rows), len(given)


def by_kind(choices: Iterable[tuple[str, bool]], kinds: Iterable[Kind] = KINDS) -> dict[Kind, bool]:
    """Every one of `kinds` with a person's choice for it, on where they made none."""
    chosen = dict(choices)
    return {kind: chosen.get(kind, True) for kind in kinds}
