"""Who may do what, route by route: every route of the projects service, called by every seat
(owner, admin, member, viewer of the workspace; the same roles in another workspace; someone
in no shared workspace), on every backend.

`ROUTES` is the table: for each route, the exact status each role gets, the role a 403 names,
and what a success must have changed, seen by another member. A refusal must change nothing
(the workspace looks the same to its owner before and after). Callers from outside the
workspace get 404 on everything inside it, with the same body as for an id that names nothing.

One set of accounts serves a backend's whole matrix: the workspace addressed ("home"), a
second workspace whose members are the foreign callers ("abroad"), and an outsider. Routes
that change memberships or end the workspace get a workspace of their own per cell, made by
the same accounts, so each cell stays cheap.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.conftest import Backend
from tests.support.accounts import Account, create_task, sign_up, unique_email, verify_email
from tests.support.teams import accept, invite

PROBLEM = "application/problem+json"
ROLES = ("owner", "admin", "member", "viewer")
JOINERS = ("admin", "member", "viewer")


def unique(tag: str) -> str:
    return f"{tag} {uuid.uuid4().hex[:8]}"


async def ok(response: Awaitable[httpx.Response], status: int = 200) -> Any:
    answer = await response
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else None


@dataclass
class Team:
    """A workspace with an owner, an admin, a member and a viewer, each joined by invitation,
    and `target`, a second member whom member management acts on."""

    workspace: str
    people: dict[str, Account]
    target: Account
    project: str = ""
    task: str = ""
    label: str = ""
    pending_invitation: str = ""

    def witness(self, caller: Account) -> Account:
        """A member other than the caller, to see a change from elsewhere."""
        return (
            self.people["viewer"] if caller is not self.people["viewer"] else self.people["owner"]
        )


async def join(
    api: httpx.AsyncClient, owner: Account, workspace: str, joiner: Account, role: str
) -> None:
    """`joiner` joins `workspace` with `role` the way people do: invited, then accepting."""
    invitation = await invite(api, owner, workspace, joiner.email, role)
    joined = await ok(accept(api, joiner, invitation["token"]))
    assert joined["id"] == workspace
    assert joined["my_role"] == role


async def build_team(
    api: httpx.AsyncClient, people: dict[str, Account], target: Account, name: str
) -> Team:
    owner = people["owner"]
    workspace = await ok(api.post("/workspaces", json={"name": name}, headers=owner.headers), 201)
    team = Team(workspace["id"], people, target)
    joining = [(people[role], role) for role in JOINERS] + [(target, "member")]
    for joiner, role in joining:  # one at a time: SQLite's writers would wait on each other
        await join(api, owner, team.workspace, joiner, role)
    return team


@dataclass
class Cast:
    api: httpx.AsyncClient
    home: Team
    abroad: Team
    outsider: Account

    async def fresh_team(self) -> Team:
        return await build_team(self.api, self.home.people, self.home.target, unique("Fresh"))


@pytest.fixture(scope="module")
async def cast(backend: Backend) -> Cast:
    api = backend.client
    tags = [*ROLES, "target", *(f"abroad-{r}" for r in [*ROLES, "target"]), "outsider"]
    accounts = dict(zip(tags, await asyncio.gather(*(sign_up(api, t) for t in tags)), strict=True))
    home_people = {r: accounts[r] for r in ROLES}
    abroad_people = {r: accounts[f"abroad-{r}"] for r in ROLES}
    home, abroad = await asyncio.gather(
        build_team(api, home_people, accounts["target"], "Home"),
        build_team(api, abroad_people, accounts["abroad-target"], "Abroad"),
    )
    owner = home.people["owner"]
    project = await ok(
        api.post(
            f"/workspaces/{home.workspace}/projects", json={"name": "Shared"}, headers=owner.headers
        ),
        201,
    )
    home.project = project["id"]
    home.task = str((await create_task(api, owner, home.project, "First step"))["id"])
    label = await ok(
        api.post(
            f"/workspaces/{home.workspace}/labels",
            json={"name": "Home label", "colour": "#abcdef"},
            headers=owner.headers,
        ),
        201,
    )
    home.label = label["id"]
    pending = await invite(api, owner, home.workspace, unique_email("pending"), "viewer")
    home.pending_invitation = pending["id"]
    return Cast(api, home, abroad, accounts["outsider"])


@dataclass(frozen=True)
class Seat:
    """Who calls: a role in the workspace addressed, the role in another workspace only
    (`foreign`), or (no role) someone who shares no workspace with it."""

    role: str | None
    foreign: bool = False

    @property
    def id(self) -> str:
        if self.role is None:
            return "non-member"
        return f"{self.role}-foreign" if self.foreign else self.role

    @property
    def inside(self) -> bool:
        return self.role is not None and not self.foreign


SEATS = [Seat(r) for r in ROLES] + [Seat(r, foreign=True) for r in ROLES] + [Seat(None)]


@dataclass
class Cell:
    api: httpx.AsyncClient
    cast: Cast
    team: Team
    seat: Seat
    caller: Account
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def owner(self) -> Account:
        return self.team.people["owner"]

    @property
    def witness(self) -> Account:
        return self.team.witness(self.caller)

    async def get(self, path: str, who: Account | None = None, **params: Any) -> httpx.Response:
        return await self.api.get(path, params=params, headers=(who or self.owner).headers)


Prepare = Callable[[Cell], Awaitable[None]]
Effect = Callable[[Cell, httpx.Response], Awaitable[None]]
Body = Callable[[Cell], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    """One route and its row of the matrix.

    `expect` is the status for the owner, admin, member and viewer of the workspace; a 403
    names `needs`. Callers from outside get `outside` (404: the workspace is not theirs to
    know of), or `(foreign, non_member)` for routes that address no workspace.
    """

    name: str
    method: str
    path: str
    expect: tuple[int, int, int, int]
    needs: str | None = None
    outside: int | tuple[int, int] = 404
    body: Body | None = None
    fresh: bool = False  # changes memberships or ends the workspace: a team per success
    prepare: Prepare | None = None
    effect: Effect | None = None

    def status(self, seat: Seat) -> int:
        if seat.inside:
            assert seat.role is not None
            return self.expect[ROLES.index(seat.role)]
        if isinstance(self.outside, int):
            return self.outside
        return self.outside[0] if seat.foreign else self.outside[1]

    @property
    def scoped(self) -> bool:
        return self.outside == 404


# The effects of successes, each seen by someone other than the caller where it can be.


async def listed_workspaces(cell: Cell, response: httpx.Response) -> None:
    roles = {w["id"]: w["my_role"] for w in response.json()["items"]}
    assert roles.get(cell.team.workspace) == (cell.seat.role if cell.seat.inside else None)


async def created_workspace(cell: Cell, response: httpx.Response) -> None:
    made = response.json()
    assert (made["my_role"], made["member_count"], made["personal"]) == ("owner", 1, False)
    mine = await ok(cell.get(f"/workspaces/{made['id']}", cell.caller))
    assert mine["name"] == cell.ids["name"]
    assert (await cell.get(f"/workspaces/{made['id']}", cell.witness)).status_code == 404


async def listed_projects(cell: Cell, response: httpx.Response) -> None:
    ids = {p["id"] for p in response.json()["items"]}
    assert (cell.team.project in ids) is cell.seat.inside


async def created_personal_project(cell: Cell, response: httpx.Response) -> None:
    made = response.json()
    assert made["workspace_id"] != cell.team.workspace
    assert (await ok(cell.get(f"/projects/{made['id']}", cell.caller)))["name"] == made["name"]
    assert (await cell.get(f"/projects/{made['id']}", cell.witness)).status_code == 404


async def previewed(cell: Cell, response: httpx.Response) -> None:
    workspace = await ok(cell.get(f"/workspaces/{cell.team.workspace}"))
    preview = response.json()
    assert set(preview) == {"workspace_name", "inviter_name", "role"}
    assert (preview["workspace_name"], preview["role"]) == (workspace["name"], "viewer")


async def accepted(cell: Cell, response: httpx.Response) -> None:
    assert response.json()["my_role"] == "viewer"
    members = await ok(cell.get(f"/workspaces/{cell.team.workspace}/members"))
    assert {"user_id": cell.caller.id, "role": "viewer"} in [
        {"user_id": m["user_id"], "role": m["role"]} for m in members["items"]
    ]
    used = await cell.api.post(
        f"/invitations/{cell.ids['token']}/accept", headers=cell.caller.headers
    )
    assert used.status_code == 410, used.text


async def got_workspace(cell: Cell, response: httpx.Response) -> None:
    workspace = response.json()
    assert (workspace["id"], workspace["my_role"]) == (cell.team.workspace, cell.seat.role)
    assert workspace["member_count"] == 5


async def renamed_workspace(cell: Cell, response: httpx.Response) -> None:
    seen = await ok(cell.get(f"/workspaces/{cell.team.workspace}", cell.witness))
    assert seen["name"] == response.json()["name"] == cell.ids["name"]


async def deleted_workspace(cell: Cell, response: httpx.Response) -> None:
    for who in (cell.caller, cell.team.people["admin"], cell.team.target):
        assert (await cell.get(f"/workspaces/{cell.team.workspace}", who)).status_code == 404


def roster(members: dict[str, Any]) -> dict[str, str]:
    return {m["user_id"]: m["role"] for m in members["items"]}


def team_roster(team: Team) -> dict[str, str]:
    return {**{a.id: role for role, a in team.people.items()}, team.target.id: "member"}


async def listed_members(cell: Cell, response: httpx.Response) -> None:
    assert roster(response.json()) == team_roster(cell.team)


async def changed_role(cell: Cell, response: httpx.Response) -> None:
    assert response.json()["role"] == "viewer"
    seen = roster(await ok(cell.get(f"/workspaces/{cell.team.workspace}/members", cell.witness)))
    assert seen == {**team_roster(cell.team), cell.team.target.id: "viewer"}
    target = await ok(cell.get(f"/workspaces/{cell.team.workspace}", cell.team.target))
    assert target["my_role"] == "viewer"


async def removed_member(cell: Cell, response: httpx.Response) -> None:
    gone = await cell.get(f"/workspaces/{cell.team.workspace}", cell.team.target)
    assert gone.status_code == 404
    seen = roster(await ok(cell.get(f"/workspaces/{cell.team.workspace}/members", cell.witness)))
    assert seen == {k: v for k, v in team_roster(cell.team).items() if k != cell.team.target.id}


async def left(cell: Cell, response: httpx.Response) -> None:
    gone = await cell.get(f"/workspaces/{cell.team.workspace}", cell.caller)
    assert gone.status_code == 404
    seen = roster(await ok(cell.get(f"/workspaces/{cell.team.workspace}/members", cell.witness)))
    assert seen == {k: v for k, v in team_roster(cell.team).items() if k != cell.caller.id}


async def transferred(cell: Cell, response: httpx.Response) -> None:
    seen = roster(await ok(cell.get(f"/workspaces/{cell.team.workspace}/members", cell.witness)))
    expected = {**team_roster(cell.team), cell.team.target.id: "owner", cell.caller.id: "admin"}
    assert seen == expected


async def listed_invitations(cell: Cell, response: httpx.Response) -> None:
    assert cell.team.pending_invitation in {i["id"] for i in response.json()["items"]}


async def open_invitations(cell: Cell) -> dict[str, Any]:
    listing = await ok(cell.get(f"/workspaces/{cell.team.workspace}/invitations", limit=100))
    return {i["id"]: i for i in listing["items"]}


async def invited(cell: Cell, response: httpx.Response) -> None:
    made = response.json()
    listed = (await open_invitations(cell))[made["id"]]
    assert (listed["email"], listed["role"], listed["status"]) == (
        cell.ids["email"],
        "member",
        "pending",
    )
    assert listed["invited_by"]["user_id"] == cell.caller.id
    preview = await ok(cell.api.get(f"/invitations/{made['token']}"))
    assert preview["role"] == "member"


async def revoked(cell: Cell, response: httpx.Response) -> None:
    assert cell.ids["invitation"] not in await open_invitations(cell)
    assert (await cell.api.get(f"/invitations/{cell.ids['token']}")).status_code == 410


async def listed_workspace_projects(cell: Cell, response: httpx.Response) -> None:
    items = response.json()["items"]
    assert cell.team.project in {p["id"] for p in items}
    assert {p["workspace_id"] for p in items} == {cell.team.workspace}
    assert {p["my_role"] for p in items} == {cell.seat.role}


async def created_project(cell: Cell, response: httpx.Response) -> None:
    made = response.json()
    seen = await ok(cell.get(f"/projects/{made['id']}", cell.witness))
    assert (seen["name"], seen["workspace_id"]) == (cell.ids["name"], cell.team.workspace)
    assert seen["created_by"] == cell.caller.id


async def got_project(cell: Cell, response: httpx.Response) -> None:
    project = response.json()
    assert (project["id"], project["my_role"]) == (cell.team.project, cell.seat.role)


async def updated_project(cell: Cell, response: httpx.Response) -> None:
    seen = await ok(cell.get(f"/projects/{cell.ids['project']}", cell.witness))
    assert seen["name"] == response.json()["name"] == cell.ids["name"]


async def deleted_project(cell: Cell, response: httpx.Response) -> None:
    assert (await cell.get(f"/projects/{cell.ids['project']}", cell.witness)).status_code == 404


async def tasks_seen(cell: Cell) -> dict[str, Any]:
    path = f"/projects/{cell.ids['project']}/tasks"
    listing = await ok(cell.get(path, cell.witness, limit=100))
    return {t["id"]: t for t in listing["items"]}


async def listed_tasks(cell: Cell, response: httpx.Response) -> None:
    assert cell.team.task in {t["id"] for t in response.json()["items"]}


async def created_task(cell: Cell, response: httpx.Response) -> None:
    made = response.json()
    assert (await tasks_seen(cell))[made["id"]]["title"] == cell.ids["name"]


async def updated_task(cell: Cell, response: httpx.Response) -> None:
    assert (await tasks_seen(cell))[cell.ids["task"]]["title"] == cell.ids["name"]


async def deleted_task(cell: Cell, response: httpx.Response) -> None:
    assert cell.ids["task"] not in await tasks_seen(cell)


# What some cells need made first, by the workspace's owner.


async def new_project(cell: Cell) -> None:
    made = await ok(
        cell.api.post(
            f"/workspaces/{cell.team.workspace}/projects",
            json={"name": unique("Doomed")},
            headers=cell.owner.headers,
        ),
        201,
    )
    cell.ids["project"] = made["id"]


async def new_task(cell: Cell) -> None:
    cell.ids["task"] = str((await create_task(cell.api, cell.owner, cell.team.project))["id"])


async def new_label(cell: Cell) -> None:
    made = await ok(
        cell.api.post(
            f"/workspaces/{cell.team.workspace}/labels",
            json={"name": unique("Label"), "colour": "#336699"},
            headers=cell.owner.headers,
        ),
        201,
    )
    cell.ids["label"] = made["id"]


async def labels_seen(cell: Cell) -> dict[str, Any]:
    listing = await ok(cell.get(f"/workspaces/{cell.team.workspace}/labels", cell.witness))
    return {label["id"]: label for label in listing["items"]}


async def listed_labels(cell: Cell, response: httpx.Response) -> None:
    assert response.json() == {"items": list((await labels_seen(cell)).values())}
    assert cell.team.label in {label["id"] for label in response.json()["items"]}


async def created_label(cell: Cell, response: httpx.Response) -> None:
    made = response.json()
    assert (await labels_seen(cell))[made["id"]]["name"] == cell.ids["name"]
    assert made["workspace_id"] == cell.team.workspace


async def updated_label(cell: Cell, response: httpx.Response) -> None:
    assert (await labels_seen(cell))[cell.ids["label"]]["name"] == cell.ids["name"]


async def deleted_label(cell: Cell, response: httpx.Response) -> None:
    assert cell.ids["label"] not in await labels_seen(cell)


async def findable_task(cell: Cell) -> None:
    """A task of the team's project titled with a word of its own, for search to find."""
    cell.ids["word"] = uuid.uuid4().hex[:12]
    title = f"Find {cell.ids['word']}"
    created = await create_task(cell.api, cell.owner, cell.team.project, title)
    cell.ids["task"] = str(created["id"])


