"""The projects service learns each account's name and email from auth's events, everywhere."""

from __future__ import annotations

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

    for version, name in ((2, "Ann Aardvark"), (3, "Ann Zebra")):
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

    # The same name again is no change: no new version, no event.
    same = await api.patch("/auth/me", json={"display_name": "Ann Zebra"}, headers=ann.headers)
    assert same.status_code == 200

    deleted = await api.request(
        "DELETE", "/auth/me", json={"password": ann.password}, headers=ann.headers
    )
    assert deleted.status_code == 204

    async def forgotten() -> bool:
        return await _person(projects_url, user_id) is None

    await eventually(forgotten, within=within, message="the deleted account is still listed")
