"""The floor: the projects service's cached reads with only the work they cannot skip.

For GET /projects, GET /projects/{id} and GET /projects/{id}/tasks it does what a cache
hit of the service must do and nothing else: read the bearer token, verify it once (ES256,
keys from the auth service's JWKS) and remember it, then one Redis round trip (a Lua
script run with EVALSHA) for the session, the scopes' generations and the cached entry
(for a project's reads also the caller's `acl`), check the role, and answer the bytes.
It reads the keys the service writes (projects/cache.py, infra/sessions.py), so after the
service filled its cache the floor answers the same bodies. A session key the cache no
longer holds (auth keeps one a minute) is asked of auth's /auth/validate, as the service
does; anything else that is not a hit answers 404 (401 for a bad token or an ended
session): only the hit path is measured.

Served by the same server and worker count as the service, it is the most the service's
cached reads can do on this machine; the service's figures are ratios of it.

    python -m bench.floor --server uvicorn --workers 2 --port 8091 \
        --jwks-url http://127.0.0.1:8001/auth/.well-known/jwks.json --cache-prefix pc:
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, urljoin

from starlette.types import Receive, Scope, Send

from projectconnect.infra.cache import redis_client
from projectconnect.infra.pagination import DEFAULT_PAGE_SIZE
from projectconnect.infra.sessions import AuthValidation, SessionCheckUnavailable
from projectconnect.infra.tokens import (
    DEFAULT_AUDIENCE,
    AccessClaims,
    InvalidToken,
    RemoteKeySource,
    TokenVerifier,
)
from projectconnect.servers import Server, run

# The session, the person's generation, then their page under that generation.
LIST_SCRIPT = """
local session = redis.call('GET', KEYS[1])
local generation = redis.call('GET', KEYS[2])
if not generation or string.sub(generation, 1, 1) == '~' then
  return {session, generation}
end
return {session, generation, redis.call('GET', ARGV[1] .. generation .. ARGV[2])}
"""
# The session, the person's and the project's generations, then the person's acl and
# the project's entry under them.
PROJECT_SCRIPT = """
local session = redis.call('GET', KEYS[1])
local person = redis.call('GET', KEYS[2])
local project = redis.call('GET', KEYS[3])
if not person or not project or string.sub(person, 1, 1) == '~'
    or string.sub(project, 1, 1) == '~' then
  return {session, person, project}
end
local found = redis.call('MGET', ARGV[1] .. person .. ':acl', ARGV[2] .. project .. ARGV[3])
return {session, person, project, found[1], found[2]}
"""
LEEWAY = 5.0  # TokenVerifier's
# Longer than the service's 50 ms: a late answer from a busy machine is not a miss, and the
# floor measures the work of a hit, not what a timeout costs.
REDIS_TIMEOUT = 1.0
REMEMBER = 10_000
DEFAULT_TASKS = "tasks"  # TaskQuery.cache_key() of the default list
DEFAULT_PROJECTS = "list:*"  # ProjectQuery.cache_key("list:*") of the default list


class Caller:
    """A verified token's keys, computed once: what every later request of it needs."""

    __slots__ = ("active", "claims", "expires", "person", "person_gen", "session", "token")

    def __init__(self, prefix: str, token: str, claims: AccessClaims) -> None:
        user_id = claims.subject
        self.token = token
        self.claims = claims
        self.session = f"{prefix}session:{claims.session_id}"
        self.active = b"active:" + str(user_id).encode()
        self.person = f"{prefix}person:{user_id}:"
        self.person_gen = f"{prefix}person:{user_id}:gen"
        self.expires = claims.expires_at.timestamp() + LEEWAY


class Miss(Exception):
    def __init__(self, status: int, reason: bytes) -> None:
        self.status = status
        self.reason = reason


def _page_key(listing: str, query: bytes) -> str:
    """`{listing}:{limit}:{cursor}`, as PageView.key; the default page without a query."""
    if not query:
        return f"{listing}:{DEFAULT_PAGE_SIZE}:"
    limit, cursor = DEFAULT_PAGE_SIZE, ""
    for name, value in parse_qsl(query.decode("latin-1")):
        if name == "limit" and value.isdigit():
            limit = int(value)
        elif name == "cursor":
            cursor = value
        else:
            raise Miss(404, b"the floor serves the default lists only")
    return f"{listing}:{limit}:{cursor}"


def _role(acl: bytes, workspace: bytes) -> bytes | None:
    """The role `acl` (encode_acl's lines `workspace=role`) gives in `workspace`."""
    start = acl.find(workspace + b"=")
    while start > 0 and acl[start - 1] != 10:  # not at a line's start: look further
        start = acl.find(workspace + b"=", start + 1)
    if start < 0:
        return None
    end = acl.find(b"\n", start)
    return acl[start + len(workspace) + 1 : end if end >= 0 else len(acl)]


