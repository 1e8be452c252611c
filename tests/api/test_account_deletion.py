"""Deleting an account removes the user's projects and tasks, through the outbox and the bus."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from projectconnect.projects.models import Project, Task
from tests.conftest import Backend
from tests.support.accounts import create_project, create_task, sign_up
from tests.support.waiting import eventually


async def _owned_rows(url: str, owner: uuid.UUID) -> tuple[int, int]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            projects = await connection.scalar(
                select(func.count()).select_from(Project).where(Project.created_by == owner)
            )
            tasks = await connection.scalar(
                select(func.count()).select_from(Task).where(Task.created_by == owner)
            )
        return int(projects or 0), int(tasks or 0)
    finally:
        await engine.dispose()


async def test_deleting_an_account_removes_its_projects_and_tasks(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    ann = await sign_up(api, "ann")
    bob = await sign_up(api, "bob")
    for name in ("One", "Two"):
        project = await create_project(api, ann, name)
        await create_task(api, ann, project["id"])
    kept = await create_project(api, bob, "Bob's")
    assert backend.projects_url is not None
    owner = uuid.UUID(ann.id)
    assert await _owned_rows(backend.projects_url, owner) == (2, 2)

    deleted = await api.request(
        "DELETE", "/auth/me", json={"password": ann.password}, headers=ann.headers
    )
    assert deleted.status_code == 204

    projects_url = backend.projects_url

    async def gone() -> bool:
        return await _owned_rows(projects_url, owner) == (0, 0)

    # Embedded mode promises well within a second; across processes the broker sits in
    # between. Both deadlines leave room for a loaded machine.
    within = 30.0 if backend.name == "processes" else 5.0
    await eventually(gone, within=within, message="the deleted account's rows are still there")

    # The deleted user's still-valid token cannot create anything that survives.
    late = await api.post("/projects", json={"name": "Late"}, headers=ann.headers)
    assert late.status_code == 401
    assert await _owned_rows(backend.projects_url, owner) == (0, 0)

    bobs = await api.get("/projects", headers=bob.headers)
    assert [p["id"] for p in bobs.json()["items"]] == [kept["id"]]
