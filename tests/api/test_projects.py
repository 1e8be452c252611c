"""The projects and tasks API: listing, validation, updates, deletion and progress counts."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import random
import uuid
from typing import Any

import httpx
import pytest

from tests.support.accounts import Account, create_project, create_task, sign_up

PROBLEM = "application/problem+json"
PROJECT_FIELDS = {
    "id",
    "name",
    "description",
    "created_at",
    "updated_at",
    "task_count",
    "done_count",
    "progress",
    "workspace_id",
    "created_by",
    "archived_at",
    "my_role",
}
TASK_FIELDS = {
    "id",
    "project_id",
    "created_by",
    "title",
    "done",
    "created_at",
    "updated_at",
    "description",
    "status",
    "priority",
    "due_date",
    "completed_at",
    "assignees",
    "labels",
    "position",
    "version",
    "comment_count",
}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem document of an error response, checked against RFC 9457's shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


def invalid_fields(response: httpx.Response) -> set[str]:
    """The field names a 422 problem blames, after checking each error's shape."""
    body = problem(response, 422)
    errors = body["errors"]
    assert errors
    for error in errors:
        assert set(error) == {"field", "code", "message"}
    return {error["field"] for error in errors}


def when(value: object) -> dt.datetime:
    assert isinstance(value, str)
    return dt.datetime.fromisoformat(value)


