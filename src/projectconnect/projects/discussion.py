"""Comments on tasks and the reading of the activity log.

A comment's creation and deletion change its task's `comment_count` by an SQL increment in
the same transaction, which also locks the task's row: a task moved to the trash
meanwhile is not found, and concurrent comments never lose a count. Each comment write
records its activity entry in the same unit. Who may write which comment is decided by
`projects.access` (`Grant.require_comment_edit`, `Grant.require_comment_removal`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.pagination import Position
from projectconnect.infra.problems import NotFound
from projectconnect.projects.access import Access, Action, Grant, parse_id
from projectconnect.projects.activity import ActivityLog, ActivityRepository, Change
from projectconnect.projects.models import ActivityEntry, Comment, Project, Task
from projectconnect.projects.notifications import Notifier
from projectconnect.projects.repository import TaskRepository
from projectconnect.projects.service import TASK_NOT_FOUND, Page, page_of
from projectconnect.projects.writes import Unit, Writes

COMMENT_NOT_FOUND = "No such comment."


class CommentRepository:
    """Comments on the live tasks of one project (reached through `Access.project`)."""

    def __init__(self, session: AsyncSession, grant: Grant, project: Project) -> None:
        self.tasks = TaskRepository(session, grant, project)
        self.session = session
        self.project_id = project.id

    async def count(self, task_id: uuid.UUID, delta: int) -> bool:
        """Change the task's comment count (locking it); False when no such live task."""
        result = await self.session.execute(
            update(Task)
            .where(
                Task.project_id == self.project_id,
                Task.id == task_id,
                Task.deleted_at.is_(None),
            )
            .values(comment_count=Task.comment_count + delta)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def get(self, task_id: uuid.UUID, comment_id: uuid.UUID) -> Comment | None:
        statement = (
            select(Comment)
            .join(Task, Task.id == Comment.task_id)
            .where(
                Task.project_id == self.project_id,
                Task.deleted_at.is_(None),
                Comment.task_id == task_id,
                Comment.id == comment_id,
            )
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def list_page(
        self, task_id: uuid.UUID, limit: int, after: Position | None
    ) -> Sequence[Comment]:
        statement = select(Comment).where(Comment.task_id == task_id)
        if after is not None:
            statement = statement.where(
                tuple_(Comment.created_at, Comment.id) > tuple_(after.created_at, after.id)
            )
        statement = statement.order_by(Comment.created_at, Comment.id).limit(limit)
        return (await self.session.scalars(statement)).all()


def _commented(kind: str, comment: Comment) -> Change:
    if kind == "comment_deleted":
        return Change(kind, before=str(comment.id))
    return Change(kind, after=str(comment.id))


class CommentService:
    def __init__(self, db: Database, writes: Writes) -> None:
        self.db = db
        self.writes = writes

    async def list(
        self, user_id: uuid.UUID, project_id: str, task_id: str, limit: int, cursor: str | None
    ) -> Page[Comment]:
        """A task's comments, oldest first."""
        tid = parse_id(task_id, TASK_NOT_FOUND)
        after = Position.decode(cursor) if cursor else None
        async with self.db.reading() as session:
            project, grant = await Access(session, user_id).project(project_id, Action.READ)
            comments = CommentRepository(session, grant, project)
            if await comments.tasks.get(tid) is None:
                raise NotFound(TASK_NOT_FOUND)
            rows = await comments.list_page(tid, limit + 1, after)
        return page_of(rows, limit, lambda c: Position(c.created_at, c.id))

    async def create(self, user_id: uuid.UUID, project_id: str, task_id: str, body: str) -> Comment:
        tid = parse_id(task_id, TASK_NOT_FOUND)
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            project, grant = await unit.project(project_id, Action.COMMENT)
            comments = CommentRepository(unit.session, grant, project)
            if not await comments.count(tid, +1):
                raise NotFound(TASK_NOT_FOUND)
            comment = Comment(
                id=uuid.uuid4(),
                task_id=tid,
                author_id=user_id,
                body=body,
                created_at=now,
                edited_at=None,
            )
            unit.session.add(comment)
            ActivityLog(unit.session, user_id, now).record(
                project.id, tid, [_commented("commented", comment)]
            )
            await Notifier(unit.session, user_id, now).comment_written(project, comment)
            unit.touch_project(project)
        return comment

    async def update(
        self, user_id: uuid.UUID, project_id: str, task_id: str, comment_id: str, body: str
    ) -> Comment:
        """Only the author edits, and only while they may comment."""
        tid = parse_id(task_id, TASK_NOT_FOUND)
        cid = parse_id(comment_id, COMMENT_NOT_FOUND)
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            project, grant, _, comment = await _comment(unit, project_id, tid, cid)
            await unit.rely_on(grant, grant.require_comment_edit(comment.author_id))
            if comment.body != body:
                before = comment.body
                comment.body = body
                comment.edited_at = now
                ActivityLog(unit.session, user_id, now).record(
                    project.id, tid, [_commented("comment_edited", comment)]
                )
                await Notifier(unit.session, user_id, now).comment_written(
                    project, comment, body_before=before
                )
        return comment

    async def delete(
        self, user_id: uuid.UUID, project_id: str, task_id: str, comment_id: str
    ) -> None:
        """Authors delete their own; admins and owners anyone's."""
        tid = parse_id(task_id, TASK_NOT_FOUND)
        cid = parse_id(comment_id, COMMENT_NOT_FOUND)
        now = utcnow()
        async with self.writes.open(user_id) as unit:
            project, grant, comments, comment = await _comment(unit, project_id, tid, cid)
            await unit.rely_on(grant, grant.require_comment_removal(comment.author_id))
            if not await comments.count(tid, -1):
                raise NotFound(TASK_NOT_FOUND)
            await unit.session.delete(comment)
            ActivityLog(unit.session, user_id, now).record(
                project.id, tid, [_commented("comment_deleted", comment)]
            )
            unit.touch_project(project)


async def _comment(
    unit: Unit, project_id: str, tid: uuid.UUID, cid: uuid.UUID
) -> tuple[Project, Grant, CommentRepository, Comment]:
    """The comment a write names, of a live task of a project the caller may read: 404
    naming the task when it is not there, else the comment."""
    project, grant = await unit.project(project_id, Action.READ)
    comments = CommentRepository(unit.session, grant, project)
    comment = await comments.get(tid, cid)
    if comment is None:
        if await comments.tasks.get(tid) is None:
            raise NotFound(TASK_NOT_FOUND)
        raise NotFound(COMMENT_NOT_FOUND)
    return project, grant, comments, comment


class ActivityFeed:
    """The log of a project or of one of its live tasks, newest first."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(
        self,
        user_id: uuid.UUID,
        project_id: str,
        limit: int,
        cursor: str | None,
        task_id: str | None = None,
    ) -> Page[ActivityEntry]:
        tid = parse_id(task_id, TASK_NOT_FOUND) if task_id is not None else None
        after = Position.decode(cursor) if cursor else None
        async with self.db.reading() as session:
            project, grant = await Access(session, user_id).project(project_id, Action.READ)
            if tid is not None and await TaskRepository(session, grant, project).get(tid) is None:
                raise NotFound(TASK_NOT_FOUND)
            rows = await ActivityRepository(session, grant, project).list_page(
                limit + 1, after, tid
            )
        return page_of(rows, limit, lambda e: Position(e.at, e.id))
