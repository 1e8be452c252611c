"""The rules of a task's status and its place in a column, apart from any storage.

`done` is derived from the status; a cancelled task counts neither as open nor as done,
so a project's `task_count` holds the tasks that are not cancelled. Positions are
fractional-indexing keys: a task placed between two others gets a key between theirs, so
no move renumbers a column.
"""

from __future__ import annotations

from collections.abc import Mapping

from fractional_indexing import generate_key_between

from projectconnect.infra.problems import field_error

DONE = "done"
CANCELLED = "cancelled"


def counted(status: str) -> int:
    """1 when a task in `status` counts in its project's `task_count`."""
    return int(status != CANCELLED)


def next_status(current: str, changes: Mapping[str, object]) -> str:
    """The status a change leaves a task in: `status` if given, else what `done` implies
    (true: done; false: todo, for a done task only). Both given must agree (else 422)."""
    status = changes.get("status")
    done = changes.get("done")
    if status is not None:
        if done is not None and (status == DONE) != done:
            raise field_error("done", "contradicts_status", "`done` contradicts `status`.")
        return str(status)
    if done is True:
        return DONE
    if done is False and current == DONE:
        return "todo"
    return current


def key_between(earlier: str | None, later: str | None) -> str:
    """A position after `earlier` and before `later` (None: the column's start or end)."""
    key: str = generate_key_between(earlier, later)
    return key
