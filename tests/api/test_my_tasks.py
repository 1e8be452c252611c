"""`GET /me/tasks` through the public API: the caller's open assignments across workspaces,
grouped by due date relative to the caller's date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from tests.api.test_projects import invalid_fields
from tests.support.accounts import Account, create_project, sign_up
from tests.support.teams import create_project_in, create_workspace, join

WEDNESDAY = dt.date(2026, 12, 2)
GROUPS = ("overdue", "today", "this_week", "later", "no_date")


def day(offset: int) -> str:
    return (WEDNESDAY + dt.timedelta(days=offset)).isoformat()


async def my_tasks(api: httpx.AsyncClient, who: Account, **params: Any) -> Any:
    response = await api.get("/me/tasks", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def grouped(agenda: Any) -> dict[str, list[str]]:
    groups = agenda["groups"]
    for name in GROUPS:
        assert groups[name]["count"] == len(groups[name]["items"])
    return {name: [t["title"] for t in group["items"]] for name, group in groups.items() if group}


async def task(
    api: httpx.AsyncClient, who: Account, project: dict[str, Any], title: str, **body: Any
) -> Any:
    response = await api.post(
        f"/projects/{project['id']}/tasks", json={"title": title, **body}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_my_open_tasks_grouped_around_my_date(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    workspace = await create_workspace(api, ann)
    bob = await join(api, ann, workspace, "member", "bob")
    project = await create_project_in(api, ann, workspace, "Launch")
    me = [ann.id]
    for title, body in [
        ("later, low", {"due_date": day(5), "priority": "low"}),
        ("overdue", {"due_date": day(-3)}),
        ("today", {"due_date": day(0)}),
        ("friday", {"due_date": day(2)}),
        ("later, urgent", {"due_date": day(5), "priority": "urgent"}),
        ("sunday", {"due_date": day(4)}),
        ("no date", {}),
        ("done long ago", {"due_date": day(-10), "status": "done"}),
        ("cancelled", {"due_date": day(-1), "status": "cancelled"}),
    ]:
        await task(api, ann, project, title, assignees=me, **body)
    await task(api, ann, project, "bob's", assignees=[bob.id], due_date=day(0))
    await task(api, ann, project, "nobody's", due_date=day(0))

    agenda = await my_tasks(api, ann, today=WEDNESDAY.isoformat())

    assert (agenda["today"], agenda["week_ends"]) == (day(0), day(4))
    assert grouped(agenda) == {
        "overdue": ["overdue"],
        "today": ["today"],
        "this_week": ["friday", "sunday"],
        "later": ["later, urgent", "later, low"],  # same day: the more urgent first
        "no_date": ["no date"],
    }
    assert agenda["groups"]["done"] is None
    with_done = await my_tasks(api, ann, today=WEDNESDAY.isoformat(), include_done="true")
    assert [t["title"] for t in with_done["groups"]["done"]["items"]] == ["done long ago"]
    assert with_done["groups"]["done"]["count"] == 1

    # On a Sunday the week is over: what is due after it is later.
    sunday = await my_tasks(api, ann, today=day(4))
    assert sunday["week_ends"] == day(4)
    assert grouped(sunday)["this_week"] == []
    assert grouped(sunday)["today"] == ["sunday"]
    assert grouped(sunday)["overdue"] == ["overdue", "today", "friday"]

    # Each item is the task's own JSON, with where it lives.
    item = agenda["groups"]["today"]["items"][0]
    own = await api.get(f"/projects/{project['id']}/tasks/{item['id']}", headers=bob.headers)
    assert item == {**own.json(), "project_name": "Launch", "workspace_id": workspace}


async def test_only_my_assignments_in_workspaces_i_am_in(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    bob = await sign_up(api, "bob")
    shared = await create_workspace(api, bob, "Shared")
    cat = await join(api, bob, shared, "member", "cat")
    elsewhere = await create_project_in(api, bob, shared, "Elsewhere")
    mine = await api.post("/projects", json={"name": "Mine"}, headers=cat.headers)
    assert mine.status_code == 201
    here = await task(api, cat, mine.json(), "at home", assignees=[cat.id])
    there = await task(api, bob, elsewhere, "in the team", assignees=[cat.id, bob.id])
    await task(api, bob, elsewhere, "bob only", assignees=[bob.id])
    assert ann.id not in {cat.id, bob.id}
    assert (await my_tasks(api, ann))["groups"]["no_date"]["items"] == []

    both = (await my_tasks(api, cat))["groups"]["no_date"]["items"]
    assert {t["id"] for t in both} == {here["id"], there["id"]}

    # An assignment that ends takes the task off the list.
    path = f"/projects/{elsewhere['id']}/tasks/{there['id']}"
    unassigned = await api.patch(path, json={"assignees": [bob.id]}, headers=bob.headers)
    assert unassigned.status_code == 200, unassigned.text
    assert [t["id"] for t in (await my_tasks(api, cat))["groups"]["no_date"]["items"]] == [
        here["id"]
    ]

    # And leaving the workspace ends every assignment there.
    again = await task(api, bob, elsewhere, "once more", assignees=[cat.id])
    listed = (await my_tasks(api, cat))["groups"]["no_date"]["items"]
    assert again["id"] in {t["id"] for t in listed}
    removed = await api.delete(f"/workspaces/{shared}/members/{cat.id}", headers=bob.headers)
    assert removed.status_code == 204, removed.text
    assert [t["id"] for t in (await my_tasks(api, cat))["groups"]["no_date"]["items"]] == [
        here["id"]
    ]


async def test_the_date_defaults_to_utc_and_must_be_a_date(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    before = dt.datetime.now(dt.UTC).date()
    agenda = await my_tasks(api, ann)
    after = dt.datetime.now(dt.UTC).date()
    assert agenda["today"] in {before.isoformat(), after.isoformat()}
    assert set(agenda["groups"]) == {*GROUPS, "done"}
    for bad in ("tomorrow", "2026-02-30"):
        response = await api.get("/me/tasks", params={"today": bad}, headers=ann.headers)
        assert invalid_fields(response) == {"today"}
    assert (await api.get("/me/tasks")).status_code == 401


async def test_what_is_in_the_trash_is_not_on_the_list(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    project = await create_project(api, ann, "Home")
    kept = await task(api, ann, project, "kept", assignees=[ann.id])
    binned = await task(api, ann, project, "binned", assignees=[ann.id])

    def listed(body: Any) -> set[str]:
        return {t["id"] for t in body["groups"]["no_date"]["items"]}

    assert listed(await my_tasks(api, ann)) == {kept["id"], binned["id"]}
    path = f"/projects/{project['id']}/tasks/{binned['id']}"
    assert (await api.delete(path, headers=ann.headers)).status_code == 204
    assert listed(await my_tasks(api, ann)) == {kept["id"]}
    assert (await api.delete(f"/projects/{project['id']}", headers=ann.headers)).status_code == 204
    assert listed(await my_tasks(api, ann)) == set()
    restored = await api.post(f"/projects/{project['id']}/restore", headers=ann.headers)
    assert restored.status_code == 200, restored.text
    assert listed(await my_tasks(api, ann)) == {kept["id"]}
