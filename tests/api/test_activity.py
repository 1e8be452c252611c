"""The activity log through the public API: every kind of change to a task or a project is
recorded with who and what, newest first, paged, and only for those who may read it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.test_projects import when
from tests.support.accounts import Account, create_task, sign_up
from tests.support.teams import create_project_in, create_workspace, join

ENTRY_FIELDS = {"id", "project_id", "task_id", "actor_id", "kind", "field", "before", "after", "at"}


async def log(api: httpx.AsyncClient, who: Account, path: str, limit: int = 2) -> list[Any]:
    """Every entry at `path`, following the cursor with small pages."""
    items: list[Any] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await api.get(path, params=params, headers=who.headers)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


def brief(entries: list[Any]) -> set[tuple[Any, ...]]:
    return {(e["kind"], e["field"], str(e["before"]), str(e["after"])) for e in entries}


async def setup(api: httpx.AsyncClient) -> tuple[Account, Account, str, dict[str, Any]]:
    ann = await sign_up(api, "ann")
    workspace = await create_workspace(api, ann)
    bob = await join(api, ann, workspace, "member", "bob")
    project = await create_project_in(api, ann, workspace, "Garden")
    return ann, bob, workspace, project


async def test_every_change_to_a_task_is_logged_with_its_actor(api: httpx.AsyncClient) -> None:
    ann, bob, workspace, project = await setup(api)
    label = await api.post(
        f"/workspaces/{workspace}/labels",
        json={"name": "Soil", "colour": "#00aa00"},
        headers=ann.headers,
    )
    label_id = label.json()["id"]
    made = await api.post(
        f"/projects/{project['id']}/tasks",
        json={"title": "Dig", "assignees": [ann.id]},
        headers=ann.headers,
    )
    task = made.json()
    path = f"/projects/{project['id']}/tasks/{task['id']}"
    other = await create_task(api, ann, project["id"], "Rake")
    changes = [
        {"title": "Dig deep", "priority": "high", "due_date": "2027-03-01"},
        {"description": "x" * 5000},
        {"status": "in_progress"},
        {"assignees": [bob.id], "labels": [label_id]},
        {"done": True},
    ]
    for change in changes:
        response = await api.patch(path, json=change, headers=bob.headers)
        assert response.status_code == 200, response.text
    moved = await api.patch(
        path, json={"status": "todo", "before": other["id"]}, headers=bob.headers
    )
    assert moved.status_code == 200, moved.text
    reorder = await api.patch(path, json={"after": other["id"]}, headers=bob.headers)
    assert reorder.status_code == 200, reorder.text

    entries = await log(api, bob, f"{path}/activity")

    assert all(set(e) == ENTRY_FIELDS for e in entries)
    assert {e["task_id"] for e in entries} == {task["id"]}
    assert {e["project_id"] for e in entries} == {project["id"]}
    times = [(when(e["at"]), e["id"]) for e in entries]
    assert times == sorted(times, reverse=True)
    assert {e["actor_id"] for e in entries if e["kind"] == "created"} == {ann.id}
    made_by_ann = {("created", "Dig"), ("assigned", ann.id)}
    actors = {e["actor_id"] for e in entries if (e["kind"], e["after"]) not in made_by_ann}
    assert actors == {bob.id}
    expected = {
        ("created", None, "None", "Dig"),
        ("assigned", "assignees", "None", ann.id),
        ("changed", "title", "Dig", "Dig deep"),
        ("changed", "priority", "none", "high"),
        ("changed", "due_date", "None", "2027-03-01"),
        # Only that a description changed, not its text.
        ("changed", "description", "None", "None"),
        ("changed", "status", "todo", "in_progress"),
        ("assigned", "assignees", "None", bob.id),
        ("unassigned", "assignees", ann.id, "None"),
        ("labelled", "labels", "None", label_id),
        ("changed", "status", "in_progress", "done"),
        ("changed", "done", "False", "True"),
        ("changed", "status", "done", "todo"),
        ("changed", "done", "True", "False"),
    }
    assert brief([e for e in entries if e["kind"] != "moved"]) == expected
    [reordered] = [e for e in entries if e["kind"] == "moved"]
    assert (reordered["field"], reordered["actor_id"]) == ("position", bob.id)
    assert reordered["before"] != reordered["after"]


async def test_a_change_that_changes_nothing_logs_nothing(api: httpx.AsyncClient) -> None:
    ann, _, _, project = await setup(api)
    task = await create_task(api, ann, project["id"], "Same")
    path = f"/projects/{project['id']}/tasks/{task['id']}"
    response = await api.patch(path, json={"title": "Same", "status": "todo"}, headers=ann.headers)
    assert response.status_code == 200, response.text

    assert [e["kind"] for e in await log(api, ann, f"{path}/activity")] == ["created"]


async def test_the_project_log_has_the_project_and_its_tasks_newest_first(
    api: httpx.AsyncClient,
) -> None:
    ann, bob, _, project = await setup(api)
    pid = project["id"]
    renamed = await api.patch(
        f"/projects/{pid}", json={"name": "Yard", "description": "All of it"}, headers=bob.headers
    )
    assert renamed.status_code == 200, renamed.text
    task = await create_task(api, bob, pid, "Mow")
    comment = await api.post(
        f"/projects/{pid}/tasks/{task['id']}/comments", json={"body": "When?"}, headers=ann.headers
    )
    assert comment.status_code == 201, comment.text
    deleted = await api.delete(f"/projects/{pid}/tasks/{task['id']}", headers=ann.headers)
    assert deleted.status_code == 204

    entries = await log(api, ann, f"/projects/{pid}/activity")

    kinds = [(e["kind"], e["task_id"]) for e in entries]
    assert kinds[:3] == [
        ("deleted", task["id"]),
        ("commented", task["id"]),
        ("created", task["id"]),
    ]
    # One change of the project: its two entries share a time.
    assert set(kinds[3:5]) == {("renamed", None), ("changed", None)}
    assert kinds[5:] == [("created", None)]
    by_kind = {(e["kind"], e["task_id"]): e for e in entries}
    assert (by_kind[("renamed", None)]["before"], by_kind[("renamed", None)]["after"]) == (
        "Garden",
        "Yard",
    )
    assert by_kind[("changed", None)]["field"] == "description"
    assert by_kind[("commented", task["id"])]["after"] == comment.json()["id"]
    assert by_kind[("created", None)]["actor_id"] == ann.id
    # The task is in the trash: its own log is not found with it.
    gone = await api.get(f"/projects/{pid}/tasks/{task['id']}/activity", headers=ann.headers)
    assert gone.status_code == 404


async def test_only_members_read_the_log(api: httpx.AsyncClient) -> None:
    ann, _, workspace, project = await setup(api)
    viewer = await join(api, ann, workspace, "viewer", "viewer")
    stranger = await sign_up(api, "stranger")
    task = await create_task(api, ann, project["id"])
    paths = [
        f"/projects/{project['id']}/activity",
        f"/projects/{project['id']}/tasks/{task['id']}/activity",
    ]

    for path in paths:
        assert len(await log(api, viewer, path)) >= 1
        hidden = await api.get(path, headers=stranger.headers)
        assert hidden.status_code == 404, hidden.text
