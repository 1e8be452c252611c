"""Reading the mail the services sent: an SMTP server of the tests' own, or .eml files."""

from __future__ import annotations

import re
import threading
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any, Protocol, cast

from aiosmtpd.controller import Controller

from tests.support.processes import free_port
from tests.support.waiting import eventually


class Mailbox(Protocol):
    def messages(self) -> list[EmailMessage]:
        """Every message received so far, oldest first."""


def parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=default)


class DirectoryMailbox:
    """The embedded mode's mail: .eml files in a directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def messages(self) -> list[EmailMessage]:
        if not self.directory.is_dir():
            return []
        files = sorted(self.directory.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [parse(path.read_bytes()) for path in files]


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a loopback port, keeping what it is given.

    `answer` is what it replies to DATA: "250 OK" by default; "451 …" or "550 …" to make
    the sender retry or give up.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.answer = "250 OK"
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.refused = 0
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.answer.startswith("250"):
            with self._lock:
                self.refused += 1
            return self.answer
        message = parse(envelope.original_content or envelope.content)
        with self._lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> SmtpSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [message for _, message in self.received]

    def recipients(self) -> list[list[str]]:
        with self._lock:
            return [rcpt for rcpt, _ in self.received]


def _to(message: EmailMessage) -> str:
    return str(message.get("To", "")).lower()


async def mail_to(
    mailbox: Mailbox, address: str, subject: str | None = None, *, within: float = 20.0
) -> EmailMessage:
    """The latest message to `address` (whose subject contains `subject`), once it came."""
    found: list[EmailMessage] = []

    def arrived() -> bool:
        found[:] = [
            m
            for m in mailbox.messages()
            if address.lower() in _to(m) and (subject is None or subject in str(m["Subject"]))
        ]
        return bool(found)

    await eventually(arrived, within, message=f"no mail to {address} ({subject})")
    return found[-1]


def mails_to(mailbox: Mailbox, address: str) -> list[EmailMessage]:
    return [m for m in mailbox.messages() if address.lower() in _to(m)]


async def mail_to_count(mailbox: Mailbox, address: str, count: int) -> None:
    """Wait until at least `count` messages came to `address`."""
    await eventually(
        lambda: len(mails_to(mailbox, address)) >= count, message=f"{count} mails to {address}"
    )


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None, "no plain-text part"
    return cast(EmailMessage, body).get_content()  # type: ignore[no-any-return]


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None, "no HTML part"
    return cast(EmailMessage, body).get_content()  # type: ignore[no-any-return]


def link_token(message: EmailMessage, page: str) -> str:
    """The token of the link to `page` (e.g. /reset-password) in the plain-text part."""
    match = re.search(re.escape(page) + r"\?token=([A-Za-z0-9_-]+)", text_of(message))
    assert match is not None, f"no link to {page} in the mail"
    return match.group(1)
