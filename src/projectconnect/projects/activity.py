"""The activity log of projects and their tasks: what changed, by whom, when.

One home for it: the use cases hand `ActivityLog` the state of a thing before and after
their change (`task_state`, `project_state`), in the change's own unit, and the diff
(`task_changes`, `project_changes`) decides what is recorded. So an entry commits or rolls
back with the change it describes. Each entry also announces its change to live streams
(`projects/live.py`), so what the log records is what subscribers hear of.

Kinds, with `field` and the JSON `before`/`after`:

- `created`, `deleted` (to the trash), `restored`: of a task or a project (task_id null);
  `created` carries the title or name in `after`. `archived`, `unarchived`: of a project.
- `changed`: a field from `before` to `after` (`title`, `status`, `priority`, `due_date`,
  `done`; a project's `description`). A description is long: only that it changed is
  kept (`field` "description", `before`/`after` null).
- `renamed`: a project's `name`.
- `moved`: a task reordered within its status column (`before`/`after` its position keys).
  A move to another column is a change of `status`.
- `assigned`/`unassigned` (`field` "assignees", the user id in `after`/`before`; also
  `unassigned` when a membership ends, written by `Members.remove`),
  `labelled`/`unlabelled` (`field` "labels", the label id).
- `commented`, `comment_edited`, `comment_deleted`: `after` (or `before`) the comment's id.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.infra.pagination import Position
from projectconnect.projects.access import Grant
from projectconnect.projects.live import Notice, Op, announce
from projectconnect.projects.models import ActivityEntry, Project, Task

Json = str | int | bool | None | list[str] | dict[str, str]
State = Mapping[str, object]

# Task fields whose old and new values are recorded, in the order entries are written.
TASK_FIELDS: Final = ("title", "status", "done", "priority", "due_date")
# Fields too long to copy into the log: only that they changed is recorded.
SUMMARISED: Final = ("description",)


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    field: str | None = None
    before: Json = None
    after: Json = None


def _json(value: object) -> Json:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"no JSON form for {type(value).__name__}")


def task_state(
    task: Task, assignees: Sequence[uuid.UUID], labels: Sequence[uuid.UUID]
) -> dict[str, object]:
    """What the log compares of a task."""
    return {
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "done": task.done,
        "priority": task.priority,
        "due_date": task.due_date,
        "position": task.position,
        "assignees": frozenset(assignees),
        "labels": frozenset(labels),
    }


def project_state(project: Project) -> dict[str, object]:
    return {"name": project.name, "description": project.description}


def _set_changes(field: str, before: State, after: State, added: str, removed: str) -> list[Change]:
    old = before.get(field, frozenset())
    new = after.get(field, frozenset())
    assert isinstance(old, frozenset)
    assert isinstance(new, frozenset)
    return [Change(added, field, after=_json(i)) for i in sorted(new - old, key=str)] + [
        Change(removed, field, before=_json(i)) for i in sorted(old - new, key=str)
    ]


def task_changes(before: State, after: State) -> list[Change]:
    """The entries a task's change from `before` to `after` makes (none if nothing did)."""
    changes = [
        Change("changed", f, _json(before.get(f)), _json(after.get(f)))
        for f in TASK_FIELDS
        if before.get(f) != after.get(f)
    ]
    changes += [Change("changed", f) for f in SUMMARISED if before.get(f) != after.get(f)]
    if before.get("status") == after.get("status") and before.get("position") != after.get(
        "position"
    ):
        changes.append(
            Change("moved", "position", _json(before.get("position")), _json(after.get("position")))
        )
    changes += _set_changes("assignees", before, after, "assigned", "unassigned")
    changes += _set_changes("labels", before, after, "labelled", "unlabelled")
    return changes


def project_changes(before: State, after: State) -> list[Change]:
    changes = []
    if before.get("name") != after.get("name"):
        changes.append(Change("renamed", "name", _json(before["name"]), _json(after["name"])))
    if before.get("description") != after.get("description"):
        changes.append(Change("changed", "description"))
    return changes


_OPS: Final[dict[str, Op]] = {"created": "created", "deleted": "deleted", "restored": "restored"}
_COMMENTS: Final[dict[str, Op]] = {
    "commented": "created",
    "comment_edited": "changed",
    "comment_deleted": "deleted",
}


def notice(project_id: uuid.UUID, task_id: uuid.UUID | None, change: Change) -> Notice:
    """What an entry announces to live streams (its workspace is found at commit)."""
    op = _OPS.get(change.kind, "changed")
    if task_id is None:
        return Notice("project", project_id, None, op, project_id=project_id)
    comment = _COMMENTS.get(change.kind)
    if comment is not None:
        comment_id = change.after if comment != "deleted" else change.before
        assert isinstance(comment_id, str)
        return Notice(
            "comment", uuid.UUID(comment_id), None, comment, project_id=project_id, task_id=task_id
        )
    return Notice("task", task_id, None, op, project_id=project_id, task_id=task_id)


class ActivityLog:
    """Writes entries into the session of the change they describe, all at its time."""

    def __init__(self, session: AsyncSession, actor_id: uuid.UUID, at: dt.datetime) -> None:
        self.session = session
        self.actor_id = actor_id
        self.at = at

    def record(
        self, project_id: uuid.UUID, task_id: uuid.UUID | None, changes: Sequence[Change]
    ) -> None:
        announce(self.session, *(notice(project_id, task_id, c) for c in changes))
        self.session.add_all(
            ActivityEntry(
                id=uuid.uuid4(),
                project_id=project_id,
                task_id=task_id,
                actor_id=self.actor_id,
                kind=c.kind,
                field=c.field,
                before=c.before,
                after=c.after,
                at=self.at,
            )
            for c in changes
        )

    def task_created(self, task: Task) -> None:
        self.record(task.project_id, task.id, [Change("created", after=task.title)])

    def task_changed(self, task: Task, before: State, after: State) -> None:
        self.record(task.project_id, task.id, task_changes(before, after))

    def project_created(self, project: Project) -> None:
        self.record(project.id, None, [Change("created", after=project.name)])

    def project_changed(self, project: Project, before: State) -> None:
        self.record(project.id, None, project_changes(before, project_state(project)))


class ActivityRepository:
    """The log of one project (reached through `Access.project`), newest first."""

    def __init__(self, session: AsyncSession, grant: Grant, project: Project) -> None:
        if project.workspace_id != grant.workspace_id:
            raise ValueError("the project is not in the workspace of the grant")
        self.session = session
        self.project_id = project.id

    async def list_page(
        self, limit: int, after: Position | None, task_id: uuid.UUID | None = None
    ) -> Sequence[ActivityEntry]:
        """The project's entries, or one task's (`task_id`), newest first."""
        statement = select(ActivityEntry).where(ActivityEntry.project_id == self.project_id)
        if task_id is not None:
            statement = statement.where(ActivityEntry.task_id == task_id)
        if after is not None:
            statement = statement.where(
                tuple_(ActivityEntry.at, ActivityEntry.id) < tuple_(after.created_at, after.id)
            )
        statement = statement.order_by(ActivityEntry.at.desc(), ActivityEntry.id.desc())
        return (await self.session.scalars(statement.limit(limit))).all()
