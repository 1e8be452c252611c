"""The rules of a task's status and position, apart from any storage."""

from __future__ import annotations

import random

import pytest

from projectconnect.infra.problems import InvalidInput
from projectconnect.projects.tasks import counted, key_between, next_status

STATUSES = ("backlog", "todo", "in_progress", "done", "cancelled")


@pytest.mark.parametrize(
    ("current", "changes", "expected"),
    [
        ("todo", {"done": True}, "done"),
        ("done", {"done": False}, "todo"),
        ("in_progress", {"done": False}, "in_progress"),
        ("cancelled", {"done": False}, "cancelled"),
        ("cancelled", {"done": True}, "done"),
        ("todo", {"status": "backlog"}, "backlog"),
        ("todo", {"status": "done", "done": True}, "done"),
        ("done", {"title": "x"}, "done"),
    ],
)
def test_the_status_a_change_leaves(
    current: str, changes: dict[str, object], expected: str
) -> None:
    assert next_status(current, changes) == expected


@pytest.mark.parametrize(
    "changes", [{"status": "done", "done": False}, {"status": "todo", "done": True}]
)
def test_done_contradicting_the_status_names_done(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as refused:
        next_status("todo", changes)
    assert [e.field for e in refused.value.errors] == ["done"]


def test_only_cancelled_tasks_do_not_count() -> None:
    assert {s: counted(s) for s in STATUSES} == {
        "backlog": 1,
        "todo": 1,
        "in_progress": 1,
        "done": 1,
        "cancelled": 0,
    }


def test_keys_fit_between_any_two_without_renumbering() -> None:
    rng = random.Random(15)
    keys = [key_between(None, None)]
    for _ in range(500):
        spot = rng.randrange(len(keys) + 1)
        earlier = keys[spot - 1] if spot else None
        later = keys[spot] if spot < len(keys) else None
        key = key_between(earlier, later)
        assert earlier is None or earlier < key
        assert later is None or key < later
        keys.insert(spot, key)
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    # Byte order is the order: what PostgreSQL's "C" collation and SQLite compare by.
    assert keys == sorted(keys, key=str.encode)
