"""The hottest cached reads, answered ahead of the framework in one round trip to the cache.

A hit of a page of the caller's projects, of a project, or of a page of its tasks needs the
bearer token verified (the verifier remembers tokens it passed), the session confirmed
active, and the entry under its scope's current generation (with the caller's memberships,
for a project's entries). The session key, the generations and the entries come back from
one `fetch`, so such a request costs one cache round trip and none of FastAPI's routing,
dependency resolution, validation and middleware: these are fast paths, tried by the
app's front door (infra/frontdoor.py) before the framework.

Everything else is declined, and the request goes on to its route as if this did not
exist: a query this module is not sure it reads exactly as the route would, a token it
cannot verify, a session the fetched key does not confirm, an entry that is not there, a
workspace the cached memberships give no role in. The routes stay the authority on every
answer (401, 404, 422, 503, the database); this only repeats their hits, under the keys
they stored them, so what the two answer cannot differ.

The session key lives in the same cache backend as the read cache (one Redis, one prefix);
in the embedded mode there is none to fetch, and the in-process session check is asked.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from typing import get_args
from urllib.parse import parse_qsl

from starlette.types import Scope

from projectconnect.infra.frontdoor import Answer
from projectconnect.infra.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from projectconnect.infra.security import bearer_of
from projectconnect.infra.sessions import TokenSessions
from projectconnect.infra.tokens import InvalidToken, TokenVerifier
from projectconnect.projects.api import JSON, with_role
from projectconnect.projects.cache import (
    PageView,
    ReadCache,
    canonical_id,
    person_scope,
    project_scope,
    role_for,
)
from projectconnect.projects.listing import Order, ProjectQuery, ProjectSort, TaskQuery, TaskSort

PROJECT_SORTS = frozenset(get_args(ProjectSort))
TASK_SORTS = frozenset(get_args(TaskSort))
ORDERS = frozenset(get_args(Order))
BOOLEANS = {"true": True, "false": False}
MAX_CURSOR = 512
MAX_WORKSPACE = 64
JSON_HEADERS = ((b"content-type", JSON.encode()),)

Views = list[tuple[str, str]]
# What a read asks of the cache for a caller (None: decline), and what it makes of the
# entries found (None: decline).
Plan = tuple[Views, Callable[[list[bytes | None]], bytes | None]]
Planner = Callable[[uuid.UUID, dict[str, str], dict[str, str]], Plan | None]


def _query(scope: Scope, names: frozenset[str]) -> dict[str, str] | None:
    """The query's parameters when each is one of `names`, given once and not blank."""
    raw: bytes = scope["query_string"]
    if not raw:
        return {}
    found: dict[str, str] = {}
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if name not in names or name in found or not value:
            return None
        found[name] = value
    return found


def _page(query: dict[str, str], listing: str | None) -> PageView | None:
    """The page `limit` and `cursor` name, when they read exactly as the route reads them."""
    if listing is None:
        return None
    limit = query.get("limit")
    if limit is not None and not (limit.isascii() and limit.isdigit()):
        return None
    size = int(limit) if limit is not None else DEFAULT_PAGE_SIZE
    cursor = query.get("cursor")
    if not 1 <= size <= MAX_PAGE_SIZE or (cursor is not None and len(cursor) > MAX_CURSOR):
        return None
    return PageView(listing, size, cursor)


def _role_in(acl: bytes | None, entry: bytes | None) -> tuple[str, bytes] | None:
    """The caller's role in a shared entry's workspace, with the entry's body; None when
    either is missing or they are not a member (the route answers that)."""
    if acl is None or entry is None:
        return None
    role, body = role_for(acl, entry)
    return (role, body) if role is not None else None


PROJECT_LIST = frozenset({"limit", "cursor", "sort", "archived", "workspace"})


