"""What a list of tasks or of projects asks for: filters, a sort and its order, and the
keyset cursors that page through it.

A sorted list is read as a sequence of segments, each one range of an index read in its
order: the tasks of one status column by position, of one priority by creation, those with
a due date by date, those without by id. A page reads the segments in turn from the one its
cursor is in, each with `LIMIT`, so every page is a few index range scans whatever the
list's length. A cursor names its sort, its order, its segment and the last row's key
values (the id last); a cursor of another sort or order is refused (422 naming `cursor`).

Each list also has a canonical cache key (values sorted and de-duplicated, `me` already
resolved to the caller's id) or none when it is not to be cached: free text and free dates
would let a client grow the cache without bound, so such lists are always read from the
database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, exists, func, or_, true, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from projectconnect.infra.db import contains_text
from projectconnect.infra.pagination import SortCursor, cursor_mismatch
from projectconnect.infra.problems import field_error
from projectconnect.projects.models import Project, Task, TaskAssignee, TaskLabel

KeyKind = Literal["datetime", "date", "text", "uuid"]
TaskSort = Literal["position", "due_date", "priority", "created", "updated"]
ProjectSort = Literal["created", "updated", "name"]
Order = Literal["asc", "desc"]

# A board's columns, left to right.
STATUS_ORDER = ("backlog", "todo", "in_progress", "done", "cancelled")
# Most urgent first.
PRIORITY_ORDER = ("urgent", "high", "medium", "low", "none")
CLOSED = ("done", "cancelled")
# Without `order`: the oldest tasks first (as before sorts existed), the latest change first,
# the soonest due first, the most urgent first, the board's order.
TASK_DEFAULT_ORDER: dict[str, Order] = {
    "created": "asc",
    "updated": "desc",
    "due_date": "asc",
    "priority": "desc",
    "position": "asc",
}
# Projects: the newest first (as before), the latest change first, by name A to Z.
PROJECT_ORDER: dict[str, Order] = {"created": "desc", "updated": "desc", "name": "asc"}
# Values of one repeatable filter: enough for any real filter, few enough for one key.
MAX_VALUES = 50
ME = "me"
NOBODY = "none"


@dataclass(frozen=True, slots=True)
class Key:
    expression: ColumnElement[Any] | InstrumentedAttribute[Any]
    kind: KeyKind


@dataclass(frozen=True, slots=True)
class Segment:
    """One index range of a sorted list: the rows where `where` holds, ordered by `keys`
    (the id last), all ascending or all descending."""

    tag: str
    where: ColumnElement[bool]
    keys: tuple[Key, ...]
    descending: bool

    def after(self, values: Sequence[object]) -> ColumnElement[bool]:
        """The rows of this segment past the one whose key values are `values`."""
        left = tuple_(*(key.expression for key in self.keys))
        right = tuple_(*values)
        return left < right if self.descending else left > right

    def order_by(self) -> list[ColumnElement[Any]]:
        return [k.expression.desc() if self.descending else k.expression.asc() for k in self.keys]

    def flipped(self) -> Segment:
        return Segment(self.tag, self.where, self.keys, not self.descending)

    def encode(self, sort: str, order: str, values: Sequence[object]) -> str:
        return SortCursor(sort, order, self.tag, tuple(_text(v) for v in values)).encode()

    def decode(self, cursor: SortCursor) -> tuple[object, ...]:
        if len(cursor.values) != len(self.keys):
            raise cursor.invalid()
        try:
            return tuple(_value(k.kind, v) for k, v in zip(self.keys, cursor.values, strict=True))
        except (ValueError, TypeError, OverflowError) as exc:
            raise cursor.invalid() from exc


def _text(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _value(kind: KeyKind, text: str) -> object:
    if kind == "datetime":
        when = dt.datetime.fromisoformat(text)
        if when.tzinfo is None:
            raise ValueError("cursor time without zone")
        return when.astimezone(dt.UTC)
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "uuid":
        return uuid.UUID(text)
    return text


@dataclass(frozen=True, slots=True)
class Plan:
    """The segments a page reads, in order, each with the key values to start after (None:
    from its start); and how to make the cursor of a row of a segment."""

    sort: str
    order: str
    steps: list[tuple[Segment, tuple[object, ...] | None]]

    def cursor(self, segment: Segment, values: Sequence[object]) -> str:
        return segment.encode(self.sort, self.order, values)


def _plan(
    sort: str,
    order: str,
    full: list[Segment],
    wanted: Iterable[str] | None,
    cursor: str | None,
    legacy: tuple[str, str],
) -> Plan:
    """The steps of a page of the list whose segments are `full` (in reading order), reading
    only the segments tagged in `wanted` (None: all), from `cursor` on."""
    tags = None if wanted is None else set(wanted)
    start, after = 0, None
    if cursor is not None:
        position = SortCursor.decode(cursor, legacy)
        if (position.sort, position.order) != (sort, order):
            raise cursor_mismatch()
        found = [i for i, s in enumerate(full) if s.tag == position.segment]
        if not found:
            raise position.invalid()
        start = found[0]
        after = full[start].decode(position)
    steps = [
        (segment, after if i == start else None)
        for i, segment in enumerate(full)
        if i >= start and (tags is None or segment.tag in tags)
    ]
    return Plan(sort, order, steps)


# Tasks


@dataclass(frozen=True, slots=True)
class TaskQuery:
    """The filters and sort of a list of a project's tasks; every filter narrows the list
    (values of one filter: any of them)."""

    statuses: frozenset[str] = frozenset()
    assignees: frozenset[uuid.UUID] = frozenset()
    unassigned: bool = False
    labels: frozenset[uuid.UUID] = frozenset()
    priorities: frozenset[str] = frozenset()
    due_before: dt.date | None = None
    due_after: dt.date | None = None
    # Today (UTC) when only overdue tasks are wanted: part of the cache key, so a cached
    # page of overdue tasks is never served the next day.
    overdue_on: dt.date | None = None
    text: str | None = None
    sort: str = "created"
    order: str = "asc"

    @classmethod
    def parse(
        cls,
        caller: uuid.UUID,
        *,
        status: Sequence[str] = (),
        assignee: Sequence[str] = (),
        label: Sequence[uuid.UUID] = (),
        priority: Sequence[str] = (),
        due_before: dt.date | None = None,
        due_after: dt.date | None = None,
        overdue: bool = False,
        q: str | None = None,
        sort: str = "created",
        order: str | None = None,
        today: dt.date | None = None,
    ) -> TaskQuery:
        """From the query string: `assignee` is `me`, `none` or a user id (else 422 naming
        it), `me` becomes the caller's id; a blank `q` is no filter."""
        people: set[uuid.UUID] = set()
        unassigned = False
        for value in assignee:
            if value == ME:
                people.add(caller)
            elif value == NOBODY:
                unassigned = True
            else:
                try:
                    people.add(uuid.UUID(value))
                except ValueError:
                    raise field_error(
                        "assignee", "invalid_assignee", "Send `me`, `none` or a user id."
                    ) from None
        text = q.strip() if q is not None else None
        return cls(
            statuses=frozenset(status),
            assignees=frozenset(people),
            unassigned=unassigned,
            labels=frozenset(label),
            priorities=frozenset(priority),
            due_before=due_before,
            due_after=due_after,
            overdue_on=(today or dt.datetime.now(dt.UTC).date()) if overdue else None,
            text=text or None,
            sort=sort,
            order=order or TASK_DEFAULT_ORDER[sort],
        )

    def cache_key(self) -> str | None:
        """`tasks` for the default list, else `tasks?` and the canonical query; None when
        the list is not to be cached (free text or free dates)."""
        if self.text is not None or self.due_before is not None or self.due_after is not None:
            return None
        parts: list[tuple[str, str]] = []
        if self.statuses:
            parts.append(("status", ",".join(sorted(self.statuses))))
        if self.assignees or self.unassigned:
            people = sorted(str(a) for a in self.assignees) + ([NOBODY] if self.unassigned else [])
            parts.append(("assignee", ",".join(people)))
        if self.labels:
            parts.append(("label", ",".join(sorted(str(i) for i in self.labels))))
        if self.priorities:
            parts.append(("priority", ",".join(sorted(self.priorities))))
        if self.overdue_on is not None:
            parts.append(("overdue", self.overdue_on.isoformat()))
        if not parts and (self.sort, self.order) == ("created", "asc"):
            return "tasks"
        parts += [("sort", self.sort), ("order", self.order)]
        return "tasks?" + "&".join(f"{name}={value}" for name, value in parts)

    def conditions(self) -> list[ColumnElement[bool]]:
        """What every row of the list meets, besides being in its segment."""
        found: list[ColumnElement[bool]] = []
        if self.statuses and self.sort != "position":
            found.append(Task.status.in_(sorted(self.statuses)))
        if self.priorities and self.sort != "priority":
            found.append(Task.priority.in_(sorted(self.priorities)))
        if self.assignees or self.unassigned:
            either: list[ColumnElement[bool]] = []
            if self.assignees:
                either.append(
                    exists().where(
                        TaskAssignee.task_id == Task.id,
                        TaskAssignee.user_id.in_(sorted(self.assignees)),
                    )
                )
            if self.unassigned:
                either.append(~exists().where(TaskAssignee.task_id == Task.id))
            found.append(or_(*either))
        if self.labels:
            found.append(
                exists().where(
                    TaskLabel.task_id == Task.id, TaskLabel.label_id.in_(sorted(self.labels))
                )
            )
        if self.due_before is not None:
            found.append(Task.due_date <= self.due_before)
        if self.due_after is not None:
            found.append(Task.due_date >= self.due_after)
        if self.overdue_on is not None:
            found.append(Task.due_date < self.overdue_on)
            found.append(Task.status.not_in(CLOSED))
        if self.text is not None:
            found.append(contains_text(Task.title, self.text))
        return found

    def plan(self, cursor: str | None) -> Plan:
        wanted: Iterable[str] | None = None
        if self.sort == "position" and self.statuses:
            wanted = self.statuses
        elif self.sort == "priority" and self.priorities:
            wanted = self.priorities
        full = _task_segments(self.sort)
        if self.order != TASK_DEFAULT_ORDER[self.sort]:
            full = _reversed(full)
        return _plan(self.sort, self.order, full, wanted, cursor, ("created", "asc"))


