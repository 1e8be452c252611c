"""Live updates: `GET /events/stream` on a real server, embedded (SQLite, the process's own
feed) and on PostgreSQL with Redis's feed; across two replicas in test_live_replicas.py.

What a member does reaches the other members' open streams, and nobody else's; a member
removed hears that, then nothing more; a reconnect replays what it missed or says to
refetch; a person holds a few streams, not a flood; an ended session ends its streams.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from projectconnect.devserver import DataDir, create_embedded_app
from projectconnect.infra.mailer import MailSettings
from projectconnect.infra.tokens import ensure_private_key_file
from tests.conftest import embedded_settings
from tests.support.accounts import create_project, create_task, mail_arrives, sign_up
from tests.support.live import open_stream, served
from tests.support.mail import DirectoryMailbox
from tests.support.services import ThrowawayPostgres, ThrowawayRedisPrefix
from tests.support.teams import accept, create_project_in, create_workspace, join
from tests.support.waiting import eventually

LIVE = {"live_check_seconds": 0.5, "live_heartbeat_seconds": 0.5, "live_streams_per_user": 3}


@dataclass
class Live:
    name: str
    client: httpx.AsyncClient


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Live]:
    root = tmp_path_factory.mktemp(f"live-{request.param}")
    key = ensure_private_key_file(root / "signing-key.pem")
    pg: ThrowawayPostgres | None = None
    redis: ThrowawayRedisPrefix | None = None
    if request.param == "sqlite":
        data = DataDir(root)
        await asyncio.to_thread(data.prepare)
        auth_url, projects_url = data.auth_url, data.projects_url
    else:
        pg, redis = ThrowawayPostgres(), ThrowawayRedisPrefix()
        await pg.check()
        await redis.check()
        auth_url, projects_url = await pg.create_migrated("live")
    auth_settings, projects_settings = embedded_settings(auth_url, projects_url, key, redis)
    app = create_embedded_app(
        auth_settings,
        projects_settings.model_copy(update=LIVE),
        mail=MailSettings(dir=root / "mail"),
    )
    try:
        async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
            mail_arrives(client, DirectoryMailbox(root / "mail"))
            yield Live(request.param, client)
    finally:
        if pg is not None:
            await pg.drop_all()
        if redis is not None:
            await redis.clean()


async def test_a_members_change_reaches_the_other_members_and_no_one_else(live: Live) -> None:
    api = live.client
    owner, outsider = await sign_up(api, "owner"), await sign_up(api, "outsider")
    workspace = await create_workspace(api, owner)
    teammate = await join(api, owner, workspace)
    project = await create_project_in(api, owner, workspace)
    async with (
        open_stream(api, teammate.access_token) as theirs,
        open_stream(api, outsider.access_token) as outsiders,
    ):
        assert theirs.status == 200
        await theirs.wait_for("ready", resumed=False)
        await outsiders.wait_for("ready")
        task = await create_task(api, owner, project["id"], "Ship it")
        created = await theirs.wait_for("task", id=task["id"], op="created")
        assert created.data == {
            "op": "created",
            "id": task["id"],
            "workspace_id": workspace,
            "project_id": project["id"],
            "task_id": task["id"],
            "version": task["version"],
        }
        assert created.id  # a position to resume from
        moved = await api.patch(
            f"/projects/{project['id']}/tasks/{task['id']}",
            json={"status": "in_progress"},
            headers=owner.headers,
        )
        changed = await theirs.wait_for("task", id=task["id"], op="changed")
        assert changed.data["version"] == moved.json()["version"]
        comment = await api.post(
            f"/projects/{project['id']}/tasks/{task['id']}/comments",
            json={"body": "On it"},
            headers=owner.headers,
        )
        await theirs.wait_for("comment", id=comment.json()["id"], task_id=task["id"])
        await api.delete(f"/projects/{project['id']}/tasks/{task['id']}", headers=owner.headers)
        await theirs.wait_for("task", id=task["id"], op="deleted")
        await api.patch(
            f"/projects/{project['id']}", json={"name": "Renamed"}, headers=owner.headers
        )
        await theirs.wait_for("project", id=project["id"], op="changed")
        # The outsider's stream carried none of it: only its own ready, and heartbeats.
        assert [e.event for e in outsiders.events] == ["ready"]


async def test_an_assignment_reaches_the_assignees_stream_as_a_notification_only(
    live: Live,
) -> None:
    api = live.client
    owner = await sign_up(api, "owner")
    workspace = await create_workspace(api, owner)
    assignee = await join(api, owner, workspace, tag="assignee")
    bystander = await join(api, owner, workspace, tag="bystander")
    project = await create_project_in(api, owner, workspace)
    async with (
        open_stream(api, assignee.access_token) as theirs,
        open_stream(api, owner.access_token) as actors,
        open_stream(api, bystander.access_token) as bystanders,
    ):
        for stream in (theirs, actors, bystanders):
            await stream.wait_for("ready")
        made = await api.post(
            f"/projects/{project['id']}/tasks",
            json={"title": "Yours", "assignees": [assignee.id]},
            headers=owner.headers,
        )
        assert made.status_code == 201, made.text
        heard = await theirs.wait_for("notification", op="created")
        assert heard.data["user_id"] == assignee.id
        assert "workspace_id" not in heard.data  # for one person, whatever the workspace
        listed = await api.get("/notifications", headers=assignee.headers)
        assert [n["id"] for n in listed.json()["items"] if n["kind"] == "assigned"] == [
            heard.data["id"]
        ]
        # A later change, heard by all three: what came before it has arrived too.
        later = await create_task(api, owner, project["id"], "Later")
        for stream in (theirs, actors, bystanders):
            await stream.wait_for("task", id=later["id"], op="created")
        assert actors.of("notification") == []
        assert bystanders.of("notification") == []
        assert len(theirs.of("notification")) == 1


async def test_a_removed_member_hears_it_then_nothing_more(live: Live) -> None:
    api = live.client
    owner = await sign_up(api, "owner")
    workspace = await create_workspace(api, owner)
    leaving = await join(api, owner, workspace)
    project = await create_project_in(api, owner, workspace)
    async with open_stream(api, leaving.access_token) as stream:
        await stream.wait_for("ready")
        await create_task(api, owner, project["id"], "Before")
        await stream.wait_for("task", op="created")
        removed = await api.delete(
            f"/workspaces/{workspace}/members/{leaving.id}", headers=owner.headers
        )
        assert removed.status_code == 204, removed.text
        ended = await stream.wait_for("membership", user_id=leaving.id, role=None)
        assert ended.data["op"] == "deleted"
        assert ended.data["workspace_id"] == workspace
        after = await create_task(api, owner, project["id"], "After")
        # A member who stayed would hear of it: the owner's own stream is the witness.
        async with open_stream(api, owner.access_token) as owners:
            await owners.wait_for("ready")
            await api.patch(
                f"/projects/{project['id']}/tasks/{after['id']}",
                json={"title": "After, changed"},
                headers=owner.headers,
            )
            await owners.wait_for("task", id=after["id"], op="changed")
        assert not stream.of("task", id=after["id"])


async def test_a_new_member_starts_hearing_the_workspace(live: Live) -> None:
    api = live.client
    owner = await sign_up(api, "owner")
    workspace = await create_workspace(api, owner)
    project = await create_project_in(api, owner, workspace)
    newcomer = await sign_up(api, "newcomer")
    async with open_stream(api, newcomer.access_token) as stream:
        await stream.wait_for("ready")
        invitation = await api.post(
            f"/workspaces/{workspace}/invitations",
            json={"email": newcomer.email, "role": "viewer"},
            headers=owner.headers,
        )
        accepted = await accept(api, newcomer, invitation.json()["token"])
        assert accepted.status_code == 200, accepted.text
        await stream.wait_for("membership", user_id=newcomer.id, role="viewer")
        task = await create_task(api, owner, project["id"])
        await stream.wait_for("task", id=task["id"], op="created")


async def test_a_reconnect_replays_what_it_missed(live: Live) -> None:
    api = live.client
    owner = await sign_up(api, "owner")
    project = await create_project(api, owner)
    async with open_stream(api, owner.access_token) as first:
        ready = await first.wait_for("ready")
    missed = [await create_task(api, owner, project["id"], f"Missed {i}") for i in range(3)]
    async with open_stream(api, owner.access_token, last_event_id=ready.id) as again:
        resumed = await again.wait_for("ready")
        assert resumed.data == {"resumed": True}
        replayed = [e.data["id"] for e in again.of("task", op="created")]
        assert replayed == [t["id"] for t in missed]
        # Replayed before `ready`, in order, then live ones follow.
        assert again.events.index(resumed) == len(again.events) - 1
        live_one = await create_task(api, owner, project["id"], "Live")
        await again.wait_for("task", id=live_one["id"])


@pytest.mark.parametrize("position", ["1-1", "9999999999999-0", "not-a-position"])
async def test_a_gap_that_cannot_be_replayed_says_refetch(live: Live, position: str) -> None:
    api = live.client
    owner = await sign_up(api, "owner")
    async with open_stream(api, owner.access_token, last_event_id=position) as stream:
        reset = await stream.wait_for("reset")
        assert reset.data == {"reason": "gap"}
        ready = await stream.wait_for("ready")
        assert ready.data == {"resumed": False}
        assert stream.events[0] == reset


async def test_a_person_holds_a_few_streams_and_no_more(live: Live) -> None:
    api = live.client
    owner = await sign_up(api, "owner")
    async with (
        open_stream(api, owner.access_token) as one,
        open_stream(api, owner.access_token) as two,
        open_stream(api, owner.access_token) as three,
    ):
        for stream in (one, two, three):
            assert stream.status == 200
        refused = await api.get("/events/stream", headers=owner.headers)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/too_many_streams")
        assert int(refused.headers["Retry-After"]) > 0

    # Closed streams give their slots back.
    async def opens() -> bool:
        async with open_stream(api, owner.access_token) as stream:
            return stream.status == 200

    await eventually(opens, message="the closed streams kept their slots")


async def test_an_ended_session_ends_its_streams(live: Live) -> None:
    api = live.client
    owner = await sign_up(api, "owner")
    async with open_stream(api, owner.access_token) as stream:
        await stream.wait_for("ready")
        out = await api.post("/auth/logout", headers=owner.headers)
        assert out.status_code in (200, 204), out.text
        ended = await stream.wait_for("end")
        assert ended.data == {"reason": "session_ended"}
        await eventually(lambda: stream.ended, message="the stream stayed open")


async def test_a_stream_needs_a_bearer_token(live: Live) -> None:
    api = live.client
    owner = await sign_up(api, "owner")
    bare = await api.get("/events/stream")
    assert bare.status_code == 401
    in_url = await api.get(f"/events/stream?access_token={owner.access_token}")
    assert in_url.status_code == 401


async def test_an_idle_stream_carries_heartbeats(live: Live) -> None:
    api = live.client
    owner = await sign_up(api, "owner")
    seen: list[str] = []
    async with api.stream("GET", "/events/stream", headers=owner.headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-accel-buffering"] == "no"
        async for line in response.aiter_lines():
            seen.append(line)
            if sum(line.startswith(": ping") for line in seen) >= 2:
                break
    assert "retry: 2000" in seen


async def test_streams_are_counted_but_kept_out_of_request_latency(live: Live) -> None:
    """A stream lasts minutes: in the latency histogram it would read as the slowest
    requests and set off the p99 alert."""
    api = live.client
    owner = await sign_up(api, "owner")
    async with open_stream(api, owner.access_token) as stream:
        await stream.wait_for("ready")

    def series(text: str, name: str) -> list[str]:
        return [
            line
            for line in text.splitlines()
            if line.startswith(name) and 'route="/events/stream"' in line
        ]

    async def counted() -> bool:
        text = (await api.get("/metrics")).text
        return bool(series(text, "http_requests_total{"))

    await eventually(counted, message="the stream's request was never counted")
    text = (await api.get("/metrics")).text
    # Refusals (401, 429) are quick answers like any other and are measured; streams not.
    streamed = [
        line
        for line in series(text, "http_request_duration_seconds_bucket{")
        if 'status="200"' in line
    ]
    assert streamed == []

    async def none_open() -> bool:
        # Every stream of this module is closed by now: none is counted as open.
        text = (await api.get("/metrics")).text
        return "live_streams_open 0.0" in text.splitlines()

    await eventually(none_open, message="closed streams are still counted as open")