async def searched(cell: Cell, response: httpx.Response) -> None:
    """Members find the workspace's task; nobody else finds anything of it."""
    found = [h["id"] for h in response.json()["items"]]
    assert found == ([cell.ids["task"]] if cell.seat.inside else [])


async def searched_workspace(cell: Cell, response: httpx.Response) -> None:
    hits = response.json()["items"]
    assert {h["id"] for h in hits} == {cell.ids["task"]}
    assert {h["workspace_id"] for h in hits} == {cell.team.workspace}


async def got_task(cell: Cell, response: httpx.Response) -> None:
    assert response.json() == (await tasks_seen(cell))[cell.team.task]


def comments_path(cell: Cell) -> str:
    return f"/projects/{cell.team.project}/tasks/{cell.team.task}/comments"


async def comments_seen(cell: Cell) -> dict[str, Any]:
    listing = await ok(cell.get(comments_path(cell), cell.witness, limit=100))
    return {c["id"]: c for c in listing["items"]}


def comment_by(role: str) -> Prepare:
    async def prepare(cell: Cell) -> None:
        author = cell.team.people[role]
        made = await ok(
            cell.api.post(
                comments_path(cell), json={"body": unique("Said")}, headers=author.headers
            ),
            201,
        )
        cell.ids["comment"] = made["id"]

    return prepare