TASK_ID = Key(Task.id, "uuid")


def _task_segments(sort: str) -> list[Segment]:
    """The segments of a sort in its default order."""
    if sort == "position":
        position = Key(Task.position, "text")
        return [Segment(s, Task.status == s, (position, TASK_ID), False) for s in STATUS_ORDER]
    if sort == "priority":
        created = Key(Task.created_at, "datetime")
        return [Segment(p, Task.priority == p, (created, TASK_ID), False) for p in PRIORITY_ORDER]
    if sort == "due_date":
        return [
            Segment(
                "dated", Task.due_date.is_not(None), (Key(Task.due_date, "date"), TASK_ID), False
            ),
            Segment("undated", Task.due_date.is_(None), (TASK_ID,), False),
        ]
    if sort == "updated":
        return [Segment("", true(), (Key(Task.updated_at, "datetime"), TASK_ID), True)]
    return [Segment("", true(), (Key(Task.created_at, "datetime"), TASK_ID), False)]


def _reversed(segments: list[Segment]) -> list[Segment]:
    """The other order: every segment read backwards, in the reverse order, except that
    tasks without a due date stay last."""
    flipped = [s.flipped() for s in reversed(segments)]
    last = [s for s in flipped if s.tag == "undated"]
    return [s for s in flipped if s.tag != "undated"] + last


