"""The projects service learns each account's name and email from auth's events, everywhere."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from projectconnect.projects.models import Person
from tests.conftest import Backend
from tests.support.accounts import sign_up
from tests.support.waiting import eventually


async def _person(url: str, user_id: uuid.UUID) -> tuple[str | None, str, int] | None:
    """What the projects database's directory holds for the user, looked at from behind."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    select(Person.display_name, Person.email, Person.profile_version).where(
                        Person.user_id == user_id
                    )
                )
            ).first()
    finally:
        await engine.dispose()
    return None if row is None else (row[0], row[1], row[2])


async def test_a_new_display_name_reaches_the_projects_directory(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    ann = await sign_up(api, "ann")
    assert backend.projects_url is not None
    projects_url, user_id = backend.projects_url, uuid.UUID(ann.id)
    # Embedded mode hands events over in-process at commit; across processes RabbitMQ sits
    # in between, on a machine that may be loaded.
    within = 30.0 if backend.name == "processes" else 1.0

    # The same name twice is no change: no new version, no event; the next one is version 4.
    renames = ((2, "Ann Aardvark"), (3, "Ann Zebra"), (3, "Ann Zebra"), (4, "Ann Final"))
    for version, name in renames:
        renamed = await api.patch("/auth/me", json={"display_name": name}, headers=ann.headers)
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["display_name"] == name

        async def renamed_in_directory(
            expected: tuple[str, str, int] = (name, ann.email, version),
        ) -> bool:
            return await _person(projects_url, user_id) == expected

        await eventually(
            renamed_in_directory, within=within, message=f"the directory does not say {name!r}"
        )

    deleted = await api.request(
        "DELETE", "/auth/me", json={"password": ann.password}, headers=ann.headers
    )
    assert deleted.status_code == 204

    async def forgotten() -> bool:
        return await _person(projects_url, user_id) is None

    await eventually(forgotten, within=within, message="the deleted account is still listed")


async def test_after_concurrent_renames_the_directory_agrees_with_auth(
    api: httpx.AsyncClient, backend: Backend
) -> None:
    ann = await sign_up(api, "ann")
    assert backend.projects_url is not None
    projects_url, user_id = backend.projects_url, uuid.UUID(ann.id)
    names = [f"Ann {n}" for n in range(6)]
    answers = await asyncio.gather(
        *(api.patch("/auth/me", json={"display_name": n}, headers=ann.headers) for n in names)
    )
    assert [a.status_code for a in answers] == [200] * len(names)
    me = await api.get("/auth/me", headers=ann.headers)
    final = me.json()["display_name"]
    assert final in names

    # Each rename got its own version, in commit order: the last one committed wins there too.
    async def agrees() -> bool:
        return await _person(projects_url, user_id) == (final, ann.email, len(names) + 1)

    within = 30.0 if backend.name == "processes" else 5.0
    await eventually(agrees, within=within, message="the directory and auth disagree")
