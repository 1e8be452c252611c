"""In-app notifications through the public API, on every backend: who is told of what
(assigned, commented, mentioned, invited, due_soon, overdue), never of their own action,
once per change, as their preferences allow; the list, its paging and unread count, marking
read; and that a person sees only their own, of the workspaces they still belong to."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from projectconnect.infra.cache import CacheBackend
from projectconnect.infra.db import Database
from projectconnect.infra.feed import MemoryFeed
from projectconnect.projects.cache import ReadCache
from projectconnect.projects.live import Notice, Publisher
from projectconnect.projects.models import Notification, NotificationPreference
from projectconnect.projects.notifications import DueReminders
from projectconnect.projects.writes import Writes
from tests.api.test_projects import invalid_fields, problem
from tests.conftest import Backend
from tests.support.accounts import Account, sign_up, unique_email
from tests.support.teams import accept, create_project_in, create_workspace, invite, join
from tests.support.waiting import eventually

ITEM_FIELDS = {
    "id",
    "kind",
    "created_at",
    "read_at",
    "actor",
    "workspace",
    "project",
    "task",
    "comment_id",
    "due_date",
}
ALL_ON = {
    "assigned": True,
    "mentioned": True,
    "commented": True,
    "invited": True,
    "due_soon": True,
    "overdue": True,
}


def mention(who: Account) -> str:
    return f"<@{who.id}>"


async def listing(api: httpx.AsyncClient, who: Account, **params: Any) -> dict[str, Any]:
    response = await api.get("/notifications", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def unread(api: httpx.AsyncClient, who: Account) -> list[dict[str, Any]]:
    """The person's unread notifications, newest first (every page)."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"unread": "true", "limit": 100}
    while True:
        page = await listing(api, who, **params)
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


async def told(api: httpx.AsyncClient, who: Account) -> list[tuple[str, str | None]]:
    """(kind, task id) of each unread notification, newest first."""
    return [(n["kind"], (n["task"] or {}).get("id")) for n in await unread(api, who)]


async def read_all(api: httpx.AsyncClient, who: Account) -> None:
    response = await api.post("/notifications/read-all", headers=who.headers)
    assert response.status_code == 204, response.text


@dataclass
class Team:
    workspace: str
    project: dict[str, Any]
    owner: Account
    ann: Account
    bob: Account
    cat: Account

    @property
    def everyone(self) -> tuple[Account, ...]:
        return (self.owner, self.ann, self.bob, self.cat)


async def make_team(api: httpx.AsyncClient, name: str = "Rocket") -> Team:
    """A workspace with its owner and three members, a project, and nothing unread: each
    member's invitation may or may not have told them, as the directory knew them or not."""
    owner = await sign_up(api, "owner")
    workspace = await create_workspace(api, owner, name)
    ann, bob, cat = [await join(api, owner, workspace, tag=tag) for tag in ("ann", "bob", "cat")]
    project = await create_project_in(api, owner, workspace, "Launch")
    team = Team(workspace, project, owner, ann, bob, cat)
    for person in team.everyone:
        await read_all(api, person)
    return team


