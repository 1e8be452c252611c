"""The projects database. Counts of tasks live on the project so a list page is one query."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from projectconnect.infra.db import UTCDateTime, new_metadata, utcnow
from projectconnect.infra.inbox import InboxColumns


class Base(DeclarativeBase):
    metadata = new_metadata()


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (
        # Keyset pagination of an owner's projects, newest first.
        Index("ix_projects_owner_created", "owner_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    task_count: Mapped[int] = mapped_column(Integer, default=0)
    done_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_project_created", "project_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(String(500))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboxEvent(InboxColumns, Base):
    """Events already handled: a redelivered one changes nothing."""


class DeletedUser(Base):
    """Owners whose account is gone: their late writes are refused, not kept."""

    __tablename__ = "deleted_users"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    deleted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Person(Base):
    """The directory: what the auth service last said of a user, so no request asks it.

    Fed by `user.registered` and `user.updated`; a row changes only for a higher
    `profile_version`, and `user.deleted` removes it for good.
    """

    __tablename__ = "people"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320))
    profile_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
