"""What of the caller's workspaces the cross-workspace reads (search, My tasks) show.

Access is decided in `projects.access`: these reads start from the caller's memberships
(`access.visible`) and join the projects and tasks of those workspaces. `in_sight` is the one
condition they add on top, for what a workspace holds but does not show.
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import ColumnElement, Select, and_

from projectconnect.projects.access import visible
from projectconnect.projects.models import Membership, Project, Task

Kind = Literal["task", "project"]


def workspaces_of(user_id: uuid.UUID, workspace_id: uuid.UUID | None = None) -> Select[uuid.UUID]:
    """The workspaces whose content the caller may find: their memberships (one if named)."""
    mine = visible(user_id).with_only_columns(Membership.workspace_id)
    if workspace_id is not None:
        mine = mine.where(Membership.workspace_id == workspace_id)
    return mine


def in_sight(kind: Kind) -> ColumnElement[bool]:
    """Of the projects (`kind` "project") or tasks with their project (`kind` "task") of the
    caller's workspaces, those shown: not in the trash, nor in a trashed project. Statements
    using it join `Project`, and `Task` for tasks, unaliased."""
    shown = Project.deleted_at.is_(None)
    if kind == "task":
        return and_(shown, Task.deleted_at.is_(None))
    return shown
