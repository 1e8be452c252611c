"""Cache hits cost no SQL, and every write by the owner makes the next read fresh."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import httpx

from projectconnect.infra.pagination import Position
from tests.support.accounts import Account, create_project, create_task, sign_up, statements
from tests.support.waiting import eventually


async def test_a_cache_hit_on_validate_runs_no_sql(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    first = await api.get("/auth/validate", headers=ann.headers)
    second = await api.get("/auth/validate", headers=ann.headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert statements(second) == 0


async def test_cache_hits_on_project_reads_run_no_sql(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "Cached")
    await create_task(api, ann, project["id"])
    for path in ("/projects", f"/projects/{project['id']}", f"/projects/{project['id']}/tasks"):
        first = await api.get(path, headers=ann.headers)
        second = await api.get(path, headers=ann.headers)
        assert first.status_code == second.status_code == 200
        assert second.content == first.content
        assert statements(second) == 0, path


async def test_pages_reached_through_issued_cursors_are_cached(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    for i in range(21):
        await create_project(api, ann, f"P{i}")
    first = (await api.get("/projects?limit=20", headers=ann.headers)).json()
    second_page = f"/projects?limit=20&cursor={first['next_cursor']}"
    await api.get(second_page, headers=ann.headers)
    again = await api.get(second_page, headers=ann.headers)
    assert statements(again) == 0
    assert [p["name"] for p in again.json()["items"]] == ["P0"]


def forged_cursor() -> str:
    """A well-formed position the server never handed out."""
    return Position(dt.datetime.now(dt.UTC), uuid.uuid4()).encode()


async def test_forged_cursors_and_odd_page_sizes_are_served_but_never_cached(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "Only")
    for path in (
        f"/projects?cursor={forged_cursor()}",
        "/projects?limit=7",
        f"/projects/{project['id']}/tasks?cursor={forged_cursor()}",
        f"/projects/{project['id']}/tasks?limit=3",
    ):
        for _ in range(2):
            response = await api.get(path, headers=ann.headers)
            assert response.status_code == 200, path
            assert statements(response) > 0, path  # from the database, every time


async def test_every_spelling_of_a_project_id_shares_one_cache_entry(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")
    pid = str((await create_project(api, ann, "Spelled"))["id"])
    assert (await api.get(f"/projects/{pid}", headers=ann.headers)).status_code == 200
    for spelling in (pid.upper(), pid.replace("-", "")):
        response = await api.get(f"/projects/{spelling}", headers=ann.headers)
        assert response.json()["name"] == "Spelled"
        assert statements(response) == 0, spelling


async def _names(api: httpx.AsyncClient, owner: Account) -> list[str]:
    return [p["name"] for p in (await api.get("/projects", headers=owner.headers)).json()["items"]]


async def test_each_kind_of_write_makes_the_next_read_fresh(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "First")
    assert await _names(api, ann) == ["First"]  # now cached

    pid = project["id"]
    await api.patch(f"/projects/{pid}", json={"name": "Renamed"}, headers=ann.headers)
    assert await _names(api, ann) == ["Renamed"]

    task = await create_task(api, ann, pid, "Do")
    listed = (await api.get("/projects", headers=ann.headers)).json()["items"][0]
    assert listed["task_count"] == 1
    tasks = (await api.get(f"/projects/{pid}/tasks", headers=ann.headers)).json()["items"]
    assert [t["title"] for t in tasks] == ["Do"]

    await api.patch(f"/projects/{pid}/tasks/{task['id']}", json={"done": True}, headers=ann.headers)
    single = (await api.get(f"/projects/{pid}", headers=ann.headers)).json()
    assert single["progress"] == 100

    await api.delete(f"/projects/{pid}/tasks/{task['id']}", headers=ann.headers)
    single = (await api.get(f"/projects/{pid}", headers=ann.headers)).json()
    assert (single["task_count"], single["progress"]) == (0, 0)
    assert (await api.get(f"/projects/{pid}/tasks", headers=ann.headers)).json()["items"] == []

    await api.delete(f"/projects/{pid}", headers=ann.headers)
    assert await _names(api, ann) == []
    assert (await api.get(f"/projects/{pid}", headers=ann.headers)).status_code == 404


async def test_another_owners_writes_leave_my_cache_alone(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    bob = await sign_up(api, "bob")
    await create_project(api, ann, "Ann's")
    await api.get("/projects", headers=ann.headers)
    await create_project(api, bob, "Bob's")
    again = await api.get("/projects", headers=ann.headers)
    assert statements(again) == 0
    assert [p["name"] for p in again.json()["items"]] == ["Ann's"]


async def test_a_revoked_token_is_refused_everywhere_within_seconds(
    api: httpx.AsyncClient,
) -> None:
    ann = await sign_up(api, "ann")
    # Warm every cache with the session active first.
    assert (await api.get("/projects", headers=ann.headers)).status_code == 200
    assert (await api.get("/auth/validate", headers=ann.headers)).status_code == 200
    assert (await api.post("/auth/logout", headers=ann.headers)).status_code == 204
    started = time.monotonic()

    async def refused_everywhere() -> bool:
        codes = {
            (await api.get(path, headers=ann.headers)).status_code
            for path in ("/projects", "/auth/validate", "/auth/me")
        }
        return codes == {401}

    await eventually(refused_everywhere, within=5)
    assert time.monotonic() - started < 1