async def listed_comments(cell: Cell, response: httpx.Response) -> None:
    assert cell.ids["comment"] in {c["id"] for c in response.json()["items"]}


async def created_comment(cell: Cell, response: httpx.Response) -> None:
    made = (await comments_seen(cell))[response.json()["id"]]
    assert (made["body"], made["author_id"]) == (cell.ids["name"], cell.caller.id)


async def edited_comment(cell: Cell, response: httpx.Response) -> None:
    assert (await comments_seen(cell))[cell.ids["comment"]]["body"] == cell.ids["name"]


async def deleted_comment(cell: Cell, response: httpx.Response) -> None:
    assert cell.ids["comment"] not in await comments_seen(cell)


async def listed_activity(cell: Cell, response: httpx.Response) -> None:
    items = response.json()["items"]
    assert items
    assert {e["project_id"] for e in items} == {cell.team.project}


async def listed_task_activity(cell: Cell, response: httpx.Response) -> None:
    await listed_activity(cell, response)
    assert {e["task_id"] for e in response.json()["items"]} == {cell.team.task}


async def trashed_task(cell: Cell) -> None:
    await new_task(cell)
    path = f"/projects/{cell.team.project}/tasks/{cell.ids['task']}"
    await ok(cell.api.delete(path, headers=cell.owner.headers), 204)


