"""Comments on tasks through the public API: who may write which, paging, the task's
comment count, and counts that hold under concurrent writes."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.api.test_projects import invalid_fields, problem
from tests.support.accounts import Account, create_task, sign_up
from tests.support.teams import create_project_in, create_workspace, join

COMMENT_FIELDS = {"id", "task_id", "author_id", "body", "created_at", "updated_at"}


def comments_path(task: dict[str, Any]) -> str:
    return f"/projects/{task['project_id']}/tasks/{task['id']}/comments"


async def comment(
    api: httpx.AsyncClient, who: Account, task: dict[str, Any], body: str = "Looks good"
) -> Any:
    response = await api.post(comments_path(task), json={"body": body}, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def all_comments(api: httpx.AsyncClient, who: Account, task: dict[str, Any]) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await api.get(comments_path(task), params=params, headers=who.headers)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


async def comment_count(api: httpx.AsyncClient, who: Account, task: dict[str, Any]) -> int:
    path = f"/projects/{task['project_id']}/tasks/{task['id']}"
    response = await api.get(path, headers=who.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["comment_count"])


async def team(
    api: httpx.AsyncClient,
) -> tuple[dict[str, Account], dict[str, Any]]:
    """A workspace with an owner, an admin, two members and a viewer, and a task in it."""
    owner = await sign_up(api, "owner")
    workspace = await create_workspace(api, owner)
    people = {"owner": owner}
    for role, tag in (
        ("admin", "admin"),
        ("member", "member"),
        ("member", "other"),
        ("viewer", "viewer"),
    ):
        people[tag] = await join(api, owner, workspace, role, tag)
    project = await create_project_in(api, owner, workspace)
    task = await create_task(api, owner, project["id"])
    return people, task


async def test_members_comment_and_everyone_reads_oldest_first_in_pages(
    api: httpx.AsyncClient,
) -> None:
    people, task = await team(api)
    made = [
        await comment(api, people[who], task, f"  Note {n} **bold**\n ")
        for n, who in enumerate(["member", "owner", "admin", "member", "other"])
    ]

    assert set(made[0]) == COMMENT_FIELDS
    assert made[0]["body"] == "Note 0 **bold**"
    assert made[0]["author_id"] == people["member"].id
    assert made[0]["task_id"] == task["id"]
    assert made[0]["updated_at"] is None
    assert await all_comments(api, people["viewer"], task) == made
    assert await comment_count(api, people["viewer"], task) == 5


async def test_a_viewer_reads_but_cannot_comment(api: httpx.AsyncClient) -> None:
    people, task = await team(api)
    await comment(api, people["member"], task)

    refused = await api.post(
        comments_path(task), json={"body": "Hi"}, headers=people["viewer"].headers
    )

    assert problem(refused, 403)["required_role"] == "member"
    assert len(await all_comments(api, people["viewer"], task)) == 1
    assert await comment_count(api, people["owner"], task) == 1


async def test_authors_edit_their_own_and_nobody_edits_anothers(api: httpx.AsyncClient) -> None:
    people, task = await team(api)
    mine = await comment(api, people["member"], task, "First")
    path = f"{comments_path(task)}/{mine['id']}"

    for who in ("owner", "admin", "other", "viewer"):
        refused = await api.patch(path, json={"body": "Hijacked"}, headers=people[who].headers)
        assert refused.status_code == 403, (who, refused.text)
    edited = await api.patch(path, json={"body": " Second "}, headers=people["member"].headers)

    assert edited.status_code == 200, edited.text
    assert edited.json()["body"] == "Second"
    assert edited.json()["updated_at"] is not None
    assert edited.json()["created_at"] == mine["created_at"]
    assert await all_comments(api, people["owner"], task) == [edited.json()]


async def test_authors_and_admins_delete_members_and_viewers_do_not(
    api: httpx.AsyncClient,
) -> None:
    people, task = await team(api)
    by_member = [await comment(api, people["member"], task, f"c{n}") for n in range(4)]

    def delete(who: str, c: dict[str, Any]) -> Any:
        return api.delete(f"{comments_path(task)}/{c['id']}", headers=people[who].headers)

    assert problem(await delete("other", by_member[0]), 403)["required_role"] == "admin"
    assert problem(await delete("viewer", by_member[0]), 403)["required_role"] == "admin"
    assert (await delete("member", by_member[0])).status_code == 204
    assert (await delete("admin", by_member[1])).status_code == 204
    assert (await delete("owner", by_member[2])).status_code == 204

    assert await all_comments(api, people["viewer"], task) == [by_member[3]]
    assert await comment_count(api, people["owner"], task) == 1
    gone = await delete("member", by_member[0])
    assert problem(gone, 404)["detail"] == "No such comment."


async def test_a_comment_body_is_markdown_of_1_to_10000_characters(
    api: httpx.AsyncClient,
) -> None:
    people, task = await team(api)
    longest = await comment(api, people["member"], task, "x" * 10_000)
    assert len(longest["body"]) == 10_000
    for body in ("", "   \n ", "x" * 10_001, "a\x00b"):
        response = await api.post(
            comments_path(task), json={"body": body}, headers=people["member"].headers
        )
        assert invalid_fields(response) == {"body"}, response.text
    unknown = await api.post(
        comments_path(task),
        json={"body": "x", "author_id": people["owner"].id},
        headers=people["member"].headers,
    )
    assert unknown.status_code == 422
    assert await comment_count(api, people["owner"], task) == 1


async def test_comments_of_a_task_elsewhere_are_not_found(api: httpx.AsyncClient) -> None:
    people, task = await team(api)
    stranger = await sign_up(api, "stranger")
    await comment(api, people["member"], task)
    other_project = await create_project_in(
        api,
        people["owner"],
        (await api.get(f"/projects/{task['project_id']}", headers=people["owner"].headers)).json()[
            "workspace_id"
        ],
        "Other",
    )

    assert (await api.get(comments_path(task), headers=stranger.headers)).status_code == 404
    hidden = await api.post(comments_path(task), json={"body": "x"}, headers=stranger.headers)
    assert hidden.status_code == 404
    wrong = comments_path({"project_id": other_project["id"], "id": task["id"]})
    assert (await api.get(wrong, headers=people["owner"].headers)).status_code == 404
    assert (
        await api.get(
            comments_path({"project_id": task["project_id"], "id": "nope"}),
            headers=people["owner"].headers,
        )
    ).status_code == 404
    assert await comment_count(api, people["owner"], task) == 1


async def test_concurrent_comments_and_deletes_keep_the_count_exact(
    api: httpx.AsyncClient,
) -> None:
    people, task = await team(api)
    doomed = [await comment(api, people["member"], task, f"old {n}") for n in range(4)]
    writers = ["owner", "admin", "member", "other"]

    async def write(n: int) -> httpx.Response:
        who = people[writers[n % len(writers)]]
        return await api.post(comments_path(task), json={"body": f"new {n}"}, headers=who.headers)

    async def remove(n: int, c: dict[str, Any]) -> httpx.Response:
        # An admin and the author: each person's writes take turns, so spread them.
        who = people["admin" if n % 2 else "member"]
        return await api.delete(f"{comments_path(task)}/{c['id']}", headers=who.headers)

    answers = await asyncio.gather(
        *(write(n) for n in range(8)), *(remove(n, c) for n, c in enumerate(doomed))
    )

    assert sorted(a.status_code for a in answers) == [201] * 8 + [204] * 4
    listed = await all_comments(api, people["viewer"], task)
    assert sorted(c["body"] for c in listed) == sorted(f"new {n}" for n in range(8))
    assert await comment_count(api, people["viewer"], task) == 8
    activity = await api.get(
        f"/projects/{task['project_id']}/tasks/{task['id']}/activity",
        params={"limit": 100},
        headers=people["viewer"].headers,
    )
    kinds = [e["kind"] for e in activity.json()["items"]]
    assert (kinds.count("commented"), kinds.count("comment_deleted")) == (12, 4)
