"""Task fields through the public API: description, status, priority, due date, completion,
assignees, labels, position and version, with `If-Match`, moves and the project's counts."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.api.test_projects import TASK_FIELDS, all_tasks, counts, invalid_fields, problem
from tests.conftest import Backend
from tests.support.accounts import Account, create_project, create_task, sign_up
from tests.support.teams import accept, create_project_in, create_workspace, join
from tests.support.waiting import eventually


def task_path(task: dict[str, Any]) -> str:
    return f"/projects/{task['project_id']}/tasks/{task['id']}"


async def get_task(api: httpx.AsyncClient, who: Account, task: dict[str, Any]) -> Any:
    response = await api.get(task_path(task), headers=who.headers)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{response.json()["version"]}"'
    return response.json()


async def patch(
    api: httpx.AsyncClient,
    who: Account,
    task: dict[str, Any],
    body: dict[str, Any],
    status: int = 200,
    **headers: str,
) -> Any:
    extra = {name.replace("_", "-"): value for name, value in headers.items()}
    response = await api.patch(task_path(task), json=body, headers={**who.headers, **extra})
    assert response.status_code == status, response.text
    if status == 200:
        assert response.headers["etag"] == f'"{response.json()["version"]}"'
    return response.json()


async def post_task(
    api: httpx.AsyncClient, who: Account, project_id: object, **body: Any
) -> httpx.Response:
    return await api.post(
        f"/projects/{project_id}/tasks", json={"title": "Task", **body}, headers=who.headers
    )


async def new_label(
    api: httpx.AsyncClient, who: Account, workspace: object, name: str, colour: str = "#112233"
) -> Any:
    response = await api.post(
        f"/workspaces/{workspace}/labels",
        json={"name": name, "colour": colour},
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def team_project(api: httpx.AsyncClient) -> tuple[Account, Account, str, dict[str, Any]]:
    """An owner, a member, their workspace and a project in it."""
    ann = await sign_up(api, "ann")
    workspace = await create_workspace(api, ann)
    bob = await join(api, ann, workspace, "member", "bob")
    project = await create_project_in(api, ann, workspace)
    return ann, bob, workspace, project


# Every field


async def test_a_new_task_has_the_defaults(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)

    response = await post_task(api, ann, project["id"])

    assert response.status_code == 201, response.text
    task = response.json()
    assert set(task) == TASK_FIELDS
    assert response.headers["etag"] == '"1"'
    assert (task["status"], task["priority"], task["done"], task["version"]) == (
        "todo",
        "none",
        False,
        1,
    )
    assert task["description"] is task["due_date"] is task["completed_at"] is None
    assert (task["assignees"], task["labels"], task["created_by"]) == ([], [], ann.id)
    assert isinstance(task["position"], str)
    assert task["position"]


async def test_every_field_round_trips(api: httpx.AsyncClient) -> None:
    ann, bob, workspace, project = await team_project(api)
    urgent = await new_label(api, ann, workspace, "Urgent", "#FF0000")
    later = await new_label(api, bob, workspace, "Later")
    body = {
        "title": "Ship",
        "description": "# Plan\n\n* one\n* **two** <b>raw</b>",
        "status": "in_progress",
        "priority": "high",
        "due_date": "2027-02-28",
        "assignees": [bob.id, ann.id, bob.id],
        "labels": [urgent["id"]],
    }

    created = (await post_task(api, ann, project["id"], **body)).json()

    expected = {**body, "assignees": sorted({ann.id, bob.id}), "done": False}
    assert {k: created[k] for k in expected} == expected
    assert await get_task(api, bob, created) == created
    assert await all_tasks(api, bob, project["id"]) == [created]

    change = {
        "title": "Shipped",
        "description": "",
        "priority": "urgent",
        "due_date": "2027-03-01",
        "assignees": [bob.id],
        "labels": [later["id"], urgent["id"]],
    }
    changed = await patch(api, bob, created, change)

    assert {k: changed[k] for k in change} == {
        **change,
        "labels": sorted([later["id"], urgent["id"]]),
    }
    assert changed["version"] == created["version"] + 1
    assert changed["updated_at"] > created["updated_at"]
    assert (changed["created_by"], changed["created_at"]) == (ann.id, created["created_at"])
    assert await get_task(api, ann, created) == changed
    assert await all_tasks(api, ann, project["id"]) == [changed]

    cleared = await patch(
        api, ann, created, {"description": None, "due_date": None, "assignees": [], "labels": []}
    )
    assert (cleared["description"], cleared["due_date"]) == (None, None)
    assert (cleared["assignees"], cleared["labels"]) == ([], [])
    assert await get_task(api, bob, created) == cleared


async def test_the_longest_description_is_kept(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    text = "é" * 20_000

    task = (await post_task(api, ann, project["id"], description=text)).json()

    assert (await get_task(api, ann, task))["description"] == text


INVALID = {
    "description-too-long": ({"description": "d" * 20_001}, "description"),
    "description-nul": ({"description": "a\x00b"}, "description"),
    "status-unknown": ({"status": "doing"}, "status"),
    "status-null": ({"status": None}, "status"),
    "priority-unknown": ({"priority": "critical"}, "priority"),
    "priority-null": ({"priority": None}, "priority"),
    "due-date-word": ({"due_date": "soon"}, "due_date"),
    "due-date-time": ({"due_date": "2027-02-30"}, "due_date"),
    "assignees-not-ids": ({"assignees": ["ann"]}, "assignees.0"),
    "assignees-null": ({"assignees": None}, "assignees"),
    "labels-not-a-list": ({"labels": "red"}, "labels"),
    "position-set": ({"position": "a0"}, "position"),
    "version-set": ({"version": 7}, "version"),
    "completed-at-set": ({"completed_at": "2027-01-01T00:00:00Z"}, "completed_at"),
}


@pytest.mark.parametrize(("body", "field"), INVALID.values(), ids=INVALID.keys())
async def test_invalid_values_are_refused_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    task = await create_task(api, ann, project["id"])

    refused_create = await post_task(api, ann, project["id"], **body)
    refused_change = await api.patch(task_path(task), json=body, headers=ann.headers)

    assert invalid_fields(refused_create) == {field}
    assert invalid_fields(refused_change) == {field}
    assert await all_tasks(api, ann, project["id"]) == [task]


# Versions and If-Match


async def test_if_match_refuses_a_change_made_on_an_old_version(api: httpx.AsyncClient) -> None:
    ann, bob, _, project = await team_project(api)
    task = await create_task(api, ann, project["id"])
    seen = await get_task(api, ann, task)

    theirs = await patch(api, bob, task, {"title": "Bob's"}, If_Match=f'"{seen["version"]}"')
    refused = await api.patch(
        task_path(task), json={"title": "Ann's"}, headers={**ann.headers, "If-Match": '"1"'}
    )

    assert theirs["version"] == 2
    body = problem(refused, 412)
    assert body["type"].endswith("/precondition_failed")
    assert await get_task(api, ann, task) == theirs
    # The current version (or none) goes through; an empty change answers as a read.
    mine = await patch(api, ann, task, {"title": "Ann's"}, If_Match='"2"')
    assert (mine["title"], mine["version"]) == ("Ann's", 3)
    problem(
        await api.patch(task_path(task), json={}, headers={**ann.headers, "If-Match": '"2"'}),
        412,
    )
    assert await patch(api, ann, task, {}, If_Match='"3"') == mine
    assert (await patch(api, ann, task, {"priority": "low"}))["version"] == 4


async def test_of_concurrent_changes_at_one_version_exactly_one_wins(
    api: httpx.AsyncClient,
) -> None:
    ann, bob, _, project = await team_project(api)
    task = await create_task(api, ann, project["id"])

    answers = await asyncio.gather(
        *(
            api.patch(
                task_path(task),
                json={"title": f"Edit {n}", "status": "in_progress" if n % 2 else "done"},
                headers={**(ann if n % 2 else bob).headers, "If-Match": '"1"'},
            )
            for n in range(6)
        )
    )

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [412] * 5, [a.text for a in answers]
    [winner] = [a.json() for a in answers if a.status_code == 200]
    assert winner["version"] == 2
    assert await get_task(api, ann, task) == winner
    done = int(winner["status"] == "done")
    assert await counts(api, ann, project["id"]) == (1, done, 100 * done)


async def test_a_malformed_if_match_is_refused(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    task = await create_task(api, ann, project["id"])

    response = await api.patch(
        task_path(task), json={"title": "x"}, headers={**ann.headers, "If-Match": "version 1"}
    )

    assert invalid_fields(response) == {"If-Match"}
    assert await all_tasks(api, ann, project["id"]) == [task]


async def test_a_task_that_is_not_there_is_not_found_with_or_without_if_match(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    path = f"/projects/{project['id']}/tasks/{uuid.uuid4()}"
    for headers in (ann.headers, {**ann.headers, "If-Match": '"1"'}):
        problem(await api.patch(path, json={"title": "x"}, headers=headers), 404)
    problem(await api.get(path, headers=ann.headers), 404)
    problem(await api.get(f"/projects/{project['id']}/tasks/nope", headers=ann.headers), 404)


# Status, done, completion and counts


async def test_status_and_done_follow_each_other_and_completion_is_the_servers(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    task = await create_task(api, ann, project["id"])

    started = await patch(api, ann, task, {"status": "in_progress"})
    assert (started["done"], started["completed_at"]) == (False, None)
    # done:false leaves a task that is not done as it is.
    assert (await patch(api, ann, task, {"done": False}))["status"] == "in_progress"

    finished = await patch(api, ann, task, {"done": True})
    assert (finished["status"], finished["done"]) == ("done", True)
    assert finished["completed_at"] is not None
    assert finished["completed_at"] == finished["updated_at"]
    # Another change keeps the completion time.
    assert (await patch(api, ann, task, {"title": "x"}))["completed_at"] == finished["completed_at"]

    reopened = await patch(api, ann, task, {"done": False})
    assert (reopened["status"], reopened["done"], reopened["completed_at"]) == (
        "todo",
        False,
        None,
    )
    via_status = await patch(api, ann, task, {"status": "done"})
    assert via_status["done"] is True
    assert via_status["completed_at"] is not None
    assert (await patch(api, ann, task, {"status": "backlog"}))["completed_at"] is None


async def test_done_that_contradicts_the_status_is_refused(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    task = await create_task(api, ann, project["id"])

    for body in ({"status": "done", "done": False}, {"status": "todo", "done": True}):
        response = await api.patch(task_path(task), json=body, headers=ann.headers)
        assert invalid_fields(response) == {"done"}
    assert await all_tasks(api, ann, project["id"]) == [task]
    assert (await patch(api, ann, task, {"status": "done", "done": True}))["done"] is True


async def test_cancelled_tasks_count_neither_as_open_nor_as_done(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    pid = project["id"]
    one = await create_task(api, ann, pid)
    two = await create_task(api, ann, pid)
    assert await counts(api, ann, pid) == (2, 0, 0)

    await patch(api, ann, one, {"status": "done"})
    assert await counts(api, ann, pid) == (2, 1, 50)
    await patch(api, ann, two, {"status": "cancelled"})
    assert await counts(api, ann, pid) == (1, 1, 100)
    await patch(api, ann, one, {"status": "cancelled"})
    assert await counts(api, ann, pid) == (0, 0, 0)
    await patch(api, ann, one, {"done": True})
    assert await counts(api, ann, pid) == (1, 1, 100)

    born_cancelled = (await post_task(api, ann, pid, status="cancelled")).json()
    born_done = (await post_task(api, ann, pid, status="done")).json()
    assert born_done["completed_at"] is not None
    assert await counts(api, ann, pid) == (2, 2, 100)
    await api.delete(task_path(born_cancelled), headers=ann.headers)
    await api.delete(task_path(two), headers=ann.headers)
    assert await counts(api, ann, pid) == (2, 2, 100)
    await api.delete(task_path(born_done), headers=ann.headers)
    assert await counts(api, ann, pid) == (1, 1, 100)


async def test_concurrent_status_changes_never_make_the_counts_drift(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    pid = project["id"]
    tasks = [await create_task(api, ann, pid) for _ in range(4)]
    statuses = ["done", "cancelled", "todo", "in_progress", "done", "cancelled"]

    async def churn(task: dict[str, Any], offset: int) -> None:
        for n in range(6):
            status = statuses[(n + offset) % len(statuses)]
            response = await api.patch(
                task_path(task), json={"status": status}, headers=ann.headers
            )
            assert response.status_code == 200, response.text

    await asyncio.gather(*(churn(t, i) for i, t in enumerate(tasks)), churn(tasks[0], 3))

    final = [t["status"] for t in await all_tasks(api, ann, pid)]
    open_or_done = sum(s != "cancelled" for s in final)
    done = sum(s == "done" for s in final)
    assert (await counts(api, ann, pid))[:2] == (open_or_done, done)


# Assignees


async def test_only_members_of_the_workspace_are_assigned(api: httpx.AsyncClient) -> None:
    ann, bob, _, project = await team_project(api)
    stranger = await sign_up(api, "stranger")
    task = await create_task(api, ann, project["id"])

    for assignees in ([stranger.id], [bob.id, stranger.id], [str(uuid.uuid4())]):
        created = await post_task(api, ann, project["id"], assignees=assignees)
        changed = await api.patch(
            task_path(task), json={"assignees": assignees}, headers=ann.headers
        )
        assert invalid_fields(created) == {"assignees"}
        assert invalid_fields(changed) == {"assignees"}
    assert await all_tasks(api, ann, project["id"]) == [task]
    assert (await patch(api, ann, task, {"assignees": [bob.id]}))["assignees"] == [bob.id]


@pytest.mark.parametrize("how", ["removed", "leaves", "account-deleted"])
async def test_assignments_end_when_someone_leaves_the_workspace(
    api: httpx.AsyncClient, backend: Backend, how: str
) -> None:
    ann, bob, workspace, project = await team_project(api)
    carl = await join(api, ann, workspace, "member", "carl")
    # Bob's assignments elsewhere are not this workspace's to end.
    elsewhere = await create_workspace(api, ann, "Elsewhere")
    await join_existing(api, ann, elsewhere, bob)
    other = await create_project_in(api, ann, elsewhere)
    kept = (await post_task(api, ann, other["id"], assignees=[bob.id])).json()
    both = (await post_task(api, ann, project["id"], assignees=[bob.id, carl.id])).json()
    only_bob = (await post_task(api, ann, project["id"], assignees=[bob.id])).json()
    # Read once, so a stale cached copy would show.
    await all_tasks(api, carl, project["id"])
    await get_task(api, carl, both)

    if how == "removed":
        response = await api.delete(
            f"/workspaces/{workspace}/members/{bob.id}", headers=ann.headers
        )
    elif how == "leaves":
        response = await api.post(f"/workspaces/{workspace}/leave", headers=bob.headers)
    else:
        response = await api.request(
            "DELETE", "/auth/me", json={"password": bob.password}, headers=bob.headers
        )
    assert response.status_code == 204, response.text

    async def ended() -> bool:
        return bool((await get_task(api, carl, only_bob))["assignees"] == [])

    await eventually(ended, within=30.0 if backend.name == "processes" else 5.0)
    listed = {t["id"]: t for t in await all_tasks(api, carl, project["id"])}
    assert listed[both["id"]]["assignees"] == [carl.id]
    assert listed[both["id"]]["version"] == both["version"] + 1
    assert listed[only_bob["id"]]["assignees"] == []
    assert await get_task(api, carl, both) == listed[both["id"]]
    if how != "account-deleted":
        assert (await get_task(api, ann, kept))["assignees"] == [bob.id]
    # Each task's history says so, and who ended it.
    by = ann.id if how == "removed" else bob.id
    for task in (both, only_bob):
        response = await api.get(
            f"/projects/{project['id']}/tasks/{task['id']}/activity", headers=carl.headers
        )
        assert response.status_code == 200, response.text
        newest = response.json()["items"][0]
        assert (newest["kind"], newest["field"], newest["before"], newest["actor_id"]) == (
            "unassigned",
            "assignees",
            bob.id,
            by,
        )


async def join_existing(
    api: httpx.AsyncClient, owner: Account, workspace: str, person: Account
) -> None:
    invitation = await api.post(
        f"/workspaces/{workspace}/invitations",
        json={"email": person.email, "role": "member"},
        headers=owner.headers,
    )
    assert invitation.status_code == 201, invitation.text
    accepted = await accept(api, person, invitation.json()["token"])
    assert accepted.status_code == 200, accepted.text


# Labels


async def test_labels_are_made_renamed_and_deleted_by_members(api: httpx.AsyncClient) -> None:
    ann, bob, workspace, project = await team_project(api)
    path = f"/workspaces/{workspace}/labels"
    bug = await new_label(api, bob, workspace, "  Bug ", "#AABBCC")
    assert (bug["name"], bug["colour"], bug["workspace_id"]) == ("Bug", "#aabbcc", workspace)
    ux = await new_label(api, ann, workspace, "UX")

    listed = await api.get(path, headers=ann.headers)
    assert listed.json() == {"items": [bug, ux]}

    renamed = await api.patch(
        f"{path}/{bug['id']}", json={"name": "Defect", "colour": "#000000"}, headers=bob.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["colour"]) == ("Defect", "#000000")
    taken = await api.patch(f"{path}/{bug['id']}", json={"name": "UX"}, headers=bob.headers)
    assert problem(taken, 409)["errors"][0]["field"] == "name"
    again = await api.post(path, json={"name": "UX", "colour": "#000000"}, headers=ann.headers)
    assert problem(again, 409)["errors"][0]["field"] == "name"

    task = (await post_task(api, ann, project["id"], labels=[bug["id"], ux["id"]])).json()
    await all_tasks(api, bob, project["id"])  # cached before the label goes
    deleted = await api.delete(f"{path}/{bug['id']}", headers=bob.headers)
    assert deleted.status_code == 204, deleted.text

    assert (await get_task(api, bob, task))["labels"] == [ux["id"]]
    assert [t["labels"] for t in await all_tasks(api, bob, project["id"])] == [[ux["id"]]]
    assert (await api.get(path, headers=ann.headers)).json()["items"] == [ux]
    problem(await api.delete(f"{path}/{bug['id']}", headers=bob.headers), 404)


LABEL_INVALID = {
    "no-name": ({"colour": "#000000"}, "name"),
    "blank-name": ({"name": "  ", "colour": "#000000"}, "name"),
    "long-name": ({"name": "n" * 51, "colour": "#000000"}, "name"),
    "colour-word": ({"name": "x", "colour": "red"}, "colour"),
    "colour-short": ({"name": "x", "colour": "#fff"}, "colour"),
    "no-colour": ({"name": "x"}, "colour"),
}


@pytest.mark.parametrize(("body", "field"), LABEL_INVALID.values(), ids=LABEL_INVALID.keys())
async def test_an_invalid_label_is_refused_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    ann = await sign_up(api, "ann")
    workspace = await create_workspace(api, ann)

    response = await api.post(f"/workspaces/{workspace}/labels", json=body, headers=ann.headers)

    assert invalid_fields(response) == {field}
    assert (await api.get(f"/workspaces/{workspace}/labels", headers=ann.headers)).json() == {
        "items": []
    }


async def test_a_label_of_another_workspace_is_refused(api: httpx.AsyncClient) -> None:
    ann, _, workspace, project = await team_project(api)
    other = await create_workspace(api, ann, "Other")
    foreign = await new_label(api, ann, other, "Foreign")
    own = await new_label(api, ann, workspace, "Own")
    task = await create_task(api, ann, project["id"])

    for labels in ([foreign["id"]], [own["id"], foreign["id"]], [str(uuid.uuid4())]):
        created = await post_task(api, ann, project["id"], labels=labels)
        changed = await api.patch(task_path(task), json={"labels": labels}, headers=ann.headers)
        assert invalid_fields(created) == {"labels"}
        assert invalid_fields(changed) == {"labels"}
    assert await all_tasks(api, ann, project["id"]) == [task]


# Positions and moves


async def column(
    api: httpx.AsyncClient, who: Account, project_id: object, status: str
) -> list[str]:
    """Titles of a status column, in its order."""
    tasks = [t for t in await all_tasks(api, who, project_id) if t["status"] == status]
    return [t["title"] for t in sorted(tasks, key=lambda t: t["position"].encode())]


async def test_tasks_move_between_and_across_columns(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    pid = project["id"]
    a, b, c = [await create_task(api, ann, pid, name) for name in "abc"]
    assert await column(api, ann, pid, "todo") == ["a", "b", "c"]

    moved = await patch(api, ann, c, {"after": a["id"]})
    assert await column(api, ann, pid, "todo") == ["a", "c", "b"]
    assert a["position"] < moved["position"] < b["position"]
    await patch(api, ann, a, {"before": b["id"]})
    assert await column(api, ann, pid, "todo") == ["c", "a", "b"]
    await patch(api, ann, b, {"after": c["id"], "before": a["id"]})
    assert await column(api, ann, pid, "todo") == ["c", "b", "a"]
    # Moves never renumber: c kept the key it got when it moved.
    unmoved = {t["id"]: t["position"] for t in await all_tasks(api, ann, pid)}
    assert unmoved[c["id"]] == moved["position"]

    # Into another column: at its end, or next to a task there.
    await patch(api, ann, a, {"status": "in_progress"})
    await patch(api, ann, c, {"status": "in_progress", "before": a["id"]})
    await patch(api, ann, b, {"status": "in_progress", "after": c["id"]})
    assert await column(api, ann, pid, "in_progress") == ["c", "b", "a"]
    assert await column(api, ann, pid, "todo") == []
    d = await create_task(api, ann, pid, "d")
    await patch(api, ann, d, {"status": "in_progress"})
    assert await column(api, ann, pid, "in_progress") == ["c", "b", "a", "d"]


async def test_a_placement_outside_the_column_is_refused(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    other = await create_project(api, ann, "Other")
    pid = project["id"]
    a, b = [await create_task(api, ann, pid, name) for name in "ab"]
    elsewhere = await create_task(api, ann, other["id"])
    done = (await post_task(api, ann, pid, status="done")).json()

    for body, field in [
        ({"after": done["id"]}, "after"),
        ({"before": elsewhere["id"]}, "before"),
        ({"after": str(uuid.uuid4())}, "after"),
        ({"after": a["id"]}, "after"),  # itself
        ({"status": "done", "before": b["id"]}, "before"),
        ({"after": b["id"], "before": b["id"]}, "before"),
        ({"after": "b"}, "after"),
    ]:
        response = await api.patch(task_path(a), json=body, headers=ann.headers)
        assert invalid_fields(response) == {field}, body
    assert await column(api, ann, pid, "todo") == ["a", "b"]
    wrong_order = await api.patch(
        task_path(done), json={"status": "todo", "after": b["id"], "before": a["id"]},
        headers=ann.headers,
    )  # fmt: skip
    assert invalid_fields(wrong_order) == {"before"}


async def test_two_people_moving_into_one_place_at_once_both_land_there(
    api: httpx.AsyncClient,
) -> None:
    ann, bob, _, project = await team_project(api)
    pid = project["id"]
    first = await create_task(api, ann, pid, "first")
    last = await create_task(api, ann, pid, "last")
    movers = [
        (await post_task(api, ann, pid, title=f"m{n}", status="backlog")).json() for n in range(6)
    ]

    async def move(who: Account, task: dict[str, Any], body: dict[str, Any]) -> None:
        response = await api.patch(
            task_path(task), json={"status": "todo", **body}, headers=who.headers
        )
        assert response.status_code == 200, response.text

    await asyncio.gather(
        *(
            move(
                ann if n % 2 else bob,
                task,
                {"after": first["id"]} if n < 3 else {"before": last["id"]},
            )
            for n, task in enumerate(movers)
        )
    )

    order = await column(api, ann, pid, "todo")
    positions = [t["position"] for t in await all_tasks(api, ann, pid)]
    assert len(set(positions)) == len(positions), "two tasks share a position"
    assert (order[0], order[-1]) == ("first", "last")
    assert sorted(order[1:-1]) == [f"m{n}" for n in range(6)]
    # Each "after first" move landed before every "before last" one it did not precede.
    afters = [order.index(f"m{n}") for n in range(3)]
    befores = [order.index(f"m{n}") for n in range(3, 6)]
    assert max(afters) < min(befores)