class Floor:
    def __init__(
        self, redis_url: str, prefix: str, verifier: TokenVerifier, sessions: AuthValidation
    ) -> None:
        self.prefix = prefix
        self.verifier = verifier
        self.sessions = sessions
        self.client = redis_client(redis_url, timeout=REDIS_TIMEOUT)
        self.list_script = self.client.register_script(LIST_SCRIPT)
        self.project_script = self.client.register_script(PROJECT_SCRIPT)
        self.callers: dict[bytes, Caller] = {}

    async def caller(self, authorization: bytes | None) -> Caller:
        if authorization is None or authorization[:7].lower() != b"bearer ":
            raise Miss(401, b"no bearer token")
        token = authorization[7:]
        caller = self.callers.get(token)
        if caller is not None and time.time() < caller.expires:
            return caller
        text = token.decode("latin-1")
        try:
            claims = await self.verifier.verify(text)
        except InvalidToken as exc:
            raise Miss(401, b"invalid token") from exc
        caller = Caller(self.prefix, text, claims)
        self.callers[token] = caller
        if len(self.callers) > REMEMBER:
            del self.callers[next(iter(self.callers))]
        return caller

    async def _check_session(self, caller: Caller, session: bytes | None) -> None:
        """As SharedCacheSessions: the cached status, else auth's answer (which caches it:
        the auth service keeps an active session's key for a minute)."""
        if session == caller.active:
            return
        if session is None:
            try:
                if await self.sessions.is_active(caller.token, caller.claims):
                    return
            except SessionCheckUnavailable as exc:
                raise Miss(503, b"session check unavailable") from exc
        raise Miss(401, b"session ended")

    async def projects(self, caller: Caller, query: bytes) -> bytes:
        view = ":" + _page_key(DEFAULT_PROJECTS, query)
        found: list[Any] = await self.list_script(
            keys=[caller.session, caller.person_gen], args=[caller.person, view]
        )
        await self._check_session(caller, found[0])
        if len(found) < 3 or found[2] is None:
            raise Miss(404, b"not cached")
        page: bytes = found[2]
        return page

    async def project_entry(
        self, caller: Caller, project_id: str, view: str
    ) -> tuple[bytes, bytes]:
        """The shared body of one of the project's reads and the caller's role there."""
        try:
            pid = str(uuid.UUID(project_id))
        except ValueError as exc:
            raise Miss(404, b"no such project") from exc
        project = f"{self.prefix}project:{pid}:"
        found: list[Any] = await self.project_script(
            keys=[caller.session, caller.person_gen, project + "gen"],
            args=[caller.person, project, ":" + view],
        )
        await self._check_session(caller, found[0])
        if len(found) < 5 or found[3] is None or found[4] is None:
            raise Miss(404, b"not cached")
        workspace, _, body = found[4].partition(b"\n")
        role = _role(found[3], workspace)
        if role is None:
            raise Miss(404, b"no such project")
        return body, role

    async def project(self, caller: Caller, project_id: str) -> bytes:
        body, role = await self.project_entry(caller, project_id, "project")
        return body[:-1] + b',"my_role":"' + role + b'"}'  # api.with_role

    async def tasks(self, caller: Caller, project_id: str, query: bytes) -> bytes:
        body, _ = await self.project_entry(caller, project_id, _page_key(DEFAULT_TASKS, query))
        return body

    async def answer(self, scope: Scope) -> bytes:
        if scope["method"] != "GET":
            raise Miss(405, b"reads only")
        if scope["path"] == "/ready":
            return b"{}"
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
                break
        caller = await self.caller(authorization)
        path: str = scope["path"]
        query: bytes = scope["query_string"]
        if path == "/projects":
            return await self.projects(caller, query)
        if path.startswith("/projects/"):
            project_id, _, rest = path[10:].partition("/")
            if rest == "" and not query:
                return await self.project(caller, project_id)
            if rest == "tasks":
                return await self.tasks(caller, project_id, query)
        raise Miss(404, b"not a floor path")


def _start(status: int, length: int) -> dict[str, object]:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(length).encode())]
    return {"type": "http.response.start", "status": status, "headers": headers}


def app() -> object:
    """The ASGI application factory the servers load, configured as the service is:
    REDIS_URL, CACHE_PREFIX, JWKS_URL and PROJECTS_TOKEN_AUDIENCE."""
    jwks_url = os.environ["JWKS_URL"]
    keys = RemoteKeySource(jwks_url)
    audience = os.environ.get("PROJECTS_TOKEN_AUDIENCE", DEFAULT_AUDIENCE)
    floor = Floor(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        os.environ.get("CACHE_PREFIX", "pc:"),
        TokenVerifier(keys, audience=audience),
        # …/auth/.well-known/jwks.json → …/auth/validate, as the service finds it
        AuthValidation(urljoin(jwks_url, "../validate"), timeout=1.0),
    )

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await floor.client.aclose()
            await floor.sessions.close()
            await send({"type": "lifespan.shutdown.complete"})
            return
        try:
            body = await floor.answer(scope)
            status = 200
        except Miss as miss:
            body = b'{"floor":"' + miss.reason + b'"}'
            status = miss.status
        await send(_start(status, len(body)))
        await send({"type": "http.response.body", "body": body})

    return endpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", type=Server, default=Server.uvicorn)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--jwks-url", default=os.environ.get("JWKS_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--cache-prefix", default=os.environ.get("CACHE_PREFIX", "pc:"))
    args = parser.parse_args()
    if not args.jwks_url:
        parser.error("--jwks-url (or JWKS_URL) is required")
    os.environ["JWKS_URL"] = args.jwks_url
    os.environ["CACHE_PREFIX"] = args.cache_prefix
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    run("bench.floor:app", server=args.server, host=args.host, port=args.port, workers=args.workers)


if __name__ == "__main__":
    main()