def cursor_of(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


async def fetch_project(api: httpx.AsyncClient, owner: Account, project_id: object) -> Any:
    response = await api.get(f"/projects/{project_id}", headers=owner.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def counts(
    api: httpx.AsyncClient, owner: Account, project_id: object
) -> tuple[int, int, int]:
    project = await fetch_project(api, owner, project_id)
    return project["task_count"], project["done_count"], project["progress"]


async def patch_task(
    api: httpx.AsyncClient, owner: Account, project_id: object, task_id: object, **body: object
) -> Any:
    response = await api.patch(
        f"/projects/{project_id}/tasks/{task_id}", json=body, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def delete_task(
    api: httpx.AsyncClient, owner: Account, project_id: object, task_id: object
) -> None:
    response = await api.delete(f"/projects/{project_id}/tasks/{task_id}", headers=owner.headers)
    assert response.status_code == 204, response.text


async def pages(
    api: httpx.AsyncClient, owner: Account, path: str, limit: int
) -> list[list[dict[str, Any]]]:
    """Every page of a list, following next_cursor until it runs out."""
    result: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        response = await api.get(path, params=params, headers=owner.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        result.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return result
        assert isinstance(cursor, str)
        assert len(result) < 50, "pagination does not end"


async def all_tasks(api: httpx.AsyncClient, owner: Account, project_id: object) -> list[Any]:
    return [
        t for page in await pages(api, owner, f"/projects/{project_id}/tasks", 100) for t in page
    ]


# Listing projects


async def test_a_new_user_has_no_projects(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    response = await api.get("/projects", headers=ann.headers)
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_projects_are_paged_newest_first_without_gaps_or_repeats(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")
    created = [await create_project(api, ann, f"Project {n}") for n in range(7)]

    paged = await pages(api, ann, "/projects", 3)

    assert [len(page) for page in paged] == [3, 3, 1]
    listed = [item for page in paged for item in page]
    assert [p["id"] for p in listed] == [p["id"] for p in reversed(created)]
    assert all(set(item) == PROJECT_FIELDS for item in listed)
    times = [when(p["created_at"]) for p in listed]
    assert times == sorted(times, reverse=True)
    # A list item is the same document as the project itself.
    assert listed[-1] == created[0]


async def test_a_page_exactly_as_long_as_the_list_is_the_last(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    created = [await create_project(api, ann, f"Project {n}") for n in range(3)]

    exact = await api.get("/projects", params={"limit": 3}, headers=ann.headers)
    default = await api.get("/projects", headers=ann.headers)

    assert exact.json()["next_cursor"] is None
    assert [p["id"] for p in exact.json()["items"]] == [p["id"] for p in reversed(created)]
    assert default.json() == exact.json()


async def test_the_largest_page_size_is_accepted(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    for path in ("/projects", f"/projects/{project['id']}/tasks"):
        response = await api.get(path, params={"limit": 100}, headers=ann.headers)
        assert response.status_code == 200, response.text


async def test_a_user_lists_only_their_own_projects(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    bob = await sign_up(api, "bob")
    mine = await create_project(api, ann, "Mine")
    await create_project(api, bob, "Theirs")

    listed = (await api.get("/projects", headers=ann.headers)).json()

    assert [p["id"] for p in listed["items"]] == [mine["id"]]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "many"])
@pytest.mark.parametrize("listing", ["projects", "tasks"])
async def test_a_page_size_out_of_range_is_refused(
    api: httpx.AsyncClient, limit: str, listing: str
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    path = "/projects" if listing == "projects" else f"/projects/{project['id']}/tasks"

    response = await api.get(path, params={"limit": limit}, headers=ann.headers)

    assert invalid_fields(response) == {"limit"}


GARBAGE_CURSORS = {
    "word": "garbage",
    "percent-signs": "%%%",
    "too-long": "x" * 600,
    "object": cursor_of({"created_at": "2024-01-01T00:00:00+00:00"}),
    "null": cursor_of(None),
    "bad-time": cursor_of(["yesterday", str(uuid.uuid4())]),
    "time-without-zone": cursor_of(["2024-01-01T00:00:00", str(uuid.uuid4())]),
    "bad-id": cursor_of(["2024-01-01T00:00:00+00:00", "not-a-uuid"]),
    "number-id": cursor_of(["2024-01-01T00:00:00+00:00", 42]),
    # Valid ISO times that fall outside the datetime range once moved to UTC.
    "before-year-1-in-utc": cursor_of(["0001-01-01T00:00:00+05:00", str(uuid.uuid4())]),
    "after-year-9999-in-utc": cursor_of(["9999-12-31T23:59:59-05:00", str(uuid.uuid4())]),
}


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS.values(), ids=GARBAGE_CURSORS.keys())
@pytest.mark.parametrize("listing", ["projects", "tasks"])
async def test_a_cursor_not_issued_by_the_service_is_refused(
    api: httpx.AsyncClient, cursor: str, listing: str
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    path = "/projects" if listing == "projects" else f"/projects/{project['id']}/tasks"

    response = await api.get(path, params={"cursor": cursor}, headers=ann.headers)

    assert invalid_fields(response) == {"cursor"}


async def test_a_cursor_survives_its_project_being_deleted(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    created = [await create_project(api, ann, f"Project {n}") for n in range(5)]
    first = (await api.get("/projects", params={"limit": 2}, headers=ann.headers)).json()
    assert [p["id"] for p in first["items"]] == [created[4]["id"], created[3]["id"]]
    deleted = await api.delete(f"/projects/{created[3]['id']}", headers=ann.headers)
    assert deleted.status_code == 204

    rest = await api.get(
        "/projects", params={"limit": 10, "cursor": first["next_cursor"]}, headers=ann.headers
    )

    assert rest.status_code == 200, rest.text
    assert [p["id"] for p in rest.json()["items"]] == [p["id"] for p in reversed(created[:3])]


async def test_projects_created_while_paging_do_not_shift_later_pages(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")
    created = [await create_project(api, ann, f"Project {n}") for n in range(4)]
    first = (await api.get("/projects", params={"limit": 2}, headers=ann.headers)).json()
    await create_project(api, ann, "Newcomer")

    rest = await api.get(
        "/projects", params={"limit": 10, "cursor": first["next_cursor"]}, headers=ann.headers
    )

    assert [p["id"] for p in rest.json()["items"]] == [created[1]["id"], created[0]["id"]]


# Creating projects


async def test_creating_a_project_returns_it_with_its_name_trimmed(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")

    response = await api.post(
        "/projects", json={"name": "  Garden \t", "description": "Beds"}, headers=ann.headers
    )

    assert response.status_code == 201, response.text
    project = response.json()
    assert set(project) == PROJECT_FIELDS
    assert project["name"] == "Garden"
    assert project["description"] == "Beds"
    assert (project["task_count"], project["done_count"], project["progress"]) == (0, 0, 0)
    assert project["created_at"] == project["updated_at"]
    assert str(uuid.UUID(project["id"])) == project["id"]
    assert await fetch_project(api, ann, project["id"]) == project


async def test_a_project_without_description_has_none(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "Bare")
    assert project["description"] is None


async def test_the_longest_name_and_description_are_accepted(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    name, description = "n" * 200, "d" * 10_000

    project = await create_project(api, ann, name, description=description)

    stored = await fetch_project(api, ann, project["id"])
    assert (stored["name"], stored["description"]) == (name, description)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "\t\n"},
        {"name": None},
        {"name": 5},
        {"name": "n" * 201},
        {"name": "Valid", "description": "d" * 10_001},
        {"name": "Valid", "description": 7},
    ],
    ids=[
        "missing",
        "empty",
        "spaces",
        "whitespace",
        "null",
        "number",
        "name-too-long",
        "description-too-long",
        "description-number",
    ],
)
async def test_an_invalid_project_is_refused_and_not_created(
    api: httpx.AsyncClient, body: dict[str, object]
) -> None:
    ann = await sign_up(api, "ann")

    response = await api.post("/projects", json=body, headers=ann.headers)

    expected = "description" if "description" in body else "name"
    assert invalid_fields(response) == {expected}
    assert (await api.get("/projects", headers=ann.headers)).json()["items"] == []


@pytest.mark.parametrize(
    "field",
    [
        "owner_id",
        "workspace_id",
        "created_by",
        "my_role",
        "id",
        "task_count",
        "done_count",
        "progress",
        "created_at",
    ],
)
async def test_fields_a_client_may_not_set_are_refused(api: httpx.AsyncClient, field: str) -> None:
    ann = await sign_up(api, "ann")
    bob = await sign_up(api, "bob")
    values: dict[str, object] = {
        "owner_id": bob.id,
        "workspace_id": str(uuid.uuid4()),
        "created_by": bob.id,
        "my_role": "owner",
        "id": str(uuid.uuid4()),
        "task_count": 5,
        "done_count": 5,
        "progress": 100,
        "created_at": "2000-01-01T00:00:00Z",
    }

    response = await api.post(
        "/projects", json={"name": "Sneaky", field: values[field]}, headers=ann.headers
    )

    assert invalid_fields(response) == {field}
    assert (await api.get("/projects", headers=ann.headers)).json()["items"] == []
    assert (await api.get("/projects", headers=bob.headers)).json()["items"] == []


NUL_INPUTS = {
    "project-name": ("POST", "", {"name": "Gar\u0000den"}, "name"),
    "project-description": (
        "POST",
        "",
        {"name": "Garden", "description": "Beds\u0000"},
        "description",
    ),
    "renamed-project": ("PATCH", "/{project}", {"name": "\u0000"}, "name"),
    "task-title": ("POST", "/{project}/tasks", {"title": "Dig\u0000"}, "title"),
    "renamed-task": ("PATCH", "/{project}/tasks/{task}", {"title": "D\u0000ig"}, "title"),
}


@pytest.mark.parametrize(
    ("method", "suffix", "body", "field"), NUL_INPUTS.values(), ids=NUL_INPUTS.keys()
)
async def test_text_with_a_nul_character_is_refused_as_invalid(
    api: httpx.AsyncClient, method: str, suffix: str, body: dict[str, object], field: str
) -> None:
    # PostgreSQL cannot store NUL in text, so every backend must refuse it the same way.
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    task = await create_task(api, ann, project["id"])
    path = "/projects" + suffix.format(project=project["id"], task=task["id"])

    response = await api.request(method, path, json=body, headers=ann.headers)

    assert invalid_fields(response) == {field}
    listed = (await api.get("/projects", headers=ann.headers)).json()["items"]
    assert listed == [await fetch_project(api, ann, project["id"])]
    assert listed[0]["name"] == project["name"]
    assert await all_tasks(api, ann, project["id"]) == [task]


# One project


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "project_id", ["not-a-uuid", "123", "random-uuid"], ids=["word", "number", "unknown"]
)
async def test_a_project_that_is_not_there_is_not_found(
    api: httpx.AsyncClient, method: str, project_id: str
) -> None:
    ann = await sign_up(api, "ann")
    if project_id == "random-uuid":
        project_id = str(uuid.uuid4())
    body = {"name": "Renamed"} if method == "PATCH" else None

    response = await api.request(method, f"/projects/{project_id}", json=body, headers=ann.headers)

    problem(response, 404)


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "tasks", None),
        ("POST", "tasks", {"title": "Dig"}),
        ("PATCH", "tasks/{task}", {"done": True}),
        ("DELETE", "tasks/{task}", None),
    ],
)
async def test_tasks_under_a_project_id_that_is_not_a_uuid_are_not_found(
    api: httpx.AsyncClient, method: str, suffix: str, body: dict[str, object] | None
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    task = await create_task(api, ann, project["id"])
    path = suffix.format(task=task["id"])

    response = await api.request(
        method, f"/projects/not-a-uuid/{path}", json=body, headers=ann.headers
    )

    problem(response, 404)
    assert (await all_tasks(api, ann, project["id"])) == [task]


async def test_renaming_a_project_trims_the_name_and_bumps_updated_at(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "Garden", description="Beds")

    response = await api.patch(
        f"/projects/{project['id']}", json={"name": "  Orchard  "}, headers=ann.headers
    )

    assert response.status_code == 200, response.text
    renamed = response.json()
    assert set(renamed) == PROJECT_FIELDS
    assert renamed["name"] == "Orchard"
    assert renamed["description"] == "Beds"
    assert renamed["created_at"] == project["created_at"]
    assert when(renamed["updated_at"]) > when(project["updated_at"])
    assert await fetch_project(api, ann, project["id"]) == renamed


async def test_a_description_is_set_and_cleared_with_null(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "Garden")
    path = f"/projects/{project['id']}"

    described = await api.patch(path, json={"description": "Beds"}, headers=ann.headers)
    cleared = await api.patch(path, json={"description": None}, headers=ann.headers)

    assert described.status_code == 200, described.text
    assert described.json()["description"] == "Beds"
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["description"] is None
    assert cleared.json()["name"] == "Garden"
    stored = await fetch_project(api, ann, project["id"])
    assert stored["description"] is None
    assert when(stored["updated_at"]) > when(described.json()["updated_at"])


async def test_an_empty_patch_changes_nothing(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "Garden", description="Beds")

    response = await api.patch(f"/projects/{project['id']}", json={}, headers=ann.headers)

    assert response.status_code == 200, response.text
    assert response.json() == project
    assert await fetch_project(api, ann, project["id"]) == project


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"description": "d" * 10_001}, "description"),
        ({"owner_id": "00000000-0000-0000-0000-000000000001"}, "owner_id"),
        ({"task_count": 3}, "task_count"),
    ],
    ids=[
        "name-null",
        "name-empty",
        "name-spaces",
        "name-too-long",
        "description-too-long",
        "owner",
        "count",
    ],
)
async def test_an_invalid_project_patch_is_refused_and_changes_nothing(
    api: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "Garden", description="Beds")

    response = await api.patch(f"/projects/{project['id']}", json=body, headers=ann.headers)

    assert invalid_fields(response) == {field}
    assert await fetch_project(api, ann, project["id"]) == project


async def test_deleting_a_project_deletes_it_and_its_tasks(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    kept = await create_project(api, ann, "Kept")
    project = await create_project(api, ann, "Doomed")
    task = await create_task(api, ann, project["id"])
    await patch_task(api, ann, project["id"], task["id"], done=True)
    path = f"/projects/{project['id']}"

    response = await api.delete(path, headers=ann.headers)

    assert response.status_code == 204
    assert response.content == b""
    problem(await api.get(path, headers=ann.headers), 404)
    problem(await api.get(f"{path}/tasks", headers=ann.headers), 404)
    task_path = f"{path}/tasks/{task['id']}"
    problem(await api.patch(task_path, json={"done": False}, headers=ann.headers), 404)
    problem(await api.delete(task_path, headers=ann.headers), 404)
    problem(await api.post(f"{path}/tasks", json={"title": "Late"}, headers=ann.headers), 404)
    # Sent again (a retry after a lost answer), the deletion is done: nothing changes.
    assert (await api.delete(path, headers=ann.headers)).status_code == 204
    stranger = await sign_up(api, "stranger")
    problem(await api.delete(path, headers=stranger.headers), 404)
    listed = (await api.get("/projects", headers=ann.headers)).json()
    assert [p["id"] for p in listed["items"]] == [kept["id"]]
    trash = await api.get(f"/workspaces/{project['workspace_id']}/trash", headers=ann.headers)
    assert [i["id"] for i in trash.json()["items"]] == [project["id"]]


# Tasks


async def test_creating_a_task_returns_it(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)

    response = await api.post(
        f"/projects/{project['id']}/tasks", json={"title": "  Dig  "}, headers=ann.headers
    )

    assert response.status_code == 201, response.text
    task = response.json()
    assert set(task) == TASK_FIELDS
    assert task["project_id"] == project["id"]
    assert task["title"] == "Dig"
    assert task["done"] is False
    assert task["created_at"] == task["updated_at"]
    assert str(uuid.UUID(task["id"])) == task["id"]
    assert await all_tasks(api, ann, project["id"]) == [task]


async def test_the_longest_title_is_accepted(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)

    task = await create_task(api, ann, project["id"], "t" * 500)

    assert task["title"] == "t" * 500


@pytest.mark.parametrize(
    "body",
    [{}, {"title": ""}, {"title": "  \n"}, {"title": None}, {"title": "t" * 501}],
    ids=["missing", "empty", "whitespace", "null", "too-long"],
)
async def test_an_invalid_task_is_refused_and_not_created(
    api: httpx.AsyncClient, body: dict[str, object]
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)

    response = await api.post(f"/projects/{project['id']}/tasks", json=body, headers=ann.headers)

    assert invalid_fields(response) == {"title"}
    assert await all_tasks(api, ann, project["id"]) == []
    assert await counts(api, ann, project["id"]) == (0, 0, 0)


@pytest.mark.parametrize("field", ["id", "project_id", "owner_id", "created_by", "done"])
async def test_task_fields_a_client_may_not_set_on_creation_are_refused(
    api: httpx.AsyncClient, field: str
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    other = await create_project(api, ann, "Other")
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "project_id": other["id"],
        "owner_id": str(uuid.uuid4()),
        "created_by": str(uuid.uuid4()),
        "done": True,
    }

    response = await api.post(
        f"/projects/{project['id']}/tasks",
        json={"title": "Dig", field: values[field]},
        headers=ann.headers,
    )

    assert invalid_fields(response) == {field}
    assert await all_tasks(api, ann, project["id"]) == []
    assert await all_tasks(api, ann, other["id"]) == []


async def test_a_new_project_has_no_tasks(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)

    response = await api.get(f"/projects/{project['id']}/tasks", headers=ann.headers)

    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_tasks_are_paged_oldest_first_without_gaps_or_repeats(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    other = await create_project(api, ann, "Other")
    created = [await create_task(api, ann, project["id"], f"Task {n}") for n in range(7)]
    await create_task(api, ann, other["id"], "Elsewhere")

    paged = await pages(api, ann, f"/projects/{project['id']}/tasks", 3)

    assert [len(page) for page in paged] == [3, 3, 1]
    listed = [item for page in paged for item in page]
    assert listed == created
    times = [when(t["created_at"]) for t in listed]
    assert times == sorted(times)


async def test_a_task_is_renamed_and_toggled(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    task = await create_task(api, ann, project["id"], "Dig")

    renamed = await patch_task(api, ann, project["id"], task["id"], title="  Dig deeper ")
    done = await patch_task(api, ann, project["id"], task["id"], done=True)
    undone = await patch_task(api, ann, project["id"], task["id"], done=False)
    both = await patch_task(api, ann, project["id"], task["id"], title="Rake", done=True)

    assert set(renamed) == TASK_FIELDS
    assert (renamed["title"], renamed["done"]) == ("Dig deeper", False)
    assert when(renamed["updated_at"]) > when(task["updated_at"])
    assert renamed["created_at"] == task["created_at"]
    assert (done["title"], done["done"]) == ("Dig deeper", True)
    assert (undone["title"], undone["done"]) == ("Dig deeper", False)
    assert (both["title"], both["done"]) == ("Rake", True)
    assert both["id"] == task["id"]
    assert both["project_id"] == project["id"]
    assert await all_tasks(api, ann, project["id"]) == [both]


async def test_an_empty_task_patch_changes_nothing(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    task = await create_task(api, ann, project["id"])

    unchanged = await patch_task(api, ann, project["id"], task["id"])

    assert unchanged == task
    assert await all_tasks(api, ann, project["id"]) == [task]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"done": None}, "done"),
        ({"done": "maybe"}, "done"),
        ({"title": None}, "title"),
        ({"title": " "}, "title"),
        ({"title": "t" * 501}, "title"),
        ({"project_id": "00000000-0000-0000-0000-000000000001"}, "project_id"),
        ({"id": "00000000-0000-0000-0000-000000000001"}, "id"),
    ],
    ids=["done-null", "done-word", "title-null", "title-blank", "title-too-long", "move", "id"],
)
async def test_an_invalid_task_patch_is_refused_and_changes_nothing(
    api: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    task = await create_task(api, ann, project["id"])

    response = await api.patch(
        f"/projects/{project['id']}/tasks/{task['id']}", json=body, headers=ann.headers
    )

    assert invalid_fields(response) == {field}
    assert await all_tasks(api, ann, project["id"]) == [task]
    assert await counts(api, ann, project["id"]) == (1, 0, 0)


async def test_deleting_a_task_removes_it(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    kept = await create_task(api, ann, project["id"], "Kept")
    doomed = await create_task(api, ann, project["id"], "Doomed")
    path = f"/projects/{project['id']}/tasks/{doomed['id']}"

    response = await api.delete(path, headers=ann.headers)

    assert response.status_code == 204
    assert response.content == b""
    assert await all_tasks(api, ann, project["id"]) == [kept]
    problem(await api.patch(path, json={"done": True}, headers=ann.headers), 404)
    # Sent again, the deletion is done: the counts do not fall twice.
    assert (await api.delete(path, headers=ann.headers)).status_code == 204
    assert await counts(api, ann, project["id"]) == (1, 0, 0)


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("task_id", ["not-a-uuid", "random-uuid"], ids=["word", "unknown"])
async def test_a_task_that_is_not_there_is_not_found(
    api: httpx.AsyncClient, method: str, task_id: str
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    task = await create_task(api, ann, project["id"])
    if task_id == "random-uuid":
        task_id = str(uuid.uuid4())
    body = {"done": True} if method == "PATCH" else None

    response = await api.request(
        method, f"/projects/{project['id']}/tasks/{task_id}", json=body, headers=ann.headers
    )

    problem(response, 404)
    assert await all_tasks(api, ann, project["id"]) == [task]
    assert await counts(api, ann, project["id"]) == (1, 0, 0)


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_a_task_addressed_through_another_project_of_the_same_owner_is_not_found(
    api: httpx.AsyncClient, method: str
) -> None:
    ann = await sign_up(api, "ann")
    home = await create_project(api, ann, "Home")
    away = await create_project(api, ann, "Away")
    task = await create_task(api, ann, home["id"], "Dig")
    await create_task(api, ann, away["id"], "Other")
    body = {"title": "Moved", "done": True} if method == "PATCH" else None

    response = await api.request(
        method, f"/projects/{away['id']}/tasks/{task['id']}", json=body, headers=ann.headers
    )

    problem(response, 404)
    assert await all_tasks(api, ann, home["id"]) == [task]
    assert [t["title"] for t in await all_tasks(api, ann, away["id"])] == ["Other"]
    assert await counts(api, ann, home["id"]) == (1, 0, 0)
    assert await counts(api, ann, away["id"]) == (1, 0, 0)


# Progress


async def test_progress_follows_every_task_change(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    pid = project["id"]

    assert await counts(api, ann, pid) == (0, 0, 0)
    one, two, three = [await create_task(api, ann, pid, title) for title in ("1", "2", "3")]
    assert await counts(api, ann, pid) == (3, 0, 0)

    await patch_task(api, ann, pid, one["id"], done=True)
    assert await counts(api, ann, pid) == (3, 1, 33)
    # Marking a done task done again counts once.
    await patch_task(api, ann, pid, one["id"], done=True)
    assert await counts(api, ann, pid) == (3, 1, 33)

    await patch_task(api, ann, pid, two["id"], done=True)
    assert await counts(api, ann, pid) == (3, 2, 66)  # rounded down, not to 67

    await patch_task(api, ann, pid, two["id"], done=False)
    assert await counts(api, ann, pid) == (3, 1, 33)
    await patch_task(api, ann, pid, two["id"], done=False)
    assert await counts(api, ann, pid) == (3, 1, 33)

    # A rename of a done task leaves the counts alone.
    await patch_task(api, ann, pid, one["id"], title="One")
    assert await counts(api, ann, pid) == (3, 1, 33)

    await delete_task(api, ann, pid, one["id"])
    assert await counts(api, ann, pid) == (2, 0, 0)

    await patch_task(api, ann, pid, two["id"], done=True)
    await patch_task(api, ann, pid, three["id"], done=True)
    assert await counts(api, ann, pid) == (2, 2, 100)

    await delete_task(api, ann, pid, three["id"])
    assert await counts(api, ann, pid) == (1, 1, 100)

    four = await create_task(api, ann, pid, "4")
    assert await counts(api, ann, pid) == (2, 1, 50)

    await delete_task(api, ann, pid, four["id"])
    await delete_task(api, ann, pid, two["id"])
    assert await counts(api, ann, pid) == (0, 0, 0)


async def test_listed_projects_carry_the_same_progress(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    tasks = [await create_task(api, ann, project["id"], str(n)) for n in range(3)]
    await patch_task(api, ann, project["id"], tasks[0]["id"], done=True)
    await patch_task(api, ann, project["id"], tasks[1]["id"], done=True)

    listed = (await api.get("/projects", headers=ann.headers)).json()["items"]

    assert listed == [await fetch_project(api, ann, project["id"])]
    assert (listed[0]["task_count"], listed[0]["done_count"], listed[0]["progress"]) == (3, 2, 66)


async def test_concurrent_toggles_never_make_the_counts_drift(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    pid = project["id"]
    tasks = [await create_task(api, ann, pid, f"Task {n}") for n in range(5)]
    chooser = random.Random(20240601)

    for _ in range(3):
        # Each task is set twice per round, often both ways at once, to race the counts.
        wanted = [(t["id"], chooser.choice([True, False])) for t in tasks for _ in range(2)]
        await asyncio.gather(
            *(patch_task(api, ann, pid, task_id, done=done) for task_id, done in wanted)
        )

        listed = await all_tasks(api, ann, pid)
        done_tasks = sum(1 for t in listed if t["done"])
        assert await counts(api, ann, pid) == (5, done_tasks, done_tasks * 100 // 5)


async def test_a_toggle_answers_with_the_state_it_set_even_when_raced(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    pid = project["id"]
    tasks = [await create_task(api, ann, pid, f"Task {n}") for n in range(5)]

    async def toggle(task_id: object, done: bool) -> tuple[bool, bool]:
        body = await patch_task(api, ann, pid, task_id, done=done)
        return done, body["done"]

    # The window is narrow, so many rounds make a lost answer show up reliably.
    for _ in range(15):
        # Opposite requests on one task at once: whichever lands last wins, but each
        # answer must be the state that request left, never the other one's.
        answers = await asyncio.gather(
            *(toggle(t["id"], done) for t in tasks for done in (True, False))
        )
        assert [asked for asked, _ in answers] == [got for _, got in answers]


async def test_concurrent_creates_and_deletes_never_make_the_counts_drift(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann)
    pid = project["id"]

    created = await asyncio.gather(*(create_task(api, ann, pid, f"T{n}") for n in range(10)))
    assert await counts(api, ann, pid) == (10, 0, 0)

    await asyncio.gather(*(patch_task(api, ann, pid, t["id"], done=True) for t in created[:6]))
    assert await counts(api, ann, pid) == (10, 6, 60)

    # Deleting done and open tasks at once, some of them twice.
    doomed = [t["id"] for t in created[3:8]]
    responses = await asyncio.gather(
        *(
            api.delete(f"/projects/{pid}/tasks/{task_id}", headers=ann.headers)
            for task_id in [*doomed, *doomed[:2]]
        )
    )
    # The second deletion of a task finds it in the trash: done, and counted once.
    assert [r.status_code for r in responses] == [204] * 7

    remaining = await all_tasks(api, ann, pid)
    assert {t["id"] for t in remaining} == {t["id"] for t in created} - set(doomed)
    assert await counts(api, ann, pid) == (5, 3, 60)
