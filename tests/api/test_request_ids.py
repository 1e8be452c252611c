"""Every response carries a request id: the caller's when well formed, a fresh one otherwise."""

from __future__ import annotations

import os

import httpx
import pytest

from projectconnect.infra.requestid import new_id


async def test_a_well_formed_request_id_is_kept(api: httpx.AsyncClient) -> None:
    response = await api.get("/projects", headers={"X-Request-ID": "trace-0123456789"})
    assert response.headers["X-Request-ID"] == "trace-0123456789"


@pytest.mark.parametrize("sent", ["short", "has space 123456", "x" * 129, "<script>alert</script>"])
async def test_a_malformed_request_id_is_replaced(api: httpx.AsyncClient, sent: str) -> None:
    response = await api.get("/auth/validate", headers={"X-Request-ID": sent})
    returned = response.headers["X-Request-ID"]
    assert returned != sent
    assert len(returned) == 32


async def test_requests_without_an_id_get_distinct_ones(api: httpx.AsyncClient) -> None:
    first = await api.get("/auth/.well-known/jwks.json")
    second = await api.get("/auth/.well-known/jwks.json")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_new_ids_are_distinct_in_a_forked_worker() -> None:
    mine = new_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its first id, then out
        os.write(write, new_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    theirs = os.read(read, 64).decode()
    assert len(mine) == len(theirs) == 32
    assert mine[:16] != theirs[:16]
    assert new_id() != mine
