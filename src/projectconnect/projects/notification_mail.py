"""Notification mail: what was queued to be mailed (`Notification.mail_queued_at`, set as a
notification is made, `projects.notifications`) goes out as one mail per person.

A person is due when one of their queued notifications is: with `instant` mail, once it
has waited the grouping delay and their last mail is at least the gap ago (what comes
meanwhile waits for the next); with `daily`, once it was queued before the latest digest
hour (UTC); with `off`, always, to be dropped. For a person due, one transaction takes
everything queued for them, writes one mail listing those still unread and in their sight
(`notification_center.viewed`, the list's own rule) into the mail outbox, and marks them
all handled; the read, the hidden and those whose task is gone are dropped silently, and
so is everything of a person the directory has no email for. Their `NotificationMailing`
row, locked with SKIP LOCKED on PostgreSQL, is the claim: two processes never mail one
person at once (SQLite has one writer). Never in a request: one process runs `mail_once`
periodically, the one that reminds of due tasks.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.infra.db import utcnow
from projectconnect.infra.mail import mail_requested
from projectconnect.infra.outbox import Outbox
from projectconnect.projects.mails import (
    MailedNotification,
    NotificationMails,
    inbox_link,
    sentence,
    task_link,
)
from projectconnect.projects.models import Notification, NotificationMailing, Person
from projectconnect.projects.notification_center import NotificationView, viewed, views
from projectconnect.projects.notifications import DEFAULT_FREQUENCY
from projectconnect.projects.repository import is_postgres
from projectconnect.projects.writes import Writes

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MailSchedule:
    """When queued notifications are mailed (the settings `notification_mail_*`)."""

    delay: dt.timedelta = dt.timedelta(minutes=2)
    gap: dt.timedelta = dt.timedelta(minutes=10)
    digest_hour: int = 7

    def last_digest(self, now: dt.datetime) -> dt.datetime:
        """The latest digest time (UTC) at or before `now`."""
        now = now.astimezone(dt.UTC)
        today = dt.datetime.combine(now.date(), dt.time(self.digest_hour), tzinfo=dt.UTC)
        return today if today <= now else today - dt.timedelta(days=1)

    def next_digest(self, now: dt.datetime) -> dt.datetime:
        """The first digest time (UTC) after `now`."""
        return self.last_digest(now) + dt.timedelta(days=1)

    def due(self, now: dt.datetime) -> ColumnElement[bool]:
        """A queued notification that makes its person due now (over `notifications`
        outer-joined with `notification_mailings`)."""
        frequency = func.coalesce(NotificationMailing.frequency, DEFAULT_FREQUENCY)
        queued = Notification.mail_queued_at
        return and_(
            queued.is_not(None),
            or_(
                frequency == "off",
                and_(
                    frequency == "instant",
                    queued <= now - self.delay,
                    or_(
                        NotificationMailing.last_mailed_at.is_(None),
                        NotificationMailing.last_mailed_at <= now - self.gap,
                    ),
                ),
                and_(frequency == "daily", queued <= self.last_digest(now)),
            ),
        )


class NotificationMail:
    """Mails people what was queued for them, as `MailSchedule` says when."""

    def __init__(
        self,
        writes: Writes,
        mail_outbox: Outbox,
        *,
        public_url: str,
        schedule: MailSchedule | None = None,
        mails: NotificationMails | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        batch: int = 100,
    ) -> None:
        self.writes = writes
        self.mail_outbox = mail_outbox
        self.public_url = public_url
        self.schedule = schedule or MailSchedule()
        self.mails = mails or NotificationMails()
        self.clock = clock
        self.batch = batch

    async def mail_once(self) -> int:
        """Every person due now handled, each in a transaction of their own; how many
        mails were written. One person's failure is logged and leaves what was queued for
        them to the next run; the others go on."""
        now = self.clock()
        looked_at: set[uuid.UUID] = set()
        mailed = 0
        while True:
            async with self.writes.db.session() as session:
                people = list(await session.scalars(self._due_people(now, looked_at)))
            for person in people:
                looked_at.add(person)
                try:
                    async with self.writes.open(None) as unit:
                        mailed += await self._mail(unit.session, person, now)
                except Exception:
                    # Rolled back: what was queued for them stays queued, for the next run.
                    # The others are not held up by one person's mail.
                    logger.exception("notification mail for %s failed", person)
            if len(people) < self.batch:
                break
        if mailed:
            logger.info("notification mail: %d", mailed)
        return mailed

    def _due_people(self, now: dt.datetime, but: set[uuid.UUID]) -> Select[uuid.UUID]:
        statement = (
            select(Notification.user_id)
            .outerjoin(NotificationMailing, NotificationMailing.user_id == Notification.user_id)
            .where(self.schedule.due(now))
            .distinct()
            .limit(self.batch)
        )
        if but:
            statement = statement.where(Notification.user_id.not_in(but))
        return statement

    async def _mail(self, session: AsyncSession, person: uuid.UUID, now: dt.datetime) -> int:
        """The person's queued notifications, mailed (1) or dropped (0), if they are due
        and no other process is at it."""
        mailing = await _claim(session, person)
        if mailing is None:
            return 0
        still_due = exists().where(
            Notification.user_id == person,
            NotificationMailing.user_id == Notification.user_id,
            self.schedule.due(now),
        )
        if not await session.scalar(select(still_due)):
            return 0
        queued = list(
            await session.scalars(
                select(Notification.id).where(
                    Notification.user_id == person, Notification.mail_queued_at.is_not(None)
                )
            )
        )
        await session.execute(
            update(Notification)
            .where(Notification.id.in_(queued))
            .values(mail_queued_at=None)
            .execution_options(synchronize_session=False)
        )
        if mailing.frequency == "off":
            return 0
        recipient = await session.get(Person, person)
        unread = viewed(person, now).where(
            Notification.id.in_(queued), Notification.read_at.is_(None)
        )
        items = [
            item
            for view in await views(session, unread.order_by(Notification.created_at))
            if (item := self._item(view)) is not None
        ]
        if recipient is None or not items:
            return 0
        message = self.mails.notifications(
            recipient.email,
            display_name=recipient.display_name,
            items=items,
            daily=mailing.frequency == "daily",
            inbox=inbox_link(self.public_url),
        )
        await self.mail_outbox.add(session, mail_requested(message, source="projects"))
        mailing.last_mailed_at = now
        return 1

    def _item(self, view: NotificationView) -> MailedNotification | None:
        """Its line in the mail; none once its task is out of sight."""
        n = view.notification
        if view.task_title is None or n.project_id is None or n.task_id is None:
            return None
        words = sentence(
            n.kind,
            actor=view.actor_name,
            task=view.task_title,
            in_comment=view.comment_id is not None,
            due_date=n.due_date,
        )
        return MailedNotification(words, task_link(self.public_url, n.project_id, n.task_id))


async def _claim(session: AsyncSession, person: uuid.UUID) -> NotificationMailing | None:
    """The person's mail state, locked for this transaction; None while another holds it."""
    dialect = postgresql if is_postgres(session) else sqlite
    await session.execute(
        dialect.insert(NotificationMailing).values(user_id=person).on_conflict_do_nothing()
    )
    claimed = await session.scalars(
        select(NotificationMailing)
        .where(NotificationMailing.user_id == person)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return claimed.one_or_none()
