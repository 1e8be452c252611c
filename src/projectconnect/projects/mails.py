"""The projects service's mail: an invitation, with its link to the web app's page, and
a person's notifications, each a sentence with a link to its task.

Rendered in the transaction that calls for it from `mail_templates/`, written into the
service's own mail outbox and delivered by the mailer (`infra/mail.py`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from projectconnect.infra.mail import MailMessage, MailTemplates

INVITATION_PAGE = "/invite/"
# The web app's notifications page, where a person also chooses which mail they get.
INBOX_PAGE = "/inbox"
# A mail's subject is one line of at most this many characters (`MailMessage`).
SUBJECT_LENGTH = 200
_ROLE_PHRASES = {
    "owner": "an owner",
    "admin": "an admin",
    "member": "a member",
    "viewer": "a viewer",
}


def invitation_link(public_url: str, token: str) -> str:
    """The web app's page for an invitation (token_urlsafe's alphabet needs no escaping)."""
    return public_url.rstrip("/") + INVITATION_PAGE + token


class InvitationMails:
    def __init__(self, templates: MailTemplates | None = None) -> None:
        self.templates = templates or MailTemplates("projectconnect.projects")

    def invitation(
        self,
        email: str,
        *,
        link: str,
        workspace_name: str,
        inviter_name: str,
        role: str,
        valid: dt.timedelta,
    ) -> MailMessage:
        rendered = self.templates.render(
            "invitation",
            email=email,
            # The layout greets by name; the invitee may have no account yet.
            display_name=None,
            link=link,
            workspace_name=workspace_name,
            inviter_name=inviter_name,
            role_phrase=_ROLE_PHRASES.get(role, role),
            valid_days=valid.days,
        )
        return MailMessage(
            to=[email],
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            category="invitation",
        )


def task_link(public_url: str, project_id: uuid.UUID, task_id: uuid.UUID) -> str:
    """The web app's page of a task (its panel over its project's page)."""
    return f"{public_url.rstrip('/')}/p/{project_id}/t/{task_id}"


def inbox_link(public_url: str) -> str:
    return public_url.rstrip("/") + INBOX_PAGE


def quoted(title: str) -> str:
    return f"\u2018{title}\u2019"


def sentence(
    kind: str,
    *,
    actor: str | None,
    task: str,
    in_comment: bool = False,
    due_date: dt.date | None = None,
) -> str:
    """A notification in one sentence, as the web app words it (`notificationText.ts`)."""
    who = actor or "Someone"
    match kind:
        case "assigned":
            return f"{who} assigned you {quoted(task)}"
        case "mentioned" if in_comment:
            return f"{who} mentioned you in a comment on {quoted(task)}"
        case "mentioned":
            return f"{who} mentioned you in {quoted(task)}"
        case "commented":
            return f"{who} commented on {quoted(task)}"
        case "due_soon":
            return f"{quoted(task)} is due tomorrow"
        case "overdue":
            since = f" (due {due_date.day} {due_date:%b %Y})" if due_date else ""
            return f"{quoted(task)} is overdue{since}"
    raise ValueError(f"no sentence for a {kind!r} notification")


def subject_of(sentences: Sequence[str], *, daily: bool) -> str:
    """One notification: its sentence; several: how many (a daily summary says so)."""
    if len(sentences) == 1:
        subject = " ".join(sentences[0].split())
    elif daily:
        subject = f"Your daily summary: {len(sentences)} notifications"
    else:
        subject = f"{len(sentences)} new notifications on Project Connect"
    if len(subject) > SUBJECT_LENGTH:
        subject = subject[: SUBJECT_LENGTH - 1].rstrip() + "\u2026"
    return subject


@dataclass(frozen=True, slots=True)
class MailedNotification:
    """One line of a notification mail."""

    sentence: str
    link: str


# A mail lists at most this many notifications and counts the rest, which the inbox shows:
# a person away for a while (or assigned a whole import) gets a mail of bounded size.
LISTED = 50


class NotificationMails:
    def __init__(self, templates: MailTemplates | None = None) -> None:
        self.templates = templates or MailTemplates("projectconnect.projects")

    def notifications(
        self,
        email: str,
        *,
        display_name: str | None,
        items: Sequence[MailedNotification],
        daily: bool,
        inbox: str,
    ) -> MailMessage:
        """A person's notifications (at least one), oldest first, in one mail: the first
        `LISTED`, and how many more the inbox holds."""
        rendered = self.templates.render(
            "notifications",
            subject=subject_of([item.sentence for item in items], daily=daily),
            display_name=display_name,
            items=items[:LISTED],
            more=max(0, len(items) - LISTED),
            daily=daily,
            inbox=inbox,
        )
        return MailMessage(
            to=[email],
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            category="notification_digest" if daily else "notification",
        )
