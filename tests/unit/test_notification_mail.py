"""The parts of notification mail that need no database: when the daily summaries fall,
what a notification says, a mail's subject and what it holds."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from projectconnect.projects.mails import (
    LISTED,
    SUBJECT_LENGTH,
    MailedNotification,
    NotificationMails,
    inbox_link,
    sentence,
    subject_of,
    task_link,
)
from projectconnect.projects.notification_mail import MailSchedule
from projectconnect.projects.notifications import KINDS, MAIL_KINDS
from projectconnect.projects.schemas import NotificationMailChoices, NotificationMailKinds

SEVEN = MailSchedule(digest_hour=7)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2031, 5, day, hour, minute, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "last", "following"),
    [
        (at(10, 6, 59), at(9, 7), at(10, 7)),
        (at(10, 7), at(10, 7), at(11, 7)),
        (at(10, 23, 30), at(10, 7), at(11, 7)),
        (at(1, 0), dt.datetime(2031, 4, 30, 7, tzinfo=dt.UTC), at(1, 7)),  # a month back
    ],
)
def test_the_digest_falls_at_its_hour_utc(
    now: dt.datetime, last: dt.datetime, following: dt.datetime
) -> None:
    assert SEVEN.last_digest(now) == last
    assert SEVEN.next_digest(now) == following


def test_a_time_elsewhere_is_read_in_utc() -> None:
    paris = dt.timezone(dt.timedelta(hours=2))
    now = dt.datetime(2031, 5, 10, 8, 30, tzinfo=paris)  # 06:30 UTC
    assert SEVEN.last_digest(now) == at(9, 7)


def test_every_mail_kind_has_a_sentence_as_the_app_words_it() -> None:
    cases = {
        "assigned": "Ann assigned you \u2018Fix\u2019",
        "mentioned": "Ann mentioned you in \u2018Fix\u2019",
        "commented": "Ann commented on \u2018Fix\u2019",
        "due_soon": "\u2018Fix\u2019 is due tomorrow",
        "overdue": "\u2018Fix\u2019 is overdue (due 1 May 2031)",
    }
    assert set(cases) == set(MAIL_KINDS)
    for kind, expected in cases.items():
        assert sentence(kind, actor="Ann", task="Fix", due_date=dt.date(2031, 5, 1)) == expected
    in_comment = sentence("mentioned", actor="Ann", task="Fix", in_comment=True)
    assert in_comment == "Ann mentioned you in a comment on \u2018Fix\u2019"
    assert sentence("assigned", actor=None, task="Fix") == "Someone assigned you \u2018Fix\u2019"
    with pytest.raises(ValueError, match="invited"):
        sentence("invited", actor="Ann", task="Fix")


def test_the_subject_is_the_one_sentence_or_how_many() -> None:
    assert subject_of(["Ann assigned you \u2018Fix\u2019"], daily=False) == (
        "Ann assigned you \u2018Fix\u2019"
    )
    assert subject_of(["a", "b", "c"], daily=False) == "3 new notifications on Project Connect"
    assert subject_of(["a", "b"], daily=True) == "Your daily summary: 2 notifications"
    long = subject_of([f"Ann assigned you \u2018{'x' * 500}\u2019"], daily=False)
    assert len(long) == SUBJECT_LENGTH
    assert long.endswith("\u2026")
    assert subject_of(["Ann assigned you \u2018two\nlines\u2019"], daily=False) == (
        "Ann assigned you \u2018two lines\u2019"
    )


def test_a_mail_lists_each_with_its_link_and_leads_to_the_inbox() -> None:
    project, task = uuid.UUID(int=1), uuid.UUID(int=2)
    link = task_link("https://pc.example/", project, task)
    assert link == f"https://pc.example/p/{project}/t/{task}"
    items = [
        MailedNotification("Ann assigned you \u2018<b>Fix</b>\u2019", link),
        MailedNotification("Bob commented on \u2018<b>Fix</b>\u2019", link),
    ]
    message = NotificationMails().notifications(
        "cat@example.com",
        display_name="Cat",
        items=items,
        daily=False,
        inbox=inbox_link("https://pc.example/"),
    )
    assert message.to == ["cat@example.com"]
    assert message.subject == "2 new notifications on Project Connect"
    assert message.category == "notification"
    for item in items:
        assert item.sentence in message.text
    assert message.text.count(link) == 2
    assert "https://pc.example/inbox" in message.text
    assert message.html is not None
    assert "<b>Fix</b>" not in message.html  # escaped
    assert "&lt;b&gt;Fix&lt;/b&gt;" in message.html
    assert f'href="{link}"' in message.html
    assert 'href="https://pc.example/inbox"' in message.html
    daily = NotificationMails().notifications(
        "cat@example.com", display_name=None, items=items, daily=True, inbox="https://x/inbox"
    )
    assert daily.category == "notification_digest"


def test_a_mail_of_many_lists_the_first_and_counts_the_rest() -> None:
    title = "x" * 500  # the longest a task's title may be
    items = [
        MailedNotification(f"Ann assigned you \u2018{i} {title}\u2019", f"https://pc.example/t/{i}")
        for i in range(3000)
    ]
    message = NotificationMails().notifications(
        "cat@example.com", display_name="Cat", items=items, daily=True, inbox="https://x/inbox"
    )
    assert message.subject == "Your daily summary: 3000 notifications"
    listed = [i for i in range(3000) if f"https://pc.example/t/{i}\n" in message.text]
    assert listed == list(range(LISTED))  # oldest first, as the list runs
    assert f"And {3000 - LISTED} more in your inbox." in message.text
    assert message.html is not None
    assert f'And {3000 - LISTED} more in <a href="https://x/inbox">your inbox</a>.' in message.html
    few = NotificationMails().notifications(
        "cat@example.com", display_name="Cat", items=items[:LISTED], daily=True, inbox="x"
    )
    assert "more in your inbox" not in few.text


def test_the_mail_schemas_name_the_mail_kinds_and_no_invitation() -> None:
    assert set(NotificationMailKinds.model_fields) == set(MAIL_KINDS)
    assert set(NotificationMailChoices.model_fields) == set(MAIL_KINDS)
    assert "invited" in KINDS
    assert "invited" not in MAIL_KINDS