def plan_project_list(caller: uuid.UUID, _: dict[str, str], query: dict[str, str]) -> Plan | None:
    """GET /projects: a page of the caller's lists, from their view."""
    sort = query.get("sort", "created")
    archived = BOOLEANS.get(query.get("archived", "false"))
    if sort not in PROJECT_SORTS or archived is None:
        return None
    workspace = query.get("workspace")
    if workspace is None:
        listing = "list:*"
    elif len(workspace) <= MAX_WORKSPACE and (key := canonical_id(workspace)) is not None:
        listing = f"list:{key}"
    else:
        return None
    page = _page(query, ProjectQuery.parse(sort=sort, archived=archived).cache_key(listing))
    if page is None:
        return None
    return [(person_scope(caller), page.key)], lambda entries: entries[0]


def plan_project(caller: uuid.UUID, path: dict[str, str], query: dict[str, str]) -> Plan | None:
    """GET /projects/{project_id}: the shared entry, made the caller's by their role."""
    project = canonical_id(path["project_id"])
    if project is None or query:
        return None

    def answer(entries: list[bytes | None]) -> bytes | None:
        found = _role_in(*entries)
        return with_role(found[1], found[0]) if found is not None else None

    return [
        (person_scope(caller), "acl"),
        (project_scope(uuid.UUID(project)), "project"),
    ], answer


TASK_LIST = frozenset({"limit", "cursor", "sort", "order"})


def plan_task_list(caller: uuid.UUID, path: dict[str, str], query: dict[str, str]) -> Plan | None:
    """GET /projects/{project_id}/tasks, unfiltered: the shared page, to a member."""
    project = canonical_id(path["project_id"])
    sort = query.get("sort", "created")
    order = query.get("order")
    if project is None or sort not in TASK_SORTS or (order is not None and order not in ORDERS):
        return None
    page = _page(query, TaskQuery.parse(caller, sort=sort, order=order).cache_key())
    if page is None:
        return None

    def answer(entries: list[bytes | None]) -> bytes | None:
        found = _role_in(*entries)
        return found[1] if found is not None else None

    return [
        (person_scope(caller), "acl"),
        (project_scope(uuid.UUID(project)), page.key),
    ], answer


class FastRead:
    """GET `template` answered from the cache when it is a hit (a fast path, see
    infra/frontdoor.py); declined otherwise."""

    def __init__(
        self,
        template: str,
        pattern: str,
        names: frozenset[str],
        plan: Planner,
        reader: CachedReader,
    ) -> None:
        self.template = template  # the route's, as requests are counted by
        self.pattern = re.compile(pattern)
        self.names = names
        self.plan = plan
        self.reader = reader

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found is not None else None

    async def answer(self, scope: Scope, params: dict[str, str]) -> Answer | None:
        body = await self.reader.read(scope, params, self.names, self.plan)
        return Answer(body, JSON_HEADERS) if body is not None else None


class CachedReader:
    """Token, session and entries: what every fast read checks, in one place."""

    def __init__(self, verifier: TokenVerifier, sessions: TokenSessions, cache: ReadCache) -> None:
        self.verifier = verifier
        self.sessions = sessions
        self.cache = cache

    async def read(
        self, scope: Scope, params: dict[str, str], names: frozenset[str], planner: Planner
    ) -> bytes | None:
        token = bearer_of(scope)
        query = _query(scope, names)
        if token is None or query is None or not self.cache.enabled:
            return None
        try:
            claims = await self.verifier.verify(token)
        except InvalidToken:
            return None
        plan = planner(claims.subject, params, query)
        if plan is None:
            return None
        views, answer = plan
        key = self.sessions.shared_key(claims)
        also: Sequence[str] = (key,) if key is not None else ()
        # A cache that cannot answer reads as a miss (RedisCache._call): declined.
        values, entries = await self.cache.fetch(views, also=also)
        if key is not None:
            if not self.sessions.settled(claims, values[0]):
                return None
        elif not await self.sessions.is_active(token, claims):
            return None
        return answer(entries)


def fast_reads(reader: CachedReader) -> list[FastRead]:
    """The fast paths ahead of the API's routes: they decline to them what they cannot answer."""
    project = r"/projects/(?P<project_id>[^/]+)"
    return [
        FastRead("/projects", r"/projects", PROJECT_LIST, plan_project_list, reader),
        FastRead("/projects/{project_id}", project, frozenset(), plan_project, reader),
        FastRead(
            "/projects/{project_id}/tasks", project + "/tasks", TASK_LIST, plan_task_list, reader
        ),
    ]
