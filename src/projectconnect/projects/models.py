"""The projects database: workspaces own projects, people reach them through memberships.

Counts of tasks live on the project so a list page is one query.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from projectconnect.infra.db import UTCDateTime, new_metadata, utcnow
from projectconnect.infra.inbox import InboxColumns
from projectconnect.infra.mail import MailOutboxColumns


class Base(DeclarativeBase):
    metadata = new_metadata()


class Workspace(Base):
    """Owns projects; people reach them through a membership."""

    __tablename__ = "workspaces"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set on each account's own workspace, made on first use: at most one per person.
    personal_of: Mapped[uuid.UUID | None] = mapped_column(unique=True)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        # A person's workspaces, and the oldest members first for an inheritance.
        Index("ix_memberships_user", "user_id", "workspace_id"),
        Index("ix_memberships_workspace_joined", "workspace_id", "joined_at", "user_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailOutboxMessage(MailOutboxColumns, Base):
    """The projects service's mail outbox (`infra.mail.MailOutboxColumns`)."""


class Invitation(Base):
    """An offer of a role to whoever proves the email; only the token's hash is kept."""

    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_workspace_created", "workspace_id", "created_at", "id"),
        # At most one open invitation per email per workspace.
        Index(
            "uq_invitations_open_email",
            "workspace_id",
            "email",
            unique=True,
            sqlite_where=text("accepted_at IS NULL AND revoked_at IS NULL"),
            postgresql_where=text("accepted_at IS NULL AND revoked_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))  # lower case
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    invited_by: Mapped[uuid.UUID]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[uuid.UUID | None]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class OwnershipTransfer(Base):
    """A workspace that changed hands because its only owner's account was deleted."""

    __tablename__ = "ownership_transfers"
    __table_args__ = (Index("ix_ownership_transfers_to", "to_user_id", "workspace_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    from_user_id: Mapped[uuid.UUID]
    # The name as it was, since the directory forgets a deleted person.
    from_name: Mapped[str | None] = mapped_column(String(320))
    to_user_id: Mapped[uuid.UUID]
    reason: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (
        # Keyset pagination of a workspace's projects, by each sort of the list.
        Index("ix_projects_workspace_created", "workspace_id", "created_at", "id"),
        # A workspace's trash, newest first, and the purge of what is older than it keeps.
        Index("ix_projects_workspace_deleted", "workspace_id", "deleted_at", "id"),
        Index("ix_projects_deleted", "deleted_at"),
        Index("ix_projects_workspace_updated", "workspace_id", "updated_at", "id"),
        Index("ix_projects_workspace_name", "workspace_id", text("lower(name)"), "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    created_by: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # Tasks that count for progress: every one but the cancelled ones.
    task_count: Mapped[int] = mapped_column(Integer, default=0)
    done_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # In the workspace's trash since then (hidden from every read), until restored or purged.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deleted_by: Mapped[uuid.UUID | None]
    # Set while the project is archived: out of the default lists, kept whole.
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


# Positions compare byte by byte (fractional-indexing keys), whatever the database's locale.
PositionKey = String(64).with_variant(String(64, collation="C"), "postgresql")


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_project_created", "project_id", "created_at", "id"),
        # The due reminders' scan: the dated tasks of a status, by due date.
        Index(
            "ix_tasks_status_due",
            "status",
            "due_date",
            sqlite_where=text("due_date IS NOT NULL AND deleted_at IS NULL"),
            postgresql_where=text("due_date IS NOT NULL AND deleted_at IS NULL"),
        ),
        # A status column of a board, in its manual order.
        Index("ix_tasks_project_status_position", "project_id", "status", "position"),
        # A project's trashed tasks, and the purge of what is older than the trash keeps.
        Index("ix_tasks_project_deleted", "project_id", "deleted_at", "id"),
        Index("ix_tasks_deleted", "deleted_at"),
        # The other sorts of a task list (projects.listing reads one range of one of these
        # per segment): by due date (the undated ones by id), by last change, by priority
        # then creation.
        Index("ix_tasks_project_due", "project_id", "due_date", "id"),
        Index("ix_tasks_project_updated", "project_id", "updated_at", "id"),
        Index("ix_tasks_project_priority_created", "project_id", "priority", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # The project's workspace, copied when the task is made (a project never moves): search
    # reads the caller's workspaces straight from its index (see migration 0009).
    workspace_id: Mapped[uuid.UUID]
    created_by: Mapped[uuid.UUID]
    title: Mapped[str] = mapped_column(String(500))
    # Derived from `status` (== "done"), kept as a column for today's readers and counts.
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="todo")
    priority: Mapped[str] = mapped_column(String(16), default="none")
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    position: Mapped[str] = mapped_column(PositionKey)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Kept in the same transaction as each comment's creation and deletion.
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deleted_by: Mapped[uuid.UUID | None]


class TaskAssignee(Base):
    __tablename__ = "task_assignees"
    # A person's assignments, to end them when they leave a workspace.
    __table_args__ = (Index("ix_task_assignees_user", "user_id", "task_id"),)

    task_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class Label(Base):
    """A workspace's label: a name and a colour, shared by its projects' tasks."""

    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    colour: Mapped[str] = mapped_column(String(7))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskLabel(Base):
    __tablename__ = "task_labels"
    __table_args__ = (Index("ix_task_labels_label", "label_id", "task_id"),)

    task_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True
    )


class Comment(Base):
    """A Markdown comment on a task, by a member; goes with its task."""

    __tablename__ = "task_comments"
    __table_args__ = (Index("ix_task_comments_task_created", "task_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ActivityEntry(Base):
    """What someone did to a project or one of its tasks, written with the change itself.

    `before`/`after` hold JSON values (a title, a status, a user id, ...) or null; see
    `projects.activity` for what each `kind` records.
    """

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_project_at", "project_id", "at", "id"),
        Index("ix_activity_task_at", "task_id", "at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    actor_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(32))
    field: Mapped[str | None] = mapped_column(String(32))
    before: Mapped[object | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[object | None] = mapped_column(JSON(none_as_null=True))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboxEvent(InboxColumns, Base):
    """Events already handled: a redelivered one changes nothing."""


class DeletedUser(Base):
    """People whose account is gone: their late writes are refused, not kept."""

    __tablename__ = "deleted_users"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    deleted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Person(Base):
    """The directory: what the auth service last said of a user, so no request asks it.

    Fed by `user.registered` and `user.updated`; a row changes only for a higher
    `profile_version`, and `user.deleted` removes it for good.
    """

    __tablename__ = "people"
    # An invitation's address among the people known (`notifications.Notifier.invited`).
    __table_args__ = (Index("ix_people_email", text("lower(email)")),)

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320))
    profile_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """Something one person is told of: `user_id` is the recipient; see
    `projects.notifications` for who is told what. What it points at is resolved when read,
    so a project or task gone since reads as null."""

    __tablename__ = "notifications"
    __table_args__ = (
        # A person's list, newest first (keyset), and their unread ones (list and count).
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),
        Index(
            "ix_notifications_user_unread",
            "user_id",
            "created_at",
            "id",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
        # A due reminder is given once per person, task, kind and due date.
        Index(
            "uq_notifications_reminder",
            "user_id",
            "task_id",
            "kind",
            "due_date",
            unique=True,
            sqlite_where=text("due_date IS NOT NULL"),
            postgresql_where=text("due_date IS NOT NULL"),
        ),
        # A workspace's deletion takes its notifications with it.
        Index("ix_notifications_workspace", "workspace_id"),
        # The ones waiting to be mailed (`projects.notification_mail`).
        Index(
            "ix_notifications_mail_queued",
            "mail_queued_at",
            "user_id",
            sqlite_where=text("mail_queued_at IS NOT NULL"),
            postgresql_where=text("mail_queued_at IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID | None]
    task_id: Mapped[uuid.UUID | None]
    comment_id: Mapped[uuid.UUID | None]
    # An `invited` one's invitation: shown to a non-member while it is open.
    invitation_id: Mapped[uuid.UUID | None]
    # Null for what no one did (the due reminders).
    actor_id: Mapped[uuid.UUID | None]
    # The due date a reminder (`due_soon`, `overdue`) was given for.
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When it was queued to be mailed; null when its person wants no mail of it, or once
    # the mail job handled it (mailed, or dropped as read or hidden).
    mail_queued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class NotificationPreference(Base):
    """A person's choice for one kind of notification; without a row, every kind is on."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    in_app: Mapped[bool] = mapped_column(Boolean)
    mail: Mapped[bool] = mapped_column(Boolean, server_default=true())


class NotificationMailing(Base):
    """How often a person is mailed their notifications, and when they last were; without
    a row, soon after each (`instant`), never mailed yet."""

    __tablename__ = "notification_mailings"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # `instant`, `daily` or `off`.
    frequency: Mapped[str] = mapped_column(String(8), server_default="instant")
    last_mailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
