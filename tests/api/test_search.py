"""`GET /search` through the public API: tasks and projects the caller can see, ranked, with
highlights, prefixes for typing, and nothing of a workspace they are not (or no longer) in."""

from __future__ import annotations

import random
import string
from typing import Any

import httpx

from tests.api.test_projects import invalid_fields, problem
from tests.support.accounts import Account, sign_up
from tests.support.teams import create_project_in, create_workspace, join


def word(length: int = 10) -> str:
    """A word no other test writes: each test's matches are its own."""
    return "".join(random.choices(string.ascii_lowercase, k=length))


async def search(api: httpx.AsyncClient, who: Account, q: str, **params: Any) -> Any:
    response = await api.get("/search", params={"q": q, **params}, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def found(results: Any) -> list[tuple[str, str]]:
    return [(item["type"], item["id"]) for item in results["items"]]


def highlighted(text: str, spans: list[dict[str, int]]) -> list[str]:
    """The highlighted parts, sliced as a browser does: in UTF-16 code units."""
    units = text.encode("utf-16-le")
    return [units[s["start"] * 2 : s["end"] * 2].decode("utf-16-le") for s in spans]


async def new_task(
    api: httpx.AsyncClient, who: Account, project: dict[str, Any], title: str, **body: Any
) -> Any:
    response = await api.post(
        f"/projects/{project['id']}/tasks", json={"title": title, **body}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def team(api: httpx.AsyncClient) -> tuple[Account, Account, str, dict[str, Any]]:
    ann = await sign_up(api, "ann")
    workspace = await create_workspace(api, ann)
    bob = await join(api, ann, workspace, "viewer", "bob")
    project = await create_project_in(api, ann, workspace, "Roadmap")
    return ann, bob, workspace, project


async def test_finds_tasks_and_projects_best_first_with_highlights(api: httpx.AsyncClient) -> None:
    ann, bob, workspace, project = await team(api)
    w = word()
    in_title = await new_task(api, ann, project, f"Fix the {w.capitalize()} pump")
    in_description = await new_task(
        api, ann, project, "Other work", description=f"🚀 First, read the {w} manual. Then go."
    )
    await new_task(api, ann, project, "Unrelated", description="Nothing to see.")
    named = await create_project_in(api, ann, workspace, f"{w} rebuild")

    results = await search(api, bob, w)

    assert set(found(results)) == {
        ("task", in_title["id"]),
        ("task", in_description["id"]),
        ("project", named["id"]),
    }
    assert results["next_cursor"] is None
    order = [i["id"] for i in results["items"] if i["type"] == "task"]
    assert order == [in_title["id"], in_description["id"]]  # a title outranks a description
    by_id = {item["id"]: item for item in results["items"]}
    task = by_id[in_title["id"]]
    assert (task["title"], task["status"], task["project_name"]) == (
        f"Fix the {w.capitalize()} pump",
        "todo",
        "Roadmap",
    )
    assert (task["project_id"], task["workspace_id"]) == (project["id"], workspace)
    assert highlighted(task["title"], task["title_highlights"]) == [w.capitalize()]
    described = by_id[in_description["id"]]
    assert described["title_highlights"] == []
    assert w in described["snippet"]
    assert highlighted(described["snippet"], described["snippet_highlights"]) == [w]
    project_hit = by_id[named["id"]]
    assert (project_hit["project_id"], project_hit["status"]) == (named["id"], None)
    assert highlighted(project_hit["title"], project_hit["title_highlights"]) == [w]
    assert project_hit["snippet"] is None


async def test_the_last_word_matches_as_a_prefix_while_typing(api: httpx.AsyncClient) -> None:
    ann, _, _, project = await team(api)
    w, other = word(), word()
    task = await new_task(api, ann, project, f"{other} {w}")

    assert found(await search(api, ann, w[:3])) == [("task", task["id"])]
    assert found(await search(api, ann, f"{other} {w[:4]}")) == [("task", task["id"])]
    hit = (await search(api, ann, w[:4]))["items"][0]
    assert highlighted(hit["title"], hit["title_highlights"]) == [w]
    # Only the last word is a prefix, and a finished word (a space after it) is whole.
    assert found(await search(api, ann, f"{other[:4]} {w}")) == []
    assert found(await search(api, ann, f"{w[:4]} ")) == []


async def test_phrases_and_excluded_words(api: httpx.AsyncClient) -> None:
    ann, _, _, project = await team(api)
    a, b = word(), word()
    ab = await new_task(api, ann, project, f"{a} {b}")
    ba = await new_task(api, ann, project, f"{b} then {a}")

    both = {("task", ab["id"]), ("task", ba["id"])}
    assert set(found(await search(api, ann, f"{a} {b}"))) == both
    assert found(await search(api, ann, f'"{a} {b}"')) == [("task", ab["id"])]
    assert found(await search(api, ann, f"{a} -then")) == [("task", ab["id"])]
    # Operators typed as text are words, never syntax.
    assert found(await search(api, ann, f"{a} OR NEAR( * ^")) == []


async def test_nobody_finds_what_they_may_not_see(api: httpx.AsyncClient) -> None:
    ann, bob, workspace, project = await team(api)
    w = word()
    await new_task(api, ann, project, f"Secret {w}")
    await create_project_in(api, ann, workspace, f"Hidden {w}")
    stranger = await sign_up(api, "eve")
    elsewhere = await create_workspace(api, stranger, "Elsewhere")

    assert len((await search(api, bob, w))["items"]) == 2
    assert (await search(api, stranger, w))["items"] == []
    assert (await search(api, stranger, w, workspace=elsewhere))["items"] == []
    narrowed = await api.get(
        "/search", params={"q": w, "workspace": workspace}, headers=stranger.headers
    )
    assert problem(narrowed, 404)["detail"] == "No such workspace."

    removed = await api.delete(f"/workspaces/{workspace}/members/{bob.id}", headers=ann.headers)
    assert removed.status_code == 204, removed.text
    assert (await search(api, bob, w))["items"] == []
    gone = await api.get("/search", params={"q": w, "workspace": workspace}, headers=bob.headers)
    assert gone.status_code == 404


async def test_changes_and_deletions_are_found_at_once(api: httpx.AsyncClient) -> None:
    ann, _, workspace, project = await team(api)
    old, new, kept = word(), word(), word()
    task = await new_task(api, ann, project, f"{old} {kept}")
    path = f"/projects/{project['id']}/tasks/{task['id']}"

    changed = await api.patch(path, json={"title": f"{new} {kept}"}, headers=ann.headers)
    assert changed.status_code == 200, changed.text
    assert found(await search(api, ann, old)) == []
    assert found(await search(api, ann, new)) == [("task", task["id"])]
    # Other changes leave what is indexed as it was.
    moved = await api.patch(path, json={"status": "in_progress"}, headers=ann.headers)
    assert moved.status_code == 200, moved.text
    assert (await search(api, ann, kept))["items"][0]["status"] == "in_progress"
    described = await api.patch(path, json={"description": f"about {old}"}, headers=ann.headers)
    assert described.status_code == 200, described.text
    assert found(await search(api, ann, old)) == [("task", task["id"])]

    assert (await api.delete(path, headers=ann.headers)).status_code == 204
    assert found(await search(api, ann, kept)) == []

    other = await create_project_in(api, ann, workspace, f"Doomed {old}")
    await new_task(api, ann, other, f"Inside {old}")
    assert len((await search(api, ann, old))["items"]) == 2
    deleted = await api.delete(f"/projects/{other['id']}", headers=ann.headers)
    assert deleted.status_code == 204
    assert found(await search(api, ann, old)) == []
    # Back from the trash, found again, its tasks with it.
    restored = await api.post(f"/projects/{other['id']}/restore", headers=ann.headers)
    assert restored.status_code == 200, restored.text
    assert len((await search(api, ann, old))["items"]) == 2


async def test_narrowing_by_type_and_workspace_and_paging(api: httpx.AsyncClient) -> None:
    ann, _, workspace, project = await team(api)
    w = word()
    tasks = [await new_task(api, ann, project, f"{w} {n}") for n in range(3)]
    named = await create_project_in(api, ann, workspace, f"{w} project")
    personal = await api.post("/projects", json={"name": f"Mine {w}"}, headers=ann.headers)
    assert personal.status_code == 201

    assert {i["id"] for i in (await search(api, ann, w, type="task"))["items"]} == {
        t["id"] for t in tasks
    }
    assert found(await search(api, ann, w, type="project", workspace=workspace)) == [
        ("project", named["id"])
    ]
    first = await search(api, ann, w, limit=3)
    second = await search(api, ann, w, limit=3, cursor=first["next_cursor"])
    assert len(first["items"]) == 3
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None
    seen = found(first) + found(second)
    assert len(set(seen)) == 5


async def test_too_little_to_search_for_is_a_422_naming_q(api: httpx.AsyncClient) -> None:
    ann = await sign_up(api, "ann")
    for params in ({}, {"q": ""}, {"q": " a "}, {"q": "!?"}, {"q": "-only"}, {"q": "x" * 201}):
        response = await api.get("/search", params=params, headers=ann.headers)
        assert invalid_fields(response) == {"q"}, params
    bad_cursor = await api.get("/search", params={"q": "ok", "cursor": "nope"}, headers=ann.headers)
    assert invalid_fields(bad_cursor) == {"cursor"}
    assert (await api.get("/search", params={"q": "ok"})).status_code == 401
