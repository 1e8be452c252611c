"""The prototype's whole journey, end to end over HTTP, on every backend."""

from __future__ import annotations

import httpx

from tests.support.accounts import create_project, create_task, sign_up


async def test_sign_up_create_project_tasks_and_progress(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    me = await api.get("/auth/me", headers=ann.headers)
    assert me.status_code == 200
    assert me.json()["email"] == ann.email

    project = await create_project(api, ann, "Garden", description="Spring planting")
    first = await create_task(api, ann, project["id"], "Dig")
    await create_task(api, ann, project["id"], "Plant")
    await create_task(api, ann, project["id"], "Water")

    toggled = await api.patch(
        f"/projects/{project['id']}/tasks/{first['id']}", json={"done": True}, headers=ann.headers
    )
    assert toggled.status_code == 200
    assert toggled.json()["done"] is True

    page = (await api.get(f"/projects/{project['id']}", headers=ann.headers)).json()
    assert (page["task_count"], page["done_count"], page["progress"]) == (3, 1, 33)
    assert page["description"] == "Spring planting"
