"""The trash through the public API: deleted projects and tasks leave every read and the
counts, are listed in their workspace's trash, come back when restored, and are purged
after the retention period by the periodic job (driven here by its clock)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from projectconnect.infra.db import Database
from projectconnect.projects.trash import TrashPurge
from tests.api.test_projects import all_tasks, counts, problem, when
from tests.conftest import Backend
from tests.support.accounts import Account, create_task, sign_up
from tests.support.teams import create_project_in, create_workspace, join

RETENTION = dt.timedelta(days=30)


async def trash(api: httpx.AsyncClient, who: Account, workspace: str, limit: int = 2) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await api.get(
            f"/workspaces/{workspace}/trash", params=params, headers=who.headers
        )
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


async def setup(api: httpx.AsyncClient) -> tuple[Account, Account, str, dict[str, Any]]:
    ann = await sign_up(api, "ann")
    workspace = await create_workspace(api, ann)
    bob = await join(api, ann, workspace, "member", "bob")
    project = await create_project_in(api, ann, workspace, "Garden")
    return ann, bob, workspace, project


async def test_a_deleted_task_leaves_every_read_and_comes_back_when_restored(
    api: httpx.AsyncClient,
) -> None:
    ann, bob, workspace, project = await setup(api)
    pid = project["id"]
    keep = await create_task(api, ann, pid, "Keep")
    doomed = await create_task(api, ann, pid, "Doomed")
    done = await api.patch(
        f"/projects/{pid}/tasks/{doomed['id']}", json={"status": "done"}, headers=ann.headers
    )
    assert done.status_code == 200
    assert await counts(api, ann, pid) == (2, 1, 50)

    deleted = await api.delete(f"/projects/{pid}/tasks/{doomed['id']}", headers=bob.headers)

    assert deleted.status_code == 204
    assert [t["id"] for t in await all_tasks(api, ann, pid)] == [keep["id"]]
    assert (
        await api.get(f"/projects/{pid}/tasks/{doomed['id']}", headers=ann.headers)
    ).status_code == 404
    assert await counts(api, ann, pid) == (1, 0, 0)
    changed = await api.patch(
        f"/projects/{pid}/tasks/{doomed['id']}", json={"title": "x"}, headers=ann.headers
    )
    assert changed.status_code == 404
    [item] = await trash(api, ann, workspace)
    assert (item["kind"], item["id"], item["project_id"], item["title"]) == (
        "task",
        doomed["id"],
        pid,
        "Doomed",
    )
    assert item["deleted_by"] == bob.id
    assert when(item["purge_at"]) - when(item["deleted_at"]) == RETENTION

    restored = await api.post(f"/projects/{pid}/tasks/{doomed['id']}/restore", headers=ann.headers)

    assert restored.status_code == 200, restored.text
    assert (restored.json()["title"], restored.json()["status"]) == ("Doomed", "done")
    assert restored.headers["etag"] == f'"{restored.json()["version"]}"'
    assert await counts(api, ann, pid) == (2, 1, 50)
    assert {t["id"] for t in await all_tasks(api, bob, pid)} == {keep["id"], doomed["id"]}
    assert await trash(api, ann, workspace) == []
    again = await api.post(f"/projects/{pid}/tasks/{doomed['id']}/restore", headers=ann.headers)
    assert again.json() == restored.json()
    log = await api.get(f"/projects/{pid}/tasks/{doomed['id']}/activity", headers=ann.headers)
    kinds = [(e["kind"], e["actor_id"]) for e in log.json()["items"]]
    assert kinds[:2] == [("restored", ann.id), ("deleted", bob.id)]


async def test_a_deleted_project_takes_its_tasks_along_and_brings_them_back(
    api: httpx.AsyncClient,
) -> None:
    ann, bob, workspace, project = await setup(api)
    pid = project["id"]
    task = await create_task(api, ann, pid, "Inside")
    earlier = await create_task(api, ann, pid, "Trashed before")
    assert (
        await api.delete(f"/projects/{pid}/tasks/{earlier['id']}", headers=ann.headers)
    ).status_code == 204

    assert (await api.delete(f"/projects/{pid}", headers=bob.headers)).status_code == 204

    listed = await api.get("/projects", params={"workspace": workspace}, headers=ann.headers)
    assert listed.json()["items"] == []
    everywhere = await api.get("/projects", params={"limit": 100}, headers=bob.headers)
    assert pid not in {p["id"] for p in everywhere.json()["items"]}
    for path in (
        f"/projects/{pid}",
        f"/projects/{pid}/tasks",
        f"/projects/{pid}/tasks/{task['id']}",
    ):
        assert (await api.get(path, headers=ann.headers)).status_code == 404, path
    # Its tasks are in the trash with it, listed only through it.
    [item] = await trash(api, ann, workspace)
    assert (item["kind"], item["id"], item["deleted_by"]) == ("project", pid, bob.id)
    alone = await api.post(f"/projects/{pid}/tasks/{earlier['id']}/restore", headers=ann.headers)
    assert problem(alone, 409)["reason"] == "project_in_trash"

    restored = await api.post(f"/projects/{pid}/restore", headers=bob.headers)

    assert restored.status_code == 200, restored.text
    assert (restored.json()["id"], restored.json()["task_count"]) == (pid, 1)
    assert [t["id"] for t in await all_tasks(api, ann, pid)] == [task["id"]]
    [left] = await trash(api, ann, workspace)
    assert (left["kind"], left["id"]) == ("task", earlier["id"])
    log = await api.get(f"/projects/{pid}/activity", headers=ann.headers)
    assert [e["kind"] for e in log.json()["items"] if e["task_id"] is None][:2] == [
        "restored",
        "deleted",
    ]


async def test_the_trash_is_paged_newest_deleted_first(api: httpx.AsyncClient) -> None:
    ann, _, workspace, project = await setup(api)
    tasks = [await create_task(api, ann, project["id"], f"T{n}") for n in range(3)]
    others = [await create_project_in(api, ann, workspace, f"P{n}") for n in range(2)]
    order = [
        ("task", tasks[0]),
        ("project", others[0]),
        ("task", tasks[2]),
        ("project", others[1]),
        ("task", tasks[1]),
    ]
    for kind, thing in order:
        path = (
            f"/projects/{thing['id']}"
            if kind == "project"
            else f"/projects/{project['id']}/tasks/{thing['id']}"
        )
        assert (await api.delete(path, headers=ann.headers)).status_code == 204

    items = await trash(api, ann, workspace)

    assert [(i["kind"], i["id"]) for i in items] == [(k, t["id"]) for k, t in reversed(order)]


async def test_viewers_see_the_trash_but_do_not_restore_and_strangers_see_nothing(
    api: httpx.AsyncClient,
) -> None:
    ann, _, workspace, project = await setup(api)
    viewer = await join(api, ann, workspace, "viewer", "viewer")
    stranger = await sign_up(api, "stranger")
    task = await create_task(api, ann, project["id"])
    assert (
        await api.delete(f"/projects/{project['id']}/tasks/{task['id']}", headers=ann.headers)
    ).status_code == 204
    restore = f"/projects/{project['id']}/tasks/{task['id']}/restore"

    assert len(await trash(api, viewer, workspace)) == 1
    assert (
        problem(await api.post(restore, headers=viewer.headers), 403)["required_role"] == "member"
    )
    assert (
        await api.get(f"/workspaces/{workspace}/trash", headers=stranger.headers)
    ).status_code == 404
    assert (await api.post(restore, headers=stranger.headers)).status_code == 404
    assert (
        await api.post(f"/projects/{project['id']}/restore", headers=stranger.headers)
    ).status_code == 404
    assert len(await trash(api, ann, workspace)) == 1


async def test_the_purge_removes_what_was_trashed_longer_ago_than_the_retention(
    backend: Backend,
) -> None:
    api = backend.client
    ann, _, workspace, project = await setup(api)
    old_task = await create_task(api, ann, project["id"], "Old")
    new_task = await create_task(api, ann, project["id"], "New")
    old_project = await create_project_in(api, ann, workspace, "Old project")
    await create_task(api, ann, old_project["id"], "Goes with it")
    for path in (
        f"/projects/{project['id']}/tasks/{old_task['id']}",
        f"/projects/{old_project['id']}",
    ):
        assert (await api.delete(path, headers=ann.headers)).status_code == 204
    boundary = max(when(i["deleted_at"]) for i in await trash(api, ann, workspace))
    assert (
        await api.delete(f"/projects/{project['id']}/tasks/{new_task['id']}", headers=ann.headers)
    ).status_code == 204
    assert backend.projects_url is not None
    db = Database(backend.projects_url, name="purge-test", pool_size=1)
    try:
        # The job's clock says the retention has passed for the first two, not the third.
        purge = TrashPurge(
            db, RETENTION, clock=lambda: boundary + RETENTION + dt.timedelta(microseconds=1)
        )
        projects, tasks = await purge.purge_once()
    finally:
        await db.dispose()

    assert projects >= 1
    assert tasks >= 1
    assert [i["id"] for i in await trash(api, ann, workspace)] == [new_task["id"]]
    gone = await api.post(
        f"/projects/{project['id']}/tasks/{old_task['id']}/restore", headers=ann.headers
    )
    assert gone.status_code == 404
    assert (
        await api.post(f"/projects/{old_project['id']}/restore", headers=ann.headers)
    ).status_code == 404
    kept = await api.post(
        f"/projects/{project['id']}/tasks/{new_task['id']}/restore", headers=ann.headers
    )
    assert kept.status_code == 200, kept.text