async def trashed_project(cell: Cell) -> None:
    await new_project(cell)
    await ok(cell.api.delete(f"/projects/{cell.ids['project']}", headers=cell.owner.headers), 204)


async def listed_trash(cell: Cell, response: httpx.Response) -> None:
    assert cell.ids["task"] in {i["id"] for i in response.json()["items"]}


async def restored_project(cell: Cell, response: httpx.Response) -> None:
    assert (await ok(cell.get(f"/projects/{cell.ids['project']}", cell.witness)))["id"] == (
        cell.ids["project"]
    )


async def restored_task(cell: Cell, response: httpx.Response) -> None:
    assert cell.ids["task"] in await tasks_seen(cell)


def label_body(cell: Cell) -> dict[str, Any]:
    return {"name": cell.ids["name"], "colour": "#102030"}


async def new_invitation(cell: Cell) -> None:
    made = await invite(cell.api, cell.owner, cell.team.workspace, unique_email("guest"), "viewer")
    cell.ids["invitation"], cell.ids["token"] = made["id"], made["token"]


async def invitation_for_caller(cell: Cell) -> None:
    """Members already belong: theirs is someone else's invitation, which no role unlocks."""
    email = unique_email("someone") if cell.seat.inside else cell.caller.email
    if not cell.seat.inside:
        await verify_email(cell.api, cell.caller)  # accepting requires it
    made = await invite(cell.api, cell.owner, cell.team.workspace, email, "viewer")
    cell.ids["token"] = made["token"]


