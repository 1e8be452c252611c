"""Mail as a service asks for it: a rendered message in a `mail.requested` event.

A service renders its own templates (it knows the context: the link, the name) and writes
the message into its mail outbox in the same transaction as the change that calls for it;
the mailer (`infra/mailer.py`) only delivers. So any service sends mail the same way, and
the mailer needs no database and no knowledge of any service.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Annotated, Any, ClassVar

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Index
from sqlalchemy.orm import declared_attr

from projectconnect.infra import metrics
from projectconnect.infra.db import Database
from projectconnect.infra.events import Envelope
from projectconnect.infra.outbox import EventPublisher, Outbox, OutboxColumns, OutboxRelay

MAIL_REQUESTED = "mail.requested"

# No line breaks: a header value must not be able to start another header.
_SingleLine = Annotated[str, StringConstraints(pattern=r"^[^\r\n\x00]*$")]


class MailMessage(BaseModel):
    """`data` of `mail.requested` v1: one message, rendered, to one or a few addresses.

    The addresses and the content are personal data (and may hold a one-time link): never
    log or trace this payload.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    to: list[Annotated[_SingleLine, Field(min_length=3, max_length=320)]] = Field(
        min_length=1, max_length=10
    )
    subject: Annotated[_SingleLine, Field(min_length=1, max_length=200)]
    text: str = Field(min_length=1, max_length=100_000)
    html: str | None = Field(default=None, max_length=200_000)
    # What kind of mail this is (a metric label): a short name from the sender's code.
    category: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")


def mail_requested(message: MailMessage, *, source: str) -> Envelope:
    """Version 1: the whole message; its envelope id becomes the mail's Message-ID."""
    return Envelope(
        type=MAIL_REQUESTED, version=1, source=source, data=message.model_dump(mode="json")
    )


def compose(
    message: MailMessage, *, sender: str, message_id: uuid.UUID, date: dt.datetime
) -> EmailMessage:
    """The MIME message: plain text, with an HTML alternative when there is one.

    The Message-ID comes from the request's id, so a message delivered twice (a retry
    after a lost answer) is recognisably the same message.
    """
    email = EmailMessage()
    email["From"] = sender
    email["To"] = ", ".join(message.to)
    email["Subject"] = message.subject
    email["Date"] = format_datetime(date)
    email["Message-ID"] = f"<{message_id}@projectconnect>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text)
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    return email


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class MailOutboxColumns(OutboxColumns):
    """A service's mail outbox: `mail.requested` events, committed with the change that
    calls for the mail. Apart from the events' outbox, so a mail server that is away holds
    up only mail."""

    __tablename__: ClassVar[str] = "mail_outbox"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        # An index belongs to one table: each service's metadata gets its own.
        return (Index("ix_mail_outbox_pending", "published_at", "created_at"),)


def mail_relay(
    db: Database,
    mail_outbox: Outbox,
    publisher: EventPublisher,
    *,
    service: str,
    max_backoff: float = 2.0,
) -> OutboxRelay:
    """`service`'s mail outbox's relay: its rows may hold one-time links, so they go once
    handed on. Its gauges carry `service`, as one process may relay two outboxes."""
    return OutboxRelay(
        db,
        mail_outbox,
        publisher,
        max_backoff=max_backoff,
        keep_published=False,
        backlog_gauges=(
            metrics.MAIL_OUTBOX_BACKLOG.labels(service=service),
            metrics.MAIL_OUTBOX_OLDEST_AGE.labels(service=service),
        ),
    )


class MailTemplates:
    """A package's mail templates: `<name>.subject.txt`, `<name>.txt`, `<name>.html`.

    They may extend or include the shared `_layout.html` and `_button.html` (in infra's
    `mail_templates/`). HTML is autoescaped, plain text is not; a variable a template names
    but the caller did not give is an error, not an empty string.
    """

    def __init__(self, package: str, folder: str = "mail_templates") -> None:
        self.environment = Environment(
            loader=ChoiceLoader(
                [PackageLoader(package, folder), PackageLoader("projectconnect.infra", folder)]
            ),
            autoescape=select_autoescape(["html"], default_for_string=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(self, name: str, **context: Any) -> RenderedMail:
        subject = self.environment.get_template(f"{name}.subject.txt").render(**context)
        return RenderedMail(
            subject=re.sub(r"\s+", " ", subject).strip(),
            text=self.environment.get_template(f"{name}.txt").render(**context),
            html=self.environment.get_template(f"{name}.html").render(**context),
        )
