"""One user can neither see nor touch another's projects and tasks, nor tell that they exist."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.accounts import Account, create_project, create_task, sign_up

PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Route:
    """A request whose path names {project}, {task} (the victim's) or {own_project}."""

    method: str
    path: str
    body: dict[str, object] | None = None

    def url(self, project: object, task: object, own_project: object = "") -> str:
        return self.path.format(project=project, task=task, own_project=own_project)


FOREIGN_ROUTES = {
    "get-project": Route("GET", "/projects/{project}"),
    "rename-project": Route("PATCH", "/projects/{project}", {"name": "Taken over"}),
    "clear-description": Route("PATCH", "/projects/{project}", {"description": None}),
    "delete-project": Route("DELETE", "/projects/{project}"),
    "list-tasks": Route("GET", "/projects/{project}/tasks"),
    "create-task": Route("POST", "/projects/{project}/tasks", {"title": "Planted"}),
    "toggle-task": Route("PATCH", "/projects/{project}/tasks/{task}", {"done": True}),
    "rename-task": Route("PATCH", "/projects/{project}/tasks/{task}", {"title": "Taken over"}),
    "delete-task": Route("DELETE", "/projects/{project}/tasks/{task}"),
    "toggle-task-via-own-project": Route(
        "PATCH", "/projects/{own_project}/tasks/{task}", {"done": True, "title": "Taken over"}
    ),
    "delete-task-via-own-project": Route("DELETE", "/projects/{own_project}/tasks/{task}"),
}

AUTHENTICATED_ROUTES = {
    **FOREIGN_ROUTES,
    "list-projects": Route("GET", "/projects"),
    "create-project": Route("POST", "/projects", {"name": "Anonymous"}),
}


@dataclass
class Victim:
    owner: Account
    project: dict[str, Any]
    task: dict[str, Any]


async def victim_with_data(api: httpx.AsyncClient) -> Victim:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "Secret plans", description="Only Ann's")
    task = await create_task(api, ann, project["id"], "Hidden step")
    done = await api.patch(
        f"/projects/{project['id']}/tasks/{task['id']}", json={"done": True}, headers=ann.headers
    )
    assert done.status_code == 200, done.text
    await create_task(api, ann, project["id"], "Open step")
    return Victim(ann, await snapshot_project(api, ann, project["id"]), done.json())


async def snapshot_project(api: httpx.AsyncClient, owner: Account, project_id: object) -> Any:
    response = await api.get(f"/projects/{project_id}", headers=owner.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def snapshot_tasks(api: httpx.AsyncClient, owner: Account, project_id: object) -> Any:
    response = await api.get(
        f"/projects/{project_id}/tasks", params={"limit": 100}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def send(api: httpx.AsyncClient, route: Route, url: str, account: Account) -> httpx.Response:
    return await api.request(route.method, url, json=route.body, headers=account.headers)


def without_instance(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    return {key: value for key, value in body.items() if key != "instance"}


@pytest.mark.parametrize("route", FOREIGN_ROUTES.values(), ids=FOREIGN_ROUTES.keys())
async def test_another_users_data_is_indistinguishable_from_none(
    api: httpx.AsyncClient, route: Route
) -> None:
    victim = await victim_with_data(api)
    tasks_before = await snapshot_tasks(api, victim.owner, victim.project["id"])
    bob = await sign_up(api, "bob")
    own = await create_project(api, bob, "Bob's")

    foreign = await send(
        api, route, route.url(victim.project["id"], victim.task["id"], own["id"]), bob
    )
    missing = await send(api, route, route.url(uuid.uuid4(), uuid.uuid4(), own["id"]), bob)

    assert foreign.status_code == 404, foreign.text
    assert missing.status_code == 404, missing.text
    assert foreign.headers["content-type"] == missing.headers["content-type"] == PROBLEM
    assert without_instance(foreign) == without_instance(missing)
    assert {"type", "title", "status", "detail"} <= set(foreign.json())

    # Nothing of Ann's changed, and nothing of hers leaked into Bob's view.
    assert await snapshot_project(api, victim.owner, victim.project["id"]) == victim.project
    assert await snapshot_tasks(api, victim.owner, victim.project["id"]) == tasks_before
    bobs = (await api.get("/projects", headers=bob.headers)).json()
    assert [p["id"] for p in bobs["items"]] == [own["id"]]
    bobs_project = await snapshot_project(api, bob, own["id"])
    assert (bobs_project["task_count"], bobs_project["done_count"]) == (0, 0)
    assert (await snapshot_tasks(api, bob, own["id"]))["items"] == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YW5uOnNlY3JldA=="}],
    ids=["no-token", "garbage-token", "basic-auth"],
)
@pytest.mark.parametrize("route", AUTHENTICATED_ROUTES.values(), ids=AUTHENTICATED_ROUTES.keys())
async def test_every_route_needs_a_valid_token(
    api: httpx.AsyncClient, route: Route, headers: dict[str, str]
) -> None:
    victim = await victim_with_data(api)
    tasks_before = await snapshot_tasks(api, victim.owner, victim.project["id"])
    url = route.url(victim.project["id"], victim.task["id"], victim.project["id"])

    response = await api.request(route.method, url, json=route.body, headers=headers)

    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401
    assert body["title"]
    assert body["detail"]
    assert await snapshot_project(api, victim.owner, victim.project["id"]) == victim.project
    assert await snapshot_tasks(api, victim.owner, victim.project["id"]) == tasks_before
    listed = (await api.get("/projects", headers=victim.owner.headers)).json()
    assert [p["id"] for p in listed["items"]] == [victim.project["id"]]