def named(key: str) -> Body:
    def body(cell: Cell) -> dict[str, Any]:
        return {key: cell.ids["name"]}

    return body


ROUTES = [
    # Routes that address no workspace: each caller gets their own.
    Route("list-workspaces", "GET", "/workspaces", (200,) * 4, outside=(200, 200),
          effect=listed_workspaces),
    Route("create-workspace", "POST", "/workspaces", (201,) * 4, outside=(201, 201),
          body=named("name"), effect=created_workspace),
    Route("list-projects", "GET", "/projects?limit=100", (200,) * 4, outside=(200, 200),
          effect=listed_projects),
    Route("create-personal-project", "POST", "/projects", (201,) * 4, outside=(201, 201),
          body=named("name"), effect=created_personal_project),
    Route("preview-invitation", "GET", "/invitations/{token}", (200,) * 4, outside=(200, 200),
          prepare=new_invitation, effect=previewed),
    Route("accept-invitation", "POST", "/invitations/{token}/accept", (403,) * 4,
          outside=(200, 200), fresh=True, prepare=invitation_for_caller, effect=accepted),
    # A workspace and its members.
    Route("get-workspace", "GET", "/workspaces/{workspace}", (200,) * 4, effect=got_workspace),
    Route("rename-workspace", "PATCH", "/workspaces/{workspace}", (200, 200, 403, 403),
          needs="admin", body=named("name"), effect=renamed_workspace),
    Route("delete-workspace", "DELETE", "/workspaces/{workspace}", (204, 403, 403, 403),
          needs="owner", fresh=True, effect=deleted_workspace),
    Route("list-members", "GET", "/workspaces/{workspace}/members", (200,) * 4,
          effect=listed_members),
    Route("change-role", "PATCH", "/workspaces/{workspace}/members/{member}",
          (200, 200, 403, 403), needs="admin", body=lambda _: {"role": "viewer"}, fresh=True,
          effect=changed_role),
    Route("remove-member", "DELETE", "/workspaces/{workspace}/members/{member}",
          (204, 204, 403, 403), needs="admin", fresh=True, effect=removed_member),
    # The only owner cannot leave: the workspace would have none.
    Route("leave", "POST", "/workspaces/{workspace}/leave", (409, 204, 204, 204), fresh=True,
          effect=left),
    Route("transfer", "POST", "/workspaces/{workspace}/transfer", (204, 403, 403, 403),
          needs="owner", body=lambda cell: {"user_id": cell.team.target.id}, fresh=True,
          effect=transferred),
    # Invitations.
    Route("list-invitations", "GET", "/workspaces/{workspace}/invitations?limit=100",
          (200, 200, 403, 403), needs="admin", effect=listed_invitations),
    Route("invite", "POST", "/workspaces/{workspace}/invitations", (201, 201, 403, 403),
          needs="admin", body=lambda cell: {"email": cell.ids["email"], "role": "member"},
          effect=invited),
    Route("revoke-invitation", "DELETE", "/workspaces/{workspace}/invitations/{invitation}",
          (204, 204, 403, 403), needs="admin", prepare=new_invitation, effect=revoked),
    # Projects and tasks, by the role in their workspace.
    Route("list-workspace-projects", "GET", "/projects?workspace={workspace}&limit=100",
          (200,) * 4, effect=listed_workspace_projects),
    Route("create-project", "POST", "/workspaces/{workspace}/projects", (201, 201, 201, 403),
          needs="member", body=named("name"), effect=created_project),
    Route("get-project", "GET", "/projects/{project}", (200,) * 4, effect=got_project),
    Route("update-project", "PATCH", "/projects/{project}", (200, 200, 200, 403),
          needs="member", body=named("name"), effect=updated_project),
    Route("delete-project", "DELETE", "/projects/{project}", (204, 204, 204, 403),
          needs="member", prepare=new_project, effect=deleted_project),
    Route("list-tasks", "GET", "/projects/{project}/tasks?limit=100", (200,) * 4,
          effect=listed_tasks),
    Route("create-task", "POST", "/projects/{project}/tasks", (201, 201, 201, 403),
          needs="member", body=named("title"), effect=created_task),
    Route("update-task", "PATCH", "/projects/{project}/tasks/{task}", (200, 200, 200, 403),
          needs="member", body=named("title"), effect=updated_task),
    Route("delete-task", "DELETE", "/projects/{project}/tasks/{task}", (204, 204, 204, 403),
          needs="member", prepare=new_task, effect=deleted_task),
    Route("get-task", "GET", "/projects/{project}/tasks/{task}", (200,) * 4, effect=got_task),
    # Comments: every member reads them, members write; only its author edits a comment,
    # its author or an admin deletes it (the comment is the member's here).
    Route("list-comments", "GET", "/projects/{project}/tasks/{task}/comments?limit=100",
          (200,) * 4, prepare=comment_by("owner"), effect=listed_comments),
    Route("create-comment", "POST", "/projects/{project}/tasks/{task}/comments",
          (201, 201, 201, 403), needs="member", body=named("body"), effect=created_comment),
    Route("edit-comment", "PATCH", "/projects/{project}/tasks/{task}/comments/{comment}",
          (200, 403, 403, 403), body=named("body"), prepare=comment_by("owner"),
          effect=edited_comment),
    Route("delete-comment", "DELETE", "/projects/{project}/tasks/{task}/comments/{comment}",
          (204, 204, 204, 403), needs="admin", prepare=comment_by("member"),
          effect=deleted_comment),
    # The activity log: every member reads it.
    Route("project-activity", "GET", "/projects/{project}/activity?limit=100", (200,) * 4,
          effect=listed_activity),
    Route("task-activity", "GET", "/projects/{project}/tasks/{task}/activity", (200,) * 4,
          effect=listed_task_activity),
    # The trash: every member sees it, members and above restore from it.
    Route("list-trash", "GET", "/workspaces/{workspace}/trash?limit=100", (200,) * 4,
          prepare=trashed_task, effect=listed_trash),
    Route("restore-project", "POST", "/projects/{project}/restore", (200, 200, 200, 403),
          needs="member", prepare=trashed_project, effect=restored_project),
    Route("restore-task", "POST", "/projects/{project}/tasks/{task}/restore",
          (200, 200, 200, 403), needs="member", prepare=trashed_task, effect=restored_task),
    # Search: everyone searches their own workspaces; nobody finds another's.
    Route("search", "GET", "/search?q={word}", (200,) * 4, outside=(200, 200),
          prepare=findable_task, effect=searched),
    Route("search-workspace", "GET", "/search?q={word}&workspace={workspace}", (200,) * 4,
          prepare=findable_task, effect=searched_workspace),
    # Labels: every member reads them, members and above manage them.
    Route("list-labels", "GET", "/workspaces/{workspace}/labels", (200,) * 4,
          effect=listed_labels),
    Route("create-label", "POST", "/workspaces/{workspace}/labels", (201, 201, 201, 403),
          needs="member", body=label_body, effect=created_label),
    Route("update-label", "PATCH", "/workspaces/{workspace}/labels/{label}",
          (200, 200, 200, 403), needs="member", body=named("name"), prepare=new_label,
          effect=updated_label),
    Route("delete-label", "DELETE", "/workspaces/{workspace}/labels/{label}",
          (204, 204, 204, 403), needs="member", prepare=new_label, effect=deleted_label),
]  # fmt: skip
SCOPED = [r for r in ROUTES if r.scoped]


