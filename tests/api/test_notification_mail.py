"""Notification mail: one mail per person of what was queued for them, when it is due
(`projects.notification_mail`), and the preferences that say which and how often.

The job is driven here with a clock of its own, on the backend's database: what it writes
into the mail outbox is recorded as it is written (what was not written was not mailed),
and the service relays it to the backend's mailbox like any other mail.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from projectconnect.infra.cache import CacheBackend
from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.events import Envelope
from projectconnect.infra.feed import MemoryFeed
from projectconnect.infra.mail import MailMessage
from projectconnect.infra.outbox import Outbox
from projectconnect.projects.cache import ReadCache
from projectconnect.projects.live import Publisher
from projectconnect.projects.mails import NotificationMails
from projectconnect.projects.models import (
    MailOutboxMessage,
    Notification,
    NotificationMailing,
    NotificationPreference,
)
from projectconnect.projects.notification_mail import MailSchedule, NotificationMail
from projectconnect.projects.writes import Writes
from tests.api.test_notifications import (
    ALL_ON,
    Team,
    comment,
    known_to_projects,
    make_team,
    new_task,
    read_all,
    told,
    unread,
)
from tests.api.test_projects import invalid_fields
from tests.conftest import Backend
from tests.support.accounts import Account
from tests.support.mail import html_of, mail_to, mails_to, text_of
from tests.support.waiting import eventually

PUBLIC_URL = "https://app.pc.test"
SCHEDULE = MailSchedule()  # 2 minutes' delay, 10 minutes' gap, digests at 07:00 UTC
MAIL_ON = {k: v for k, v in ALL_ON.items() if k != "invited"}


class RecordedOutbox(Outbox):
    """The mail outbox, keeping a copy of each mail written into it."""

    def __init__(self) -> None:
        super().__init__(MailOutboxMessage)
        self.mails: list[MailMessage] = []

    async def add(self, session: AsyncSession, envelope: Envelope) -> None:
        self.mails.append(MailMessage.model_validate(envelope.data))
        await super().add(session, envelope)

    def to(self, who: Account) -> list[MailMessage]:
        return [m for m in self.mails if who.email.lower() in (t.lower() for t in m.to)]


class MailJob:
    """The mail job on the backend's database, run at a time of the test's choosing."""

    def __init__(self, writes: Writes) -> None:
        self.outbox = RecordedOutbox()
        self.writes = writes

    async def run_at(self, at: dt.datetime, mails: NotificationMails | None = None) -> int:
        job = NotificationMail(
            self.writes,
            self.outbox,
            public_url=PUBLIC_URL,
            schedule=SCHEDULE,
            clock=lambda: at,
            mails=mails,
        )
        return await job.mail_once()


@asynccontextmanager
async def mail_job(backend: Backend) -> AsyncIterator[MailJob]:
    assert backend.projects_url is not None
    db = Database(backend.projects_url, name="mail-test", pool_size=1)
    cache = ReadCache(CacheBackend(None).named("projects"), ttl=60)
    try:
        yield MailJob(Writes(db, cache, Publisher(MemoryFeed())))
    finally:
        await db.dispose()


def soon() -> dt.datetime:
    """Past the grouping delay of whatever was made until now."""
    return utcnow() + SCHEDULE.delay + dt.timedelta(minutes=1)


async def team_with_mail(api: httpx.AsyncClient) -> Team:
    team = await make_team(api)
    for person in (team.owner, team.ann, team.bob):  # their names and emails, for the mail
        await known_to_projects(api, person)
    return team


async def preferences(api: httpx.AsyncClient, who: Account, **body: Any) -> dict[str, Any]:
    response = await api.put("/notifications/preferences", json=body, headers=who.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def actor_name(api: httpx.AsyncClient, who: Account) -> str:
    """The name the person's newest notification gives its actor (the directory's)."""
    name: str = (await unread(api, who))[0]["actor"]["name"]
    return name


async def test_an_assignment_is_mailed_once_with_a_link_to_its_task(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    assert backend.mailbox is not None
    team = await team_with_mail(api)
    task = await new_task(api, team.owner, team, title="Fix login", assignees=[team.ann.id])
    owner = await actor_name(api, team.ann)
    async with mail_job(backend) as job:
        await job.run_at(utcnow() + dt.timedelta(seconds=30))  # within the delay: waits
        assert job.outbox.to(team.ann) == []
        await job.run_at(soon())
        await job.run_at(soon())  # once handled, never again
        (written,) = job.outbox.to(team.ann)

    subject = f"{owner} assigned you \u2018Fix login\u2019"
    assert written.subject == subject
    mail = await mail_to(backend.mailbox, team.ann.email, "assigned you")
    assert mail["Subject"] == subject
    link = f"{PUBLIC_URL}/p/{team.project['id']}/t/{task['id']}"
    assert link in text_of(mail)
    assert f'href="{link}"' in html_of(mail)
    assert f"{PUBLIC_URL}/inbox" in text_of(mail)
    assert f'href="{PUBLIC_URL}/inbox"' in html_of(mail)
    # The link leads to the task, which the assignee can open.
    found = re.search(r"/p/([0-9a-f-]{36})/t/([0-9a-f-]{36})", text_of(mail))
    assert found is not None
    opened = await api.get(
        f"/projects/{found.group(1)}/tasks/{found.group(2)}", headers=team.ann.headers
    )
    assert opened.status_code == 200
    assert opened.json()["title"] == "Fix login"


async def test_notifications_close_together_go_in_one_mail_listing_each(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    assert backend.mailbox is not None
    team = await team_with_mail(api)
    task = await new_task(api, team.owner, team, title="Ship it", assignees=[team.ann.id])
    await comment(api, team.bob, task, "Looks good")
    async with mail_job(backend) as job:
        await job.run_at(soon())
        (written,) = job.outbox.to(team.ann)

    assert written.subject == "2 new notifications on Project Connect"
    mail = await mail_to(backend.mailbox, team.ann.email, "2 new notifications")
    text = text_of(mail)
    assert "assigned you \u2018Ship it\u2019" in text
    assert "commented on \u2018Ship it\u2019" in text
    assert text.index("assigned you") < text.index("commented on")  # oldest first
    assert text.count(f"/p/{team.project['id']}/t/{task['id']}") == 2


async def test_what_is_read_in_the_app_before_it_is_due_is_not_mailed(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    team = await team_with_mail(api)
    await new_task(api, team.owner, team, assignees=[team.ann.id, team.bob.id])
    await read_all(api, team.ann)
    async with mail_job(backend) as job:
        await job.run_at(soon())
        assert job.outbox.to(team.ann) == []
        assert len(job.outbox.to(team.bob)) == 1  # the other assignee's is mailed
        await job.run_at(soon() + dt.timedelta(hours=1))
        assert job.outbox.to(team.ann) == []


async def test_a_kind_whose_mail_is_off_is_made_in_the_app_but_not_mailed(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    team = await team_with_mail(api)
    await preferences(api, team.ann, mail={"assigned": False})
    task = await new_task(api, team.owner, team, assignees=[team.ann.id])
    assert await told(api, team.ann) == [("assigned", task["id"])]
    async with mail_job(backend) as job:
        await job.run_at(soon())
        assert job.outbox.to(team.ann) == []
        await comment(api, team.bob, task, "Another kind")  # still mailed
        await job.run_at(soon())
        (written,) = job.outbox.to(team.ann)
    assert "commented on" in written.subject


async def test_mail_off_sends_nothing(api: httpx.AsyncClient, backend: Backend) -> None:
    team = await team_with_mail(api)
    task = await new_task(api, team.owner, team, assignees=[team.ann.id])
    # Queued before mail was turned off: dropped too.
    await preferences(api, team.ann, mail_frequency="off")
    await comment(api, team.bob, task, "Anyone?")
    assert len(await told(api, team.ann)) == 2
    async with mail_job(backend) as job:
        await job.run_at(soon())
        await job.run_at(soon() + dt.timedelta(days=2))
        assert job.outbox.to(team.ann) == []


async def test_a_daily_summary_comes_at_the_digest_hour_and_not_before(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    assert backend.mailbox is not None
    team = await team_with_mail(api)
    await preferences(api, team.ann, mail_frequency="daily")
    task = await new_task(api, team.owner, team, title="Plan", assignees=[team.ann.id])
    await comment(api, team.bob, task, "Soon")
    digest = SCHEDULE.next_digest(utcnow())
    async with mail_job(backend) as job:
        await job.run_at(digest - dt.timedelta(minutes=1))
        assert job.outbox.to(team.ann) == []
        await job.run_at(digest + dt.timedelta(minutes=1))
        await job.run_at(digest + dt.timedelta(minutes=2))
        (written,) = job.outbox.to(team.ann)

    assert written.subject == "Your daily summary: 2 notifications"
    mail = await mail_to(backend.mailbox, team.ann.email, "Your daily summary")
    assert "assigned you \u2018Plan\u2019" in text_of(mail)
    assert "commented on \u2018Plan\u2019" in text_of(mail)


async def test_a_second_mail_within_the_gap_waits_and_then_holds_what_came(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    assert backend.mailbox is not None
    team = await team_with_mail(api)
    await new_task(api, team.owner, team, title="First", assignees=[team.ann.id])
    first = soon()
    async with mail_job(backend) as job:
        await job.run_at(first)
        assert len(job.outbox.to(team.ann)) == 1
        await new_task(api, team.owner, team, title="Second", assignees=[team.ann.id])
        await job.run_at(first + SCHEDULE.delay + dt.timedelta(minutes=1))  # within the gap
        assert len(job.outbox.to(team.ann)) == 1
        await job.run_at(first + SCHEDULE.gap + dt.timedelta(seconds=1))
        assert len(job.outbox.to(team.ann)) == 2
        second = job.outbox.to(team.ann)[1]

    assert second.subject.endswith("assigned you \u2018Second\u2019")
    mailbox = backend.mailbox

    def assignments() -> list[str]:
        subjects = (str(m["Subject"]) for m in mails_to(mailbox, team.ann.email))
        return [s.split(" assigned you ")[1] for s in subjects if " assigned you " in s]

    await eventually(lambda: len(assignments()) >= 2, 20.0, message="the second mail")
    assert assignments() == [
        "\u2018First\u2019",
        "\u2018Second\u2019",
    ]


class FailingFor(NotificationMails):
    """Mail that cannot be written for one address."""

    def __init__(self, email: str) -> None:
        super().__init__()
        self.email = email

    def notifications(self, email: str, **rest: Any) -> MailMessage:
        if email == self.email:
            raise RuntimeError(f"no mail for {email}")
        return super().notifications(email, **rest)


async def test_one_persons_failed_mail_holds_up_no_one_and_is_tried_again(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    team = await team_with_mail(api)
    await new_task(api, team.owner, team, title="Both", assignees=[team.ann.id, team.bob.id])
    async with mail_job(backend) as job:
        assert await job.run_at(soon(), mails=FailingFor(team.ann.email)) == 1
        assert job.outbox.to(team.ann) == []
        assert len(job.outbox.to(team.bob)) == 1
        assert await job.run_at(soon()) == 1  # what was queued for Ann stayed queued
        (written,) = job.outbox.to(team.ann)
    assert "\u2018Both\u2019" in written.subject


async def test_two_jobs_at_once_mail_each_person_once(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    team = await team_with_mail(api)
    for person in (team.ann, team.bob):  # their mail state exists: nothing else holds it
        await preferences(api, person, mail_frequency="instant")
    for title in ("One", "Two", "Three"):
        await new_task(api, team.owner, team, title=title, assignees=[team.ann.id, team.bob.id])
    at = soon()
    async with mail_job(backend) as one, mail_job(backend) as other:
        for job in (one, other):  # connected, so the two runs overlap
            await job.run_at(utcnow() - dt.timedelta(days=1))
        await asyncio.gather(one.run_at(at), other.run_at(at))
        for person in (team.ann, team.bob):
            mailed = one.outbox.to(person) + other.outbox.to(person)
            assert [m.subject for m in mailed] == ["3 new notifications on Project Connect"]


async def test_preferences_default_on_and_keep_what_is_not_named(api: httpx.AsyncClient) -> None:
    team = await make_team(api)
    defaults = {"kinds": ALL_ON, "mail": MAIL_ON, "mail_frequency": "instant"}
    got = await api.get("/notifications/preferences", headers=team.ann.headers)
    assert got.status_code == 200
    assert got.json() == defaults

    changed = await preferences(api, team.ann, mail={"commented": False}, mail_frequency="daily")
    expected = {
        "kinds": ALL_ON,
        "mail": {**MAIL_ON, "commented": False},
        "mail_frequency": "daily",
    }
    assert changed == expected
    # In the app only: mail stays as it was, and a kind's two choices are apart.
    changed = await preferences(api, team.ann, kinds={"commented": False, "overdue": False})
    expected["kinds"] = {**ALL_ON, "commented": False, "overdue": False}
    assert changed == expected
    assert await preferences(api, team.ann, mail={"commented": True}) == {
        **expected,
        "mail": MAIL_ON,
    }
    got = await api.get("/notifications/preferences", headers=team.ann.headers)
    assert got.json() == {**expected, "mail": MAIL_ON}
    # Another person's are their own.
    other = await api.get("/notifications/preferences", headers=team.bob.headers)
    assert other.json() == defaults


async def test_bad_preferences_are_refused_naming_the_field(api: httpx.AsyncClient) -> None:
    team = await make_team(api)
    for body, field in (
        ({"mail_frequency": "weekly"}, "mail_frequency"),
        ({"mail_frequency": None}, "mail_frequency"),
        ({"mail": {"invited": True}}, "mail.invited"),
        ({"mail": {"assigned": None}}, "mail.assigned"),
        ({"mail": {"assigned": "sometimes"}}, "mail.assigned"),
        ({"mail": None}, "mail"),
    ):
        response = await api.put("/notifications/preferences", json=body, headers=team.ann.headers)
        assert invalid_fields(response) == {field}, body
    got = await api.get("/notifications/preferences", headers=team.ann.headers)
    assert got.json()["mail_frequency"] == "instant"


async def _mail_rows_of(url: str, user_id: uuid.UUID) -> list[int]:
    """The person's notifications, preferences and mail state, behind the API."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            counts = []
            for model in (Notification, NotificationPreference, NotificationMailing):
                count = await connection.scalar(
                    select(func.count()).select_from(model).where(model.user_id == user_id)
                )
                counts.append(int(count or 0))
        return counts
    finally:
        await engine.dispose()


async def test_a_deleted_account_takes_its_mail_state(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    team = await team_with_mail(api)
    await new_task(api, team.owner, team, assignees=[team.ann.id])
    await preferences(api, team.ann, mail={"overdue": False}, mail_frequency="daily")
    assert backend.projects_url is not None
    url, ann = backend.projects_url, uuid.UUID(team.ann.id)
    assert all(await _mail_rows_of(url, ann))

    deleted = await api.request(
        "DELETE", "/auth/me", json={"password": team.ann.password}, headers=team.ann.headers
    )
    assert deleted.status_code == 204, deleted.text

    async def forgotten() -> bool:
        return not any(await _mail_rows_of(url, ann))

    within = 30.0 if backend.name == "processes" else 5.0
    await eventually(forgotten, within=within, message="the account's mail state stayed")
