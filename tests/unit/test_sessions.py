"""The session check's answers: the cache when it holds the session, else the source of
truth, and 503 (never "active") when no one can tell."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from projectconnect.infra.cache import CacheUnavailable, MemoryCache
from projectconnect.infra.sessions import (
    ACTIVE,
    REVOKED,
    AuthValidation,
    CachedSessionRegistry,
    SessionCache,
    SessionCheckUnavailable,
    SharedCacheSessions,
    session_key,
)
from projectconnect.infra.tokens import AccessClaims

URL = "http://auth.test/auth/validate"


def claims() -> AccessClaims:
    now = dt.datetime.now(dt.UTC)
    return AccessClaims(uuid.uuid4(), uuid.uuid4(), now + dt.timedelta(minutes=10), now)


class BrokenCache(MemoryCache):
    """A cache whose every look-up fails, as Redis behind an open breaker."""

    async def lookup(self, key: str) -> bytes | None:
        raise CacheUnavailable("down")


class Answers:
    """The auth service's validate, as a transport: one status for every request."""

    def __init__(self, status: int, body: object = None) -> None:
        self.status, self.body, self.calls = status, body, 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        assert request.headers["Authorization"] == "Bearer the-token"
        return httpx.Response(self.status, json=self.body)


def validation(answers: Answers) -> AuthValidation:
    return AuthValidation(URL, timeout=1, transport=httpx.MockTransport(answers))


@pytest.mark.parametrize(
    ("status", "same_session", "active"),
    [(200, True, True), (200, False, False), (401, True, False)],
)
async def test_auth_answers_active_only_for_this_token_s_session(
    status: int, same_session: bool, active: bool
) -> None:
    who = claims()
    sid = who.session_id if same_session else uuid.uuid4()
    body = {"sub": str(who.subject), "sid": str(sid), "exp": 0}
    assert await validation(Answers(status, body)).is_active("the-token", who) is active


@pytest.mark.parametrize(("status", "body"), [(500, {}), (502, None), (200, ["no", "fields"])])
async def test_an_auth_service_that_cannot_tell_is_a_503_then_left_alone(
    status: int, body: object
) -> None:
    answers = Answers(status, body)
    source = validation(answers)
    for _ in range(3):
        with pytest.raises(SessionCheckUnavailable) as raised:
            await source.is_active("the-token", claims())
        assert raised.value.status == 503
        assert raised.value.headers["Retry-After"] == "1"
    assert answers.calls == 1  # the breaker kept the next two away


async def test_an_unreachable_auth_service_is_a_503() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    source = AuthValidation(URL, timeout=1, transport=httpx.MockTransport(refuse))
    with pytest.raises(SessionCheckUnavailable):
        await source.is_active("the-token", claims())


async def test_a_connection_closed_while_kept_alive_is_asked_again_once() -> None:
    who = claims()
    calls = 0

    def stale_then_answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(200, json={"sub": str(who.subject), "sid": str(who.session_id)})

    source = AuthValidation(URL, timeout=1, transport=httpx.MockTransport(stale_then_answer))
    assert await source.is_active("the-token", who) is True
    assert calls == 2

    def always_closed(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    closed = AuthValidation(URL, timeout=1, transport=httpx.MockTransport(always_closed))
    with pytest.raises(SessionCheckUnavailable):
        await closed.is_active("the-token", who)


async def test_the_projects_side_believes_the_cache_and_asks_auth_for_the_rest() -> None:
    cache = MemoryCache()
    ann, bob, cid = claims(), claims(), claims()
    await cache.set(session_key(ann.session_id), REVOKED, 60)
    await cache.set(session_key(bob.session_id), ACTIVE + str(bob.subject).encode(), 60)
    unreachable = Answers(500)
    sessions = SharedCacheSessions(cache, validation(unreachable))
    assert await sessions.is_active("the-token", ann) is False
    assert await sessions.is_active("the-token", bob) is True
    assert unreachable.calls == 0  # a hit is the whole check
    with pytest.raises(SessionCheckUnavailable):
        await sessions.is_active("the-token", cid)  # a miss, and auth cannot tell

    ended = Answers(401)
    assert await SharedCacheSessions(cache, validation(ended)).is_active("the-token", cid) is False
    broken = SharedCacheSessions(BrokenCache(), validation(Answers(401)))
    assert await broken.is_active("the-token", bob) is False  # the cache failing is no "yes"


class Database:
    def __init__(self, active: bool) -> None:
        self.active, self.calls = active, 0

    async def is_active(self, claims: AccessClaims) -> bool:
        self.calls += 1
        return self.active


async def test_the_auth_side_asks_its_database_on_a_miss_or_a_cache_failure() -> None:
    who = claims()
    memory = MemoryCache()
    registry = CachedSessionRegistry(
        SessionCache(memory, active_ttl=60, revoked_ttl=60), Database(active=True)
    )
    assert await registry.is_active(who) is True
    assert await memory.get(session_key(who.session_id)) == ACTIVE + str(who.subject).encode()

    database = Database(active=False)
    broken = CachedSessionRegistry(
        SessionCache(BrokenCache(), active_ttl=60, revoked_ttl=60), database
    )
    assert await broken.is_active(who) is False
    assert database.calls == 1