async def snapshot(api: httpx.AsyncClient, team: Team) -> list[Any]:
    """The workspace as its owner sees it, without the names the directory may still learn."""
    owner = team.people["owner"].headers
    w = f"/workspaces/{team.workspace}"
    reads = [
        w,
        f"{w}/members",
        f"{w}/invitations?limit=100",
        f"/projects?workspace={team.workspace}&limit=100",
        f"{w}/labels",
    ]
    if team.project:
        reads += [f"/projects/{team.project}", f"/projects/{team.project}/tasks?limit=100"]
    answers = await asyncio.gather(*(api.get(path, headers=owner) for path in reads))
    state = []
    for path, answer in zip(reads, answers, strict=True):
        assert answer.status_code == 200, (path, answer.text)
        body = answer.json()
        for item in body.get("items", []):
            if "joined_at" in item:  # a member
                del item["display_name"], item["email"]
            if "invited_by" in item:
                item["invited_by"] = item["invited_by"]["user_id"]
        state.append(body)
    return state


def seat_of(cast: Cast, seat: Seat, team: Team) -> Account:
    if seat.role is None:
        return cast.outsider
    return cast.abroad.people[seat.role] if seat.foreign else team.people[seat.role]


async def make_cell(api: httpx.AsyncClient, cast: Cast, route: Route, seat: Seat) -> Cell:
    # A refusal changes nothing (each cell checks it), so only a success needs its own team.
    succeeds = route.status(seat) < 400
    team = await cast.fresh_team() if route.fresh and succeeds else cast.home
    cell = Cell(api, cast, team, seat, seat_of(cast, seat, team))
    cell.ids.update(
        workspace=team.workspace,
        project=team.project,
        task=team.task,
        label=team.label,
        member=team.target.id,
        name=unique("Renamed"),
        email=unique_email("invitee"),
    )
    if route.prepare is not None:
        await route.prepare(cell)
    return cell


