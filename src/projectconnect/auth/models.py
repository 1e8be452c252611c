"""The auth database: users, their sessions, refresh tokens and mailed one-time tokens."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from projectconnect.infra.db import UTCDateTime, new_metadata, utcnow
from projectconnect.infra.mail import MailOutboxColumns
from projectconnect.infra.outbox import OutboxColumns


class Base(DeclarativeBase):
    metadata = new_metadata()


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320))
    # Lower-cased email: uniqueness is case-insensitive on every backend.
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Grows by one with every change to what other services see of the user (email,
    # display name): their copies keep the highest, so events may arrive in any order.
    profile_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # When a link mailed to `email` was followed; None until then (and after a change).
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # An address the user asked to change to, waiting for its confirmation link.
    pending_email: Mapped[str | None] = mapped_column(String(320))

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class Session(Base):
    """A login: its refresh tokens rotate, and revoking it ends its access tokens too."""

    __tablename__ = "sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RefreshToken(Base):
    """A refresh token, stored as its SHA-256; `used_at` marks it spent."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AccountToken(Base):
    """A one-time token mailed to an address (reset, verification), stored as its SHA-256.

    `email` is the address it was sent to: the one a verification or change confirms.
    `used_at` marks it spent, set by a conditional UPDATE so only one use can win.
    """

    __tablename__ = "account_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class OutboxEvent(OutboxColumns, Base):
    """Events for other services, committed with the change that caused them."""


class MailOutboxMessage(MailOutboxColumns, Base):
    """The auth service's mail outbox (`infra.mail.MailOutboxColumns`)."""
