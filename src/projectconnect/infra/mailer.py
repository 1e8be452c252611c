"""The mailer: delivers `mail.requested` messages over SMTP, or into `.eml` files.

It is an event handler like any other, so the consumer's policy applies (RabbitMQ's delay
queues and dead letters in the distributed mode, the in-process bus's in the embedded one):
an SMTP server that cannot be reached or answers 4xx is a transient failure, tried again
with growing delays for as long as it takes; a 5xx answer is permanent, dead-lettered and
counted. Nothing here logs an address or a body.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import ssl
import tempfile
import urllib.parse
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from projectconnect.infra import faults, metrics
from projectconnect.infra.db import utcnow
from projectconnect.infra.events import Envelope
from projectconnect.infra.inbox import Dispatcher
from projectconnect.infra.mail import MAIL_REQUESTED, MailMessage, compose

logger = logging.getLogger(__name__)


class MailSettings(BaseSettings):
    """MAIL_*: where mail goes and who it is from."""

    model_config = SettingsConfigDict(env_prefix="MAIL_", extra="ignore", env_ignore_empty=True)

    # smtp://user:pass@host:587?starttls=true, smtps://user:pass@host:465; unset: files.
    smtp_url: SecretStr | None = None
    # Without an SMTP URL, each message is written here as an .eml file.
    dir: Path | None = None
    from_address: str = Field(
        default="Project Connect <no-reply@projectconnect.invalid>",
        validation_alias="MAIL_FROM",
        pattern=r"^[^\r\n]+$",
    )
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    @property
    def configured(self) -> bool:
        return self.smtp_url is not None or self.dir is not None


class TemporaryMailFailure(faults.TransientError):
    """The mail server said "not now" (4xx) or could not be reached."""


class PermanentMailFailure(faults.PermanentError):
    """The mail server refused the message for good (5xx)."""


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Return once the message is delivered; raise a Temporary/PermanentMailFailure."""


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    # None: STARTTLS when the server offers it.
    start_tls: bool | None
    validate_certs: bool

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        """`smtp://[user:pass@]host[:port][?starttls=true|false][&verify=false]`, or smtps://."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("MAIL_SMTP_URL must look like smtp://host:587 or smtps://host:465")
        query = dict(urllib.parse.parse_qsl(parts.query))
        flags = {"true": True, "false": False, "1": True, "0": False}
        start_tls = flags.get(query.get("starttls", "").lower())
        use_tls = parts.scheme == "smtps"
        default_port = 465 if use_tls else (587 if start_tls else 25)
        return cls(
            hostname=parts.hostname,
            port=parts.port or default_port,
            username=urllib.parse.unquote(parts.username) if parts.username else None,
            password=urllib.parse.unquote(parts.password) if parts.password else None,
            use_tls=use_tls,
            start_tls=False if use_tls else start_tls,
            validate_certs=flags.get(query.get("verify", "true").lower(), True),
        )


class SmtpTransport:
    def __init__(self, target: SmtpTarget, *, timeout: float = 10.0) -> None:
        self.target = target
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        t = self.target
        try:
            await aiosmtplib.send(
                message,
                hostname=t.hostname,
                port=t.port,
                username=t.username,
                password=t.password,
                use_tls=t.use_tls,
                start_tls=t.start_tls,
                validate_certs=t.validate_certs,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:  # every recipient refused
            codes = [r.code for r in exc.recipients]
            if any(400 <= code < 500 for code in codes):
                raise TemporaryMailFailure(f"recipients deferred ({codes})") from None
            raise PermanentMailFailure(f"recipients refused ({codes})") from None
        except aiosmtplib.SMTPResponseException as exc:
            # The server's own words may quote an address: only the code is kept.
            if exc.code >= 500:
                raise PermanentMailFailure(f"refused with {exc.code}") from None
            raise TemporaryMailFailure(f"deferred with {exc.code}") from None
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise TemporaryMailFailure(f"mail server unreachable ({type(exc).__name__})") from None


_LINK = re.compile(r"https?://\S+")


class DirectoryTransport:
    """Each message as an .eml file named after its Message-ID (a redelivery overwrites it)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _write(self, message: EmailMessage) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9.-]", "", str(message["Message-ID"]).split("@")[0])
        target = self.directory / f"{name}.eml"
        # Written whole, then renamed: a reader never sees half a message.
        fd, scratch = tempfile.mkstemp(dir=self.directory, suffix=".part")
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.as_bytes())
        Path(scratch).replace(target)
        return target

    async def send(self, message: EmailMessage) -> None:
        target = await asyncio.to_thread(self._write, message)
        body = message.get_body(("plain",))
        links = _LINK.findall(body.get_content() if body is not None else "")
        # The development mode's mail: the file, and the links to follow.
        logger.info("mail written to %s; links: %s", target, " ".join(links) or "none")


class Mailer:
    """The `mail.requested` handler: compose, deliver, count."""

    def __init__(self, transport: Transport, *, sender: str) -> None:
        self.transport = transport
        self.sender = sender

    def dispatcher(self) -> Dispatcher:
        dispatcher = Dispatcher()
        dispatcher.register(MAIL_REQUESTED, 1, self.deliver)
        return dispatcher

    async def deliver(self, envelope: Envelope) -> None:
        try:
            message = MailMessage.model_validate(envelope.data)
        except ValidationError:
            metrics.MAIL_FAILED.labels(category="invalid").inc()
            raise faults.PermanentError("mail.requested without a valid message") from None
        email = compose(message, sender=self.sender, message_id=envelope.id, date=utcnow())
        try:
            await self.transport.send(email)
        except Exception as exc:
            if faults.permanent(exc):
                metrics.MAIL_FAILED.labels(category=message.category).inc()
                logger.error("mail %s refused for good: %s", envelope.id, exc)
            elif faults.transient(exc):
                metrics.MAIL_RETRIED.labels(category=message.category).inc()
                logger.warning("mail %s not delivered for now: %s", envelope.id, exc)
            raise
        metrics.MAIL_SENT.labels(category=message.category).inc()
        age = (utcnow() - envelope.occurred_at).total_seconds()
        metrics.MAIL_QUEUE_AGE.observe(max(0.0, age))


def mailer_from(settings: MailSettings) -> Mailer | None:
    """Over SMTP when MAIL_SMTP_URL is set, else into files in MAIL_DIR, else None (mail
    waits); ValueError for an SMTP URL it cannot read."""
    transport: Transport
    if settings.smtp_url is not None:
        target = SmtpTarget.parse(settings.smtp_url.get_secret_value())
        transport = SmtpTransport(target, timeout=settings.smtp_timeout_seconds)
    elif settings.dir is not None:
        transport = DirectoryTransport(settings.dir)
    else:
        return None
    return Mailer(transport, sender=settings.from_address)
