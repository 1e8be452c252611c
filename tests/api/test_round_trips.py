"""The statements a hot path sends to the database, each a round trip: a budget that a
change adding one to every request has to raise here, on purpose."""

from __future__ import annotations

import httpx

from tests.support.accounts import create_project, create_task, sign_up, statements

# On PostgreSQL: a write's unit opens with the person's lock and a look at their account,
# finds what it names with the caller's role, takes the workspace's lock, writes, and looks
# again at the account, the role and the members in one statement before its commit.
CREATE_PROJECT = 7
RENAME_TASK = 8
# A task's create also locks its project's row, moves its counts, finds the last position
# in its column and writes its activity.
CREATE_TASK = 11
# A read the cache does not have: the project with the caller's role, and the caller's roles
# in all their workspaces, which the cached copy is checked against from then on.
READ_PROJECT = 2


async def test_a_project_create_stays_within_its_statements(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    await create_project(api, ann, "First")  # the personal workspace is made on first use
    response = await api.post("/projects", json={"name": "Second"}, headers=ann.headers)
    assert response.status_code == 201, response.text
    assert statements(response) <= CREATE_PROJECT


async def test_a_task_rename_stays_within_its_statements(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "Renames")
    task = await create_task(api, ann, project["id"])
    response = await api.patch(
        f"/projects/{project['id']}/tasks/{task['id']}",
        json={"title": "Renamed"},
        headers=ann.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Renamed"
    assert statements(response) <= RENAME_TASK


async def test_a_task_create_stays_within_its_statements(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "Creates")
    await create_task(api, ann, project["id"])
    response = await api.post(
        f"/projects/{project['id']}/tasks", json={"title": "Second"}, headers=ann.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 1
    assert statements(response) <= CREATE_TASK


async def test_a_project_read_from_the_database_stays_within_its_statements(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "Read")
    response = await api.get(f"/projects/{project['id']}", headers=ann.headers)
    assert response.status_code == 200, response.text
    assert statements(response) <= READ_PROJECT  # the write before it fenced the cache
