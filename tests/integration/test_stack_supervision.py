"""`projectconnect stack` brings back a process that dies, and gives up on a crash loop."""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import uuid
from collections.abc import Awaitable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from projectconnect.infra.config import normalize_database_url
from projectconnect.projects.models import Project
from tests.support.accounts import create_project, sign_up
from tests.support.mail import DirectoryMailbox, mail_to, text_of
from tests.support.stack import StackProcess, running_stack
from tests.support.waiting import eventually, eventually_sync


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StackProcess]:
    with running_stack(tmp_path) as running:
        yield running


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def _projects_of(database: str, owner: str) -> int:
    engine = create_async_engine(normalize_database_url(database))
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                select(func.count())
                .select_from(Project)
                .where(Project.created_by == uuid.UUID(owner))
            )
        return int(count or 0)
    finally:
        await engine.dispose()


async def test_a_process_that_dies_is_restarted_alone_while_the_gateway_serves(
    stack: StackProcess,
) -> None:
    trust = ssl.create_default_context(cafile=str(stack.runtime / "tls" / "tls.crt"))
    async with httpx.AsyncClient(base_url=stack.https, verify=trust, timeout=10) as gateway:
        ann = await sign_up(gateway, "survivor")
        await create_project(gateway, ann, "Kept")
        statuses: list[int] = []
        done = asyncio.Event()

        async def keep_asking() -> None:
            while not done.is_set():
                response = await gateway.get("/projects", headers=ann.headers)
                statuses.append(response.status_code)
                await asyncio.sleep(0.05)  # a steady trickle of users, not a wait

        asking = asyncio.create_task(keep_asking())
        ports = stack.ports()
        for name, health in (
            ("projects-0", "/health/ready"),
            ("relay", "/metrics"),
            ("consumer", "/metrics"),
            ("mailer", "/metrics"),
        ):
            before = stack.pids()[name]
            os.kill(before, signal.SIGKILL)
            await eventually(lambda: stack.pids()[name] != before, within=60)  # noqa: B023
            url = f"http://127.0.0.1:{ports[name]}{health}"
            await eventually(lambda: _answers(url), within=60)  # noqa: B023
            assert not _alive(before)
        done.set()
        await asking
        assert stack.process.poll() is None, stack.text()
        assert statuses, "no request went through the gateway"
        assert set(statuses) == {200}, statuses

        # The restarted relay and consumer carry an account deletion through.
        bob = await sign_up(gateway, "leaver")
        await create_project(gateway, bob, "Gone")
        deleted = await gateway.request(
            "DELETE", "/auth/me", json={"password": bob.password}, headers=bob.headers
        )
        assert deleted.status_code == 204
        await eventually(lambda: _is_zero(_projects_of(stack.projects_database, bob.id)), within=60)

        # The restarted relay and mailer carry a password reset's mail through, its link
        # leading to the gateway.
        forgot = await gateway.post("/auth/password/forgot", json={"email": ann.email})
        assert forgot.status_code == 202
        mail = await mail_to(DirectoryMailbox(stack.runtime / "mail"), ann.email, within=60)
        assert f"{stack.https}/reset-password?token=" in text_of(mail)
    assert "restarted" in stack.text()


async def _is_zero(count: Awaitable[int]) -> bool:
    return await count == 0


def test_a_process_that_keeps_dying_makes_the_stack_give_up(tmp_path: Path) -> None:
    with running_stack(tmp_path, "--max-restarts", "2", replicas=1) as stack:
        started = stack.pids()
        # Without its signing key an auth replica refuses to start: every restart fails.
        (stack.runtime / "signing-key.pem").unlink()
        os.kill(started["auth-0"], signal.SIGKILL)
        eventually_sync(lambda: stack.process.poll() is not None, within=120)
        assert stack.process.returncode == 1, stack.text()
        text = stack.text()
        assert "CRASH LOOP?" in text
        assert "giving up: auth-0" in text
        for name, pid in stack.pids().items():
            assert not _alive(pid), f"{name} (pid {pid}) outlived the stack"
