"""Lists of projects through the public API: search by name, sorts paged with ties, archive
and unarchive, cursors of another sort, bad values, and the read cache."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from tests.api.test_projects import invalid_fields, problem
from tests.support.accounts import Account, create_project, sign_up, statements
from tests.support.teams import create_project_in, create_workspace, join

Project = dict[str, Any]


def when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


async def read_all(
    api: httpx.AsyncClient, who: Account, limit: int = 2, **params: Any
) -> list[list[Project]]:
    result: list[list[Project]] = []
    cursor: str | None = None
    while True:
        query: dict[str, Any] = {"limit": limit, **params}
        if cursor is not None:
            query["cursor"] = cursor
        response = await api.get("/projects", params=query, headers=who.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        result.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return result
        assert len(result) < 50, "pagination does not end"


async def listed(api: httpx.AsyncClient, who: Account, **params: Any) -> list[str]:
    ids = [p["id"] for page in await read_all(api, who, **params) for p in page]
    assert len(ids) == len(set(ids)), "a project came twice"
    return ids


async def post(api: httpx.AsyncClient, who: Account, path: str, status: int = 200) -> Any:
    response = await api.post(path, headers=who.headers)
    assert response.status_code == status, response.text
    return response.json()


async def rename(api: httpx.AsyncClient, who: Account, project: Project, name: str) -> Project:
    response = await api.patch(
        f"/projects/{project['id']}", json={"name": name}, headers=who.headers
    )
    assert response.status_code == 200, response.text
    body: Project = response.json()
    return body


async def spread(api: httpx.AsyncClient) -> tuple[Account, Account, str, list[Project]]:
    """Ann's projects in her personal workspace and in a team she shares with bob, with
    names that tie once case is ignored, changed out of creation order."""
    ann = await sign_up(api, "ann")
    team = await create_workspace(api, ann)
    bob = await join(api, ann, team, "member", "bob")
    names = ["delta", "Alpha", "charlie", "Delta", "bravo", "ALPHA", "echo", "delta"]
    projects: list[Project] = []
    for n, name in enumerate(names):
        if n % 2:
            projects.append(await create_project_in(api, ann, team, name))
        else:
            projects.append(dict(await create_project(api, ann, name)))
    for n in (4, 0, 6):
        projects[n] = await rename(api, ann, projects[n], projects[n]["name"])
    return ann, bob, team, projects


def by_name(projects: list[Project]) -> list[str]:
    return [p["id"] for p in sorted(projects, key=lambda p: (p["name"].lower(), p["id"]))]


def newest(projects: list[Project], field: str) -> list[str]:
    ordered = sorted(projects, key=lambda p: (when(p[field]), p["id"]), reverse=True)
    return [p["id"] for p in ordered]


async def test_every_sort_pages_through_ties(api: httpx.AsyncClient) -> None:
    ann, _, _, projects = await spread(api)

    assert await listed(api, ann) == newest(projects, "created_at")
    assert await listed(api, ann, sort="created") == newest(projects, "created_at")
    assert await listed(api, ann, sort="updated") == newest(projects, "updated_at")
    pages = await read_all(api, ann, sort="name")
    assert len(pages) >= 4
    assert [p["id"] for page in pages for p in page] == by_name(projects)


async def test_one_workspaces_list_sorts_and_searches_too(api: httpx.AsyncClient) -> None:
    _, bob, team, projects = await spread(api)
    shared = [p for p in projects if p["workspace_id"] == team]

    assert await listed(api, bob, workspace=team, sort="name") == by_name(shared)
    assert await listed(api, bob, sort="updated") == newest(shared, "updated_at")
    found = await listed(api, bob, workspace=team, q="DELTA", sort="name")
    assert found == by_name([p for p in shared if "delta" in p["name"].lower()])


async def test_q_keeps_names_containing_it_whatever_the_case(api: httpx.AsyncClient) -> None:
    ann, _, _, projects = await spread(api)
    odd = [dict(await create_project(api, ann, name)) for name in ("100% done", "a_b", "Über")]

    alpha = await listed(api, ann, q="alPHA", sort="name")
    assert alpha == by_name([p for p in projects if p["name"].lower() == "alpha"])
    assert await listed(api, ann, q="%") == [odd[0]["id"]]
    assert await listed(api, ann, q="_") == [odd[1]["id"]]
    assert await listed(api, ann, q="über") == [odd[2]["id"]]
    assert await listed(api, ann, q="zulu") == []
    assert len(await listed(api, ann, q=" ")) == len(projects) + len(odd)


async def test_archived_projects_leave_the_default_list_and_come_back(
    api: httpx.AsyncClient,
) -> None:
    ann, bob, team, projects = await spread(api)
    shelved = projects[1]  # in the team
    everyone = newest(projects, "created_at")
    for who in (ann, bob):
        await listed(api, who)  # cached

    archived = await post(api, bob, f"/projects/{shelved['id']}/archive")

    assert archived["archived_at"] is not None
    assert {k: v for k, v in archived.items() if k != "archived_at"} == {
        k: v for k, v in shelved.items() if k not in ("archived_at", "my_role")
    } | {"my_role": "member"}
    for who in (ann, bob):
        visible = await listed(api, who)
        assert shelved["id"] not in visible, who.email
        assert await listed(api, who, archived="true") == [shelved["id"]]
        for sort in ("updated", "name"):
            assert shelved["id"] not in await listed(api, who, sort=sort)
            assert await listed(api, who, sort=sort, archived="true") == [shelved["id"]]
    assert await listed(api, ann) == [i for i in everyone if i != shelved["id"]]
    assert await listed(api, bob, workspace=team, archived="true") == [shelved["id"]]
    single = await api.get(f"/projects/{shelved['id']}", headers=bob.headers)
    assert single.json()["archived_at"] == archived["archived_at"]

    again = await post(api, ann, f"/projects/{shelved['id']}/archive")
    assert again["archived_at"] == archived["archived_at"]  # archiving twice changes nothing

    restored = await post(api, ann, f"/projects/{shelved['id']}/unarchive")
    assert restored["archived_at"] is None
    for who in (ann, bob):
        assert await listed(api, who, archived="true") == []
    assert await listed(api, ann) == everyone
    assert (await post(api, ann, f"/projects/{shelved['id']}/unarchive"))["archived_at"] is None
    # The project's activity tells who shelved it and who brought it back, once each.
    log = await api.get(f"/projects/{shelved['id']}/activity", headers=ann.headers)
    assert log.status_code == 200, log.text
    shelving = [(e["kind"], e["actor_id"]) for e in log.json()["items"] if "archived" in e["kind"]]
    assert shelving == [("unarchived", ann.id), ("archived", bob.id)]


async def test_only_editors_archive_and_strangers_find_nothing(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    team = await create_workspace(api, ann)
    viewer = await join(api, ann, team, "viewer", "vic")
    stranger = await sign_up(api, "sam")
    project = await create_project_in(api, ann, team, "Kept")

    for action in ("archive", "unarchive"):
        path = f"/projects/{project['id']}/{action}"
        assert problem(await api.post(path, headers=viewer.headers), 403)
        assert problem(await api.post(path, headers=stranger.headers), 404)
        assert problem(await api.post(f"/projects/nope/{action}", headers=ann.headers), 404)
    response = await api.get(f"/projects/{project['id']}", headers=viewer.headers)
    assert response.json()["archived_at"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "title"}, "sort"),
        ({"archived": "maybe"}, "archived"),
        ({"q": "a\x00"}, "q"),
        ({"q": "x" * 201}, "q"),
    ],
)
async def test_bad_values_are_refused_naming_the_field(
    api: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    ann = await sign_up(api, "ann")

    response = await api.get("/projects", params=params, headers=ann.headers)

    assert invalid_fields(response) == {field}


async def test_a_cursor_of_another_sort_is_refused(api: httpx.AsyncClient) -> None:
    ann, _, _, _ = await spread(api)
    cursor = (await api.get("/projects?limit=2&sort=name", headers=ann.headers)).json()[
        "next_cursor"
    ]

    for sort in ("created", "updated"):
        response = await api.get(
            "/projects", params={"limit": 2, "sort": sort, "cursor": cursor}, headers=ann.headers
        )
        assert invalid_fields(response) == {"cursor"}, sort
    same = await api.get(
        "/projects",
        params={"limit": 2, "sort": "name", "cursor": cursor, "archived": "true"},
        headers=ann.headers,
    )
    assert same.status_code == 200, same.text


async def test_sorted_lists_are_cached_and_searches_are_not(api: httpx.AsyncClient) -> None:
    ann, bob, team, projects = await spread(api)

    for query in ("sort=name", "sort=updated&archived=true", "sort=created&archived=false"):
        await api.get(f"/projects?{query}", headers=ann.headers)
        again = await api.get(f"/projects?{query}", headers=ann.headers)
        assert statements(again) == 0, query
    for _ in range(2):
        searched = await api.get("/projects?q=alpha", headers=ann.headers)
        assert statements(searched) > 0  # from the database, every time

    # A member's change reaches the other member's cached sorted list.
    await api.get(f"/projects?workspace={team}&sort=name", headers=ann.headers)
    renamed = await rename(api, bob, projects[1], "aaa first")
    first = await api.get(f"/projects?workspace={team}&sort=name", headers=ann.headers)
    assert first.json()["items"][0]["id"] == renamed["id"]