async def new_task(
    api: httpx.AsyncClient, who: Account, team: Team, **fields: Any
) -> dict[str, Any]:
    response = await api.post(
        f"/projects/{team.project['id']}/tasks",
        json={"title": "Write it", **fields},
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def change_task(
    api: httpx.AsyncClient, who: Account, task: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    response = await api.patch(
        f"/projects/{task['project_id']}/tasks/{task['id']}", json=fields, headers=who.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def comment(
    api: httpx.AsyncClient, who: Account, task: dict[str, Any], body: str
) -> dict[str, Any]:
    response = await api.post(
        f"/projects/{task['project_id']}/tasks/{task['id']}/comments",
        json={"body": body},
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


async def known_to_projects(api: httpx.AsyncClient, who: Account) -> None:
    """Wait until the projects service's directory of people knows `who` (from auth's
    events): an invitation of theirs then shows their email as the inviter's name."""
    workspace = await create_workspace(api, who, "Probe")
    token = (await invite(api, who, workspace, unique_email("probe")))["token"]

    async def named() -> bool:
        preview = await api.get(f"/invitations/{token}")
        return bool(preview.json()["inviter_name"] == who.email)

    await eventually(named, within=30, message="the directory never learnt of the account")


async def test_an_assignment_tells_the_new_assignees_and_never_the_actor(
    api: httpx.AsyncClient,
) -> None:
    team = await make_team(api, "Orbit")
    task = await new_task(api, team.owner, team, assignees=[team.ann.id, team.owner.id])

    (note,) = await unread(api, team.ann)
    assert set(note) == ITEM_FIELDS
    assert note["kind"] == "assigned"
    assert note["read_at"] is None
    assert note["workspace"] == {"id": team.workspace, "name": "Orbit"}
    assert note["project"] == {"id": team.project["id"], "name": "Launch"}
    assert note["task"] == {"id": task["id"], "title": "Write it"}
    assert note["comment_id"] is None
    assert note["due_date"] is None
    assert note["actor"]["id"] == team.owner.id
    assert await told(api, team.owner) == []  # assigned themself: their own action
    assert await told(api, team.bob) == []

    # A change tells only those it adds; names are read as they are now.
    await change_task(api, team.ann, task, assignees=[team.ann.id, team.owner.id, team.bob.id])
    renamed = await api.patch(
        f"/projects/{team.project['id']}", json={"name": "Liftoff"}, headers=team.owner.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert await told(api, team.bob) == [("assigned", task["id"])]
    assert await told(api, team.owner) == []  # on it already
    assert await told(api, team.ann) == [("assigned", task["id"])]  # still the first one
    (for_bob,) = await unread(api, team.bob)
    assert for_bob["actor"]["id"] == team.ann.id
    assert for_bob["project"]["name"] == "Liftoff"

    async def actor_named() -> bool:
        (latest,) = await unread(api, team.bob)
        return bool(latest["actor"] == {"id": team.ann.id, "name": team.ann.email})

    await eventually(actor_named, within=30, message="the actor's name never showed")


async def test_a_comment_tells_the_tasks_assignees_and_creator_but_not_its_author(
    api: httpx.AsyncClient,
) -> None:
    team = await make_team(api)
    task = await new_task(api, team.owner, team, assignees=[team.ann.id, team.bob.id])
    await read_all(api, team.ann)
    await read_all(api, team.bob)

    made = await comment(api, team.bob, task, "On it")
    for person in (team.ann, team.owner):
        (note,) = await unread(api, person)
        assert (note["kind"], note["task"]["id"]) == ("commented", task["id"])
        assert note["comment_id"] == made["id"]
        assert note["actor"]["id"] == team.bob.id
    assert await told(api, team.bob) == []
    assert await told(api, team.cat) == []  # neither assigned nor its creator


async def test_a_mention_tells_members_once_and_is_just_text_for_anyone_else(
    api: httpx.AsyncClient,
) -> None:
    team = await make_team(api)
    outsider = await sign_up(api, "outsider")
    task = await new_task(api, team.owner, team, assignees=[team.ann.id])
    await read_all(api, team.ann)
    body = (
        f"{mention(team.cat)} and {mention(team.ann)}, see this; {mention(team.bob)} "
        f"mentions {mention(team.bob)} twice; {mention(outsider)}, <@{uuid.uuid4()}> and "
        f"<@not-an-id> are text; {mention(team.owner).upper()} names the owner"
    )
    await comment(api, team.bob, task, body)

    # Mentioned and assigned: one notification, the mention.
    assert await told(api, team.ann) == [("mentioned", task["id"])]
    assert await told(api, team.cat) == [("mentioned", task["id"])]
    assert await told(api, team.bob) == []  # their own comment
    assert await told(api, outsider) == []
    # The owner created the task (commented) and is named: one notification, the mention.
    assert await told(api, team.owner) == [("mentioned", task["id"])]


async def test_a_description_tells_whom_it_newly_mentions_and_an_assignee_once(
    api: httpx.AsyncClient,
) -> None:
    team = await make_team(api)
    task = await new_task(
        api, team.owner, team, assignees=[team.ann.id], description=f"For {mention(team.ann)}"
    )
    assert await told(api, team.ann) == [("assigned", task["id"])]

    task = await change_task(
        api, team.owner, task, description=f"For {mention(team.ann)} and {mention(team.bob)}"
    )
    assert await told(api, team.bob) == [("mentioned", task["id"])]
    assert await told(api, team.ann) == [("assigned", task["id"])]  # named before

    # Named again, or still: no one is told twice of the same mention.
    await change_task(api, team.cat, task, description=f"{mention(team.bob)} only")
    assert await told(api, team.bob) == [("mentioned", task["id"])]
    # An edited comment tells those it newly names.
    made = await comment(api, team.bob, task, "First draft")
    await read_all(api, team.owner)
    edited = await api.patch(
        f"/projects/{task['project_id']}/tasks/{task['id']}/comments/{made['id']}",
        json={"body": f"First draft, {mention(team.cat)}"},
        headers=team.bob.headers,
    )
    assert edited.status_code == 200, edited.text
    assert await told(api, team.cat) == [("mentioned", task["id"])]
    assert await told(api, team.owner) == []  # an edit is no new comment


async def test_an_invitation_tells_a_known_person_while_it_is_open(
    api: httpx.AsyncClient,
) -> None:
    owner = await sign_up(api, "owner")
    workspace = await create_workspace(api, owner, "Hangar")
    dan = await sign_up(api, "dan")
    await known_to_projects(api, dan)
    made = await invite(api, owner, workspace, dan.email.upper(), "viewer")

    (note,) = await unread(api, dan)
    assert note["kind"] == "invited"
    assert note["workspace"] == {"id": workspace, "name": "Hangar"}
    assert note["actor"]["id"] == owner.id
    assert (note["project"], note["task"]) == (None, None)
    # An invitation to an address nobody has tells no one, and is made as ever.
    await invite(api, owner, workspace, unique_email("nobody"))

    # Revoked: no longer shown (a member who joins sees it again, as any of the workspace's).
    revoked = await api.delete(
        f"/workspaces/{workspace}/invitations/{made['id']}", headers=owner.headers
    )
    assert revoked.status_code == 204, revoked.text
    assert (await listing(api, dan))["items"] == []
    again = await invite(api, owner, workspace, dan.email)
    accepted = await accept(api, dan, again["token"])
    assert accepted.status_code == 200, accepted.text
    assert [n["kind"] for n in (await listing(api, dan))["items"]] == ["invited", "invited"]


async def test_preferences_turn_kinds_off_and_the_strongest_one_left_is_told(
    api: httpx.AsyncClient,
) -> None:
    team = await make_team(api)
    got = await api.get("/notifications/preferences", headers=team.ann.headers)
    assert got.status_code == 200, got.text
    assert got.json()["kinds"] == ALL_ON

    put = await api.put(
        "/notifications/preferences",
        json={"kinds": {"assigned": False, "commented": False}},
        headers=team.ann.headers,
    )
    assert put.status_code == 200, put.text
    chosen = {**ALL_ON, "assigned": False, "commented": False}
    assert put.json()["kinds"] == chosen
    # Kinds not named keep their setting.
    kept = await api.put(
        "/notifications/preferences", json={"kinds": {"overdue": True}}, headers=team.ann.headers
    )
    assert kept.json()["kinds"] == chosen
    got = await api.get("/notifications/preferences", headers=team.ann.headers)
    assert got.json()["kinds"] == chosen
    # Another person's are their own.
    others = await api.get("/notifications/preferences", headers=team.bob.headers)
    assert others.json()["kinds"] == ALL_ON

    task = await new_task(api, team.owner, team, assignees=[team.ann.id, team.bob.id])
    assert await told(api, team.ann) == []
    assert await told(api, team.bob) == [("assigned", task["id"])]
    await comment(api, team.cat, task, "Anyone?")
    assert await told(api, team.ann) == []
    # Assigned (off) and mentioned (on) in one change: the mention is told.
    other = await new_task(
        api, team.owner, team, assignees=[team.ann.id], description=mention(team.ann)
    )
    assert await told(api, team.ann) == [("mentioned", other["id"])]

    for wrong, field in (
        ({"kinds": {"bogus": True}}, "kinds.bogus"),
        ({"kinds": {"assigned": None}}, "kinds.assigned"),
        ({"kinds": {"assigned": "sometimes"}}, "kinds.assigned"),
        ({"kinds": None}, "kinds"),
    ):
        refused = await api.put("/notifications/preferences", json=wrong, headers=team.ann.headers)
        assert invalid_fields(refused) == {field}, wrong
    got = await api.get("/notifications/preferences", headers=team.ann.headers)
    assert got.json()["kinds"] == chosen


async def test_marking_read_one_and_all_and_the_unread_count(api: httpx.AsyncClient) -> None:
    team = await make_team(api)
    # The owner, who made the workspace, has no invitation among their notifications.
    tasks = [
        await new_task(api, team.ann, team, title=f"Task {i}", assignees=[team.owner.id])
        for i in range(3)
    ]
    page = await listing(api, team.owner)
    assert page["unread_count"] == 3
    assert [n["task"]["id"] for n in page["items"]] == [t["id"] for t in reversed(tasks)]

    first = page["items"][-1]
    marked = await api.post(f"/notifications/{first['id']}/read", headers=team.owner.headers)
    assert marked.status_code == 204, marked.text
    again = await api.post(f"/notifications/{first['id']}/read", headers=team.owner.headers)
    assert again.status_code == 204  # read stays read
    page = await listing(api, team.owner)
    assert page["unread_count"] == 2
    assert page["items"][-1]["read_at"] is not None
    assert [n["read_at"] for n in page["items"][:2]] == [None, None]
    only_unread = await listing(api, team.owner, unread="true")
    assert [n["id"] for n in only_unread["items"]] == [n["id"] for n in page["items"][:2]]
    assert only_unread["unread_count"] == 2

    # Another's, unknown, or no id at all: not found, and nothing changes.
    for path in (
        f"/notifications/{page['items'][0]['id']}/read",
        f"/notifications/{uuid.uuid4()}/read",
        "/notifications/not-an-id/read",
    ):
        problem(await api.post(path, headers=team.bob.headers), 404)
    assert (await listing(api, team.owner))["unread_count"] == 2

    await read_all(api, team.owner)
    page = await listing(api, team.owner)
    assert page["unread_count"] == 0
    assert all(n["read_at"] is not None for n in page["items"])
    assert len(page["items"]) == 3
    assert (await listing(api, team.owner, unread="true"))["items"] == []


async def test_pages_go_newest_first_without_gaps_or_repeats(api: httpx.AsyncClient) -> None:
    team = await make_team(api)
    tasks = [
        await new_task(api, team.ann, team, title=f"Task {i}", assignees=[team.owner.id])
        for i in range(5)
    ]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await listing(api, team.owner, **params)
        assert page["unread_count"] == 5
        assert len(page["items"]) <= 2
        seen += [n["task"]["id"] for n in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [t["id"] for t in reversed(tasks)]
    assert pages == 3
    bad = await api.get("/notifications", params={"cursor": "nope"}, headers=team.owner.headers)
    assert invalid_fields(bad) == {"cursor"}
    assert invalid_fields(
        await api.get("/notifications", params={"limit": 0}, headers=team.owner.headers)
    ) == {"limit"}
    assert (await api.get("/notifications")).status_code == 401


async def test_a_person_sees_only_their_own_and_of_workspaces_they_still_belong_to(
    api: httpx.AsyncClient,
) -> None:
    team = await make_team(api)
    other = await make_team(api)
    other_member = await join(api, other.owner, other.workspace, tag="ann2")
    # Ann of the first team joins the second too.
    guest = await invite(api, other.owner, other.workspace, team.ann.email)
    assert (await accept(api, team.ann, guest["token"])).status_code == 200
    await read_all(api, team.ann)
    await read_all(api, other_member)
    here = await new_task(api, team.owner, team, assignees=[team.ann.id])
    there = await new_task(api, other.owner, other, assignees=[team.ann.id, other_member.id])

    assert await told(api, team.ann) == [("assigned", there["id"]), ("assigned", here["id"])]
    assert await told(api, other_member) == [("assigned", there["id"])]
    assert await told(api, team.bob) == []
    theirs = (await unread(api, other_member))[0]["id"]
    problem(await api.post(f"/notifications/{theirs}/read", headers=team.ann.headers), 404)
    assert await told(api, other_member) == [("assigned", there["id"])]

    from_there = (await unread(api, team.ann))[0]["id"]
    left = await api.post(f"/workspaces/{other.workspace}/leave", headers=team.ann.headers)
    assert left.status_code == 204, left.text
    page = await listing(api, team.ann)
    assert {n["workspace"]["id"] for n in page["items"]} == {team.workspace}
    assert [n["task"]["id"] for n in page["items"] if n["task"]] == [here["id"]]
    assert page["unread_count"] == 1
    problem(await api.post(f"/notifications/{from_there}/read", headers=team.ann.headers), 404)


async def test_what_went_to_the_trash_reads_as_null(api: httpx.AsyncClient) -> None:
    team = await make_team(api)
    task = await new_task(api, team.owner, team, assignees=[team.ann.id])
    trashed = await api.delete(
        f"/projects/{task['project_id']}/tasks/{task['id']}", headers=team.owner.headers
    )
    assert trashed.status_code == 204
    (note,) = await unread(api, team.ann)
    assert (note["project"]["id"], note["task"]) == (team.project["id"], None)

    other = await new_task(api, team.owner, team, assignees=[team.ann.id])
    await comment(api, team.bob, other, "Hello")
    gone = await api.delete(f"/projects/{team.project['id']}", headers=team.owner.headers)
    assert gone.status_code == 204
    items = await unread(api, team.ann)
    assert len(items) == 3
    assert all((n["project"], n["task"], n["comment_id"]) == (None, None, None) for n in items)


TODAY = dt.date(2031, 5, 10)  # far from the real date: the service's own job leaves it be


@asynccontextmanager
async def due_job(backend: Backend, today: dt.date) -> AsyncIterator[tuple[DueReminders, Any]]:
    """The due reminders on the backend's database with a clock at `today`, and what they
    publish to the live streams."""
    assert backend.projects_url is not None
    db = Database(backend.projects_url, name="reminders-test", pool_size=1)
    feed = MemoryFeed()
    writes = Writes(db, ReadCache(CacheBackend(None).named("projects"), ttl=60), Publisher(feed))
    noon = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
    try:
        yield DueReminders(writes, clock=lambda: noon, batch=2), feed
    finally:
        await db.dispose()


async def published(feed: MemoryFeed, since: str) -> list[Notice]:
    return [Notice.decode(entry.payload)[0] for entry in await feed.since(since)]


async def test_the_due_job_reminds_each_assignee_once_of_open_tasks_only(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    team = await make_team(api)
    await api.put(
        "/notifications/preferences", json={"kinds": {"overdue": False}}, headers=team.cat.headers
    )
    assigned = [team.ann.id, team.bob.id, team.cat.id]
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    soon = await new_task(api, team.owner, team, assignees=assigned, due_date=tomorrow)
    late = await new_task(api, team.owner, team, assignees=assigned, due_date="2031-05-03")
    for due in (TODAY.isoformat(), "2031-05-20"):  # today and later: nothing yet
        await new_task(api, team.owner, team, assignees=assigned, due_date=due)
    # Overdue for longer than OVERDUE_WITHIN (7 days) when first seen: not reminded of.
    await new_task(api, team.owner, team, assignees=assigned, due_date="2031-05-02")
    await new_task(api, team.owner, team, due_date="2031-05-03")  # nobody's
    for status in ("done", "cancelled"):
        await new_task(api, team.owner, team, assignees=assigned, status=status, due_date=tomorrow)
    binned = await new_task(api, team.owner, team, assignees=assigned, due_date="2031-05-04")
    await api.delete(
        f"/projects/{team.project['id']}/tasks/{binned['id']}", headers=team.owner.headers
    )
    for person in team.everyone:
        await read_all(api, person)

    async with due_job(backend, TODAY) as (job, feed):
        start = await feed.last_id()
        assert await job.remind_once() >= 5
        assert await job.remind_once() == 0  # run again: nothing more
        notices = await published(feed, start)

    for person in (team.ann, team.bob):
        assert sorted(await told(api, person)) == sorted(
            [("due_soon", soon["id"]), ("overdue", late["id"])]
        )
    assert await told(api, team.cat) == [("due_soon", soon["id"])]  # overdue turned off
    assert await told(api, team.owner) == []
    (reminder,) = [n for n in await unread(api, team.ann) if n["kind"] == "overdue"]
    assert reminder["due_date"] == "2031-05-03"
    assert reminder["actor"] is None
    assert reminder["task"] == {"id": late["id"], "title": "Write it"}
    # Each reminder announced to its person, once.
    mine = {n.id: n.user_id for n in notices if n.user_id is not None}
    for person in (team.ann, team.bob, team.cat):
        ids = {uuid.UUID(n["id"]) for n in await unread(api, person)}
        assert {i for i, who in mine.items() if who == uuid.UUID(person.id)} == ids
    assert all(n.event == "notification" and n.op == "created" for n in notices)


async def _rows_of(url: str, user_id: uuid.UUID) -> tuple[int, int]:
    """The person's notifications and preferences, looked at behind the API."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            notifications = await connection.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.user_id == user_id)
            )
            preferences = await connection.scalar(
                select(func.count())
                .select_from(NotificationPreference)
                .where(NotificationPreference.user_id == user_id)
            )
        return int(notifications or 0), int(preferences or 0)
    finally:
        await engine.dispose()


async def test_a_deleted_account_takes_its_notifications_and_preferences(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    team = await make_team(api)
    await new_task(api, team.owner, team, assignees=[team.ann.id])
    await api.put(
        "/notifications/preferences", json={"kinds": {"overdue": False}}, headers=team.ann.headers
    )
    assert backend.projects_url is not None
    url, ann = backend.projects_url, uuid.UUID(team.ann.id)
    held = await _rows_of(url, ann)
    assert held[0] >= 1
    assert held[1] == 1

    deleted = await api.request(
        "DELETE", "/auth/me", json={"password": team.ann.password}, headers=team.ann.headers
    )
    assert deleted.status_code == 204, deleted.text

    async def forgotten() -> bool:
        return await _rows_of(url, ann) == (0, 0)

    within = 30.0 if backend.name == "processes" else 5.0
    await eventually(forgotten, within=within, message="the account's notifications stayed")