# Projects


@dataclass(frozen=True, slots=True)
class ProjectQuery:
    """The filters and sort of a list of projects: archived ones (only) or the others, a
    name containing `text`."""

    text: str | None = None
    sort: str = "created"
    archived: bool = False

    @classmethod
    def parse(
        cls, *, q: str | None = None, sort: str = "created", archived: bool = False
    ) -> ProjectQuery:
        text = q.strip() if q is not None else None
        return cls(text=text or None, sort=sort, archived=archived)

    @property
    def order(self) -> str:
        return PROJECT_ORDER[self.sort]

    def cache_key(self, listing: str) -> str | None:
        """`listing` for the default list, else with the canonical query; None with text."""
        if self.text is not None:
            return None
        if (self.sort, self.archived) == ("created", False):
            return listing
        return f"{listing}?sort={self.sort}&archived={str(self.archived).lower()}"

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [
            Project.archived_at.is_not(None) if self.archived else Project.archived_at.is_(None)
        ]
        if self.text is not None:
            found.append(contains_text(Project.name, self.text))
        return found

    def segment(self) -> Segment:
        project_id = Key(Project.id, "uuid")
        if self.sort == "name":
            keys = (Key(func.lower(Project.name), "text"), project_id)
        elif self.sort == "updated":
            keys = (Key(Project.updated_at, "datetime"), project_id)
        else:
            keys = (Key(Project.created_at, "datetime"), project_id)
        return Segment("", true(), keys, self.order == "desc")

    def plan(self, cursor: str | None) -> Plan:
        return _plan(self.sort, self.order, [self.segment()], None, cursor, ("created", "desc"))


def selected_keys(segment: Segment) -> list[ColumnElement[Any]]:
    """The segment's key expressions, labelled, to select beside the rows."""
    return [key.expression.label(f"sort_key_{i}") for i, key in enumerate(segment.keys)]