def send(cell: Cell, route: Route, ids: Mapping[str, str]) -> Awaitable[httpx.Response]:
    body = route.body(cell) if route.body is not None else None
    return cell.api.request(
        route.method, route.path.format(**ids), json=body, headers=cell.caller.headers
    )


@pytest.mark.parametrize("seat", SEATS, ids=lambda s: s.id)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
async def test_each_seat_gets_exactly_its_outcome(cast: Cast, route: Route, seat: Seat) -> None:
    cell = await make_cell(cast.api, cast, route, seat)
    expected = route.status(seat)
    before = await snapshot(cast.api, cell.team) if expected >= 400 else None
    response = await send(cell, route, cell.ids)
    assert response.status_code == expected, response.text
    if expected < 400:
        assert route.effect is not None
        await route.effect(cell, response)
        return
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == expected
    if expected == 403 and route.needs is not None:
        assert problem["required_role"] == route.needs
        assert route.needs in problem["detail"]
    if expected == 409:
        assert problem["reason"] == "last_owner"
    assert await snapshot(cast.api, cell.team) == before


def without_instance(response: httpx.Response) -> bytes:
    instance = response.json().get("instance")
    assert isinstance(instance, str)
    return response.content.replace(instance.encode(), b"")


@pytest.mark.parametrize("stranger", ["foreign", "non-member"])
@pytest.mark.parametrize("route", SCOPED, ids=lambda r: r.name)
async def test_a_workspace_one_is_not_in_reads_as_one_that_does_not_exist(
    cast: Cast, route: Route, stranger: str
) -> None:
    seat = Seat("owner", foreign=True) if stranger == "foreign" else Seat(None)
    cell = await make_cell(cast.api, cast, route, seat)
    hidden = await send(cell, route, cell.ids)
    nowhere = {
        **cell.ids,
        **{k: str(uuid.uuid4()) for k in ("workspace", "project", "task", "label", "comment")},
    }
    nowhere.update(member=str(uuid.uuid4()), invitation=str(uuid.uuid4()))
    missing = await send(cell, route, nowhere)
    malformed = await send(cell, route, {**nowhere, "workspace": "nope", "project": "nope"})
    for response in (hidden, missing, malformed):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == PROBLEM
    assert without_instance(hidden) == without_instance(missing) == without_instance(malformed)
    assert set(hidden.headers) == set(missing.headers)


