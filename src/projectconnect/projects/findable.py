"""What of the caller's workspaces the cross-workspace reads (search, My tasks) show.

Access is decided in `projects.access`: these reads start from the caller's memberships
(`access.visible`) and join the projects and tasks of those workspaces. `in_sight` is the one
condition they add on top, for what a workspace holds but does not show.
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import ColumnElement, Select, Subquery, and_, select

from projectconnect.projects.access import visible
from projectconnect.projects.models import Membership, Project, Task

Kind = Literal["task", "project"]


def workspaces_of(user_id: uuid.UUID, workspace_id: uuid.UUID | None = None) -> Select[uuid.UUID]:
    """The workspaces whose content the caller may find: their memberships (one if named)."""
    mine = visible(user_id).with_only_columns(Membership.workspace_id)
    if workspace_id is not None:
        mine = mine.where(Membership.workspace_id == workspace_id)
    return mine


def task_in_sight(mine: Subquery) -> ColumnElement[bool]:
    """`in_sight("task")` for a statement that reads tasks without their project: not in
    the trash, nor in a trashed project of the caller's workspaces (`mine`, from
    `workspaces_of`), a list PostgreSQL reads once and hashes (usually empty), where a
    join would look up the project of every task matched."""
    trashed = select(Project.id).where(
        Project.workspace_id.in_(select(mine.c.workspace_id)), Project.deleted_at.is_not(None)
    )
    return and_(Task.deleted_at.is_(None), Task.project_id.not_in(trashed))


def in_sight(kind: Kind) -> ColumnElement[bool]:
    """Of the projects (`kind` "project") or tasks with their project (`kind` "task") of the
    caller's workspaces, those shown: not in the trash, nor in a trashed project. Statements
    using it join `Project`, and `Task` for tasks, unaliased."""
    shown = Project.deleted_at.is_(None)
    if kind == "task":
        return and_(shown, Task.deleted_at.is_(None))
    return shown
