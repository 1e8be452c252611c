"""The activity log's diff: which entries a task's or a project's change makes."""

from __future__ import annotations

import datetime as dt
import uuid

from projectconnect.projects.activity import Change, project_changes, task_changes

ANN, BOB = uuid.UUID(int=1), uuid.UUID(int=2)
LABEL = uuid.UUID(int=3)


def state(**values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "title": "Dig",
        "description": None,
        "status": "todo",
        "done": False,
        "priority": "none",
        "due_date": None,
        "position": "a0",
        "assignees": frozenset(),
        "labels": frozenset(),
    }
    return {**base, **values}


def test_nothing_changed_makes_no_entry() -> None:
    assert task_changes(state(), state()) == []


def test_each_field_records_its_old_and_new_value_as_json() -> None:
    after = state(title="Dig deep", priority="high", due_date=dt.date(2027, 3, 1))

    assert task_changes(state(), after) == [
        Change("changed", "title", "Dig", "Dig deep"),
        Change("changed", "priority", "none", "high"),
        Change("changed", "due_date", None, "2027-03-01"),
    ]


def test_a_description_is_recorded_as_changed_without_its_text() -> None:
    assert task_changes(state(), state(description="x" * 20_000)) == [
        Change("changed", "description")
    ]


def test_a_move_within_a_column_is_moved_and_to_another_column_a_status_change() -> None:
    assert task_changes(state(), state(position="a5")) == [Change("moved", "position", "a0", "a5")]
    assert task_changes(state(), state(status="done", done=True, position="a5")) == [
        Change("changed", "status", "todo", "done"),
        Change("changed", "done", False, True),
    ]


def test_assignees_and_labels_record_each_one_added_or_removed() -> None:
    before = state(assignees=frozenset({ANN}))
    after = state(assignees=frozenset({BOB}), labels=frozenset({LABEL}))

    assert task_changes(before, after) == [
        Change("assigned", "assignees", after=str(BOB)),
        Change("unassigned", "assignees", before=str(ANN)),
        Change("labelled", "labels", after=str(LABEL)),
    ]


def test_a_project_is_renamed_and_its_description_changed() -> None:
    before = {"name": "Garden", "description": "Beds"}

    assert project_changes(before, {"name": "Yard", "description": None}) == [
        Change("renamed", "name", "Garden", "Yard"),
        Change("changed", "description"),
    ]
    assert project_changes(before, dict(before)) == []