# Member management: who may change or remove whom, and into what.


@dataclass(frozen=True)
class Change:
    actor: str
    subject: str  # a role of the team, or "target" (a member)
    to: str | None  # None: removed
    status: int
    needs: str | None = None


CHANGES = [
    Change("admin", "owner", "admin", 403, "owner"),
    Change("admin", "owner", "viewer", 403, "owner"),
    Change("admin", "owner", None, 403, "owner"),
    Change("admin", "target", "owner", 403, "owner"),
    Change("admin", "target", "admin", 200),
    Change("admin", "viewer", None, 204),
    Change("owner", "target", "owner", 200),
    Change("owner", "admin", None, 204),
    Change("member", "viewer", "member", 403, "admin"),
    Change("member", "target", None, 403, "admin"),
    Change("viewer", "target", "viewer", 403, "admin"),
    Change("owner", "owner", "admin", 409),
]


@pytest.mark.parametrize(
    "change",
    CHANGES,
    ids=lambda c: f"{c.actor}-{'removes' if c.to is None else 'makes'}-{c.subject}-{c.to or ''}",
)
async def test_member_management_rules(cast: Cast, change: Change) -> None:
    api = cast.api
    team = await cast.fresh_team()
    actor = team.people[change.actor]
    subject = team.target if change.subject == "target" else team.people[change.subject]
    path = f"/workspaces/{team.workspace}/members/{subject.id}"
    before = roster(
        await ok(api.get(f"/workspaces/{team.workspace}/members", headers=actor.headers))
    )
    if change.to is None:
        response = await api.delete(path, headers=actor.headers)
    else:
        response = await api.patch(path, json={"role": change.to}, headers=actor.headers)
    assert response.status_code == change.status, response.text
    after = roster(
        await ok(api.get(f"/workspaces/{team.workspace}/members", headers=actor.headers))
    )
    if change.status >= 400:
        assert response.json().get("required_role") == change.needs
        assert after == before
    elif change.to is None:
        assert after == {k: v for k, v in before.items() if k != subject.id}
    else:
        assert after == {**before, subject.id: change.to}


@pytest.mark.parametrize(
    ("actor", "role", "status", "needs"),
    [
        ("admin", "owner", 403, "owner"),
        ("admin", "admin", 201, None),
        ("member", "viewer", 403, "admin"),
        ("owner", "owner", 201, None),
    ],
)
async def test_nobody_invites_above_their_own_role(
    cast: Cast, actor: str, role: str, status: int, needs: str | None
) -> None:
    api, team = cast.api, cast.home
    response = await api.post(
        f"/workspaces/{team.workspace}/invitations",
        json={"email": unique_email("raised"), "role": role},
        headers=team.people[actor].headers,
    )
    assert response.status_code == status, response.text
    if needs is not None:
        assert response.json()["required_role"] == needs
    else:
        listing = await ok(
            api.get(
                f"/workspaces/{team.workspace}/invitations",
                params={"limit": 100},
                headers=team.people["owner"].headers,
            )
        )
        listed = {i["id"]: i["role"] for i in listing["items"]}
        assert listed[response.json()["id"]] == role
