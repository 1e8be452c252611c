"""The client side of the live-updates benchmark (bench/live.py): people, their open
streams, paced writes, and how late the client itself runs.

Every time is `time.perf_counter()` of this one process, so a notice's arrival and the
write that caused it are on the same clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email
import email.policy
import json
import re
import resource
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

import httpx

PASSWORD = "violet-kettle-orbit-42"  # noqa: S105 - throwaway accounts of a throwaway database
# Registrations and logins at once: argon2 runs cheap in the benchmark (bench/live.py).
SIGN_UP_CONCURRENCY = 8
# Times a setup request answered 503 is sent again.
SETUP_RETRIES = 10
# Streams being opened at once: each open reads the person's workspaces and the feed.
OPEN_CONCURRENCY = 25


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def _retried(send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """A setup request, sent again after its Retry-After while the service answers 503
    (a cache that cannot fence a write pauses changes for a moment), as a client would."""
    for _ in range(SETUP_RETRIES):
        response = await send()
        if response.status_code != 503:
            break
        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
    return response


def _ok(response: httpx.Response, *expected: int) -> dict[str, object]:
    if response.status_code not in expected:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    body: dict[str, object] = response.json() if response.content else {}
    return body


async def sign_up(api: httpx.AsyncClient, count: int, tag: str) -> list[Person]:
    """`count` new accounts through /auth/register and /auth/login, each with its token."""
    run = secrets.token_hex(3)
    limit = asyncio.Semaphore(SIGN_UP_CONCURRENCY)

    async def one(i: int) -> Person:
        email = f"live-{tag}-{run}-{i}@example.com"
        credentials = {"email": email, "password": PASSWORD}
        async with limit:
            registered = await _retried(lambda: api.post("/auth/register", json=credentials))
            user = _ok(registered, 201)
            tokens = _ok(await _retried(lambda: api.post("/auth/login", json=credentials)), 200)
        return Person(str(user["id"]), email, str(tokens["access_token"]))

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def verified(
    api: httpx.AsyncClient, people: Sequence[Person], mail_dir: Path, within: float = 120.0
) -> list[Person]:
    """`people` once each followed the confirmation link mailed at sign-up, with a new token
    that says so: accepting an invitation requires a verified email."""
    links = await _confirmation_tokens(mail_dir, {p.email for p in people}, within)
    limit = asyncio.Semaphore(SIGN_UP_CONCURRENCY)

    async def one(person: Person) -> Person:
        credentials = {"email": person.email, "password": PASSWORD}
        confirm = {"token": links[person.email]}
        async with limit:
            _ok(await _retried(lambda: api.post("/auth/email/verify", json=confirm)), 204)
            tokens = _ok(await _retried(lambda: api.post("/auth/login", json=credentials)), 200)
        return dataclasses.replace(person, token=str(tokens["access_token"]))

    return list(await asyncio.gather(*(one(p) for p in people)))


CONFIRMATION_LINK = re.compile(r"/verify-email\?token=([A-Za-z0-9_-]+)")


async def until(check: Callable[[], Awaitable[bool]], within: float, interval: float) -> bool:
    """Whether `check()` came true, asked every `interval` seconds for `within` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(interval)
    return True


async def _confirmation_tokens(
    mail_dir: Path, addresses: set[str], within: float
) -> dict[str, str]:
    """Each address's confirmation token, read from the .eml files the mailer writes."""
    found: dict[str, str] = {}
    read: set[Path] = set()

    async def all_arrived() -> bool:
        found.update(await asyncio.to_thread(_links_in_new_mail, mail_dir, read))
        return addresses <= found.keys()

    if not await until(all_arrived, within, interval=0.2):
        missing = sorted(addresses - found.keys())
        raise RuntimeError(f"no confirmation mail in {mail_dir} for {missing[:3]}")
    return {a: found[a] for a in addresses}


def _links_in_new_mail(mail_dir: Path, read: set[Path]) -> dict[str, str]:
    """Recipient → confirmation token of the messages not `read` yet (then marked read)."""
    links: dict[str, str] = {}
    for path in sorted(mail_dir.glob("*.eml")) if mail_dir.is_dir() else []:
        if path in read:
            continue
        read.add(path)
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain",))
        link = CONFIRMATION_LINK.search(body.get_content()) if body is not None else None
        if link is not None:
            links[parseaddr(str(message.get("To", "")))[1].lower()] = link.group(1)
    return links


async def team(
    api: httpx.AsyncClient, owner: Person, members: Sequence[Person], name: str
) -> tuple[str, str]:
    """A workspace of `owner`'s that `members` joined by invitation, and a project in it."""
    workspace = _ok(
        await _retried(lambda: api.post("/workspaces", json={"name": name}, headers=owner.headers)),
        201,
    )
    workspace_id = str(workspace["id"])
    project = _ok(
        await _retried(
            lambda: api.post(
                f"/workspaces/{workspace_id}/projects",
                json={"name": f"{name} project"},
                headers=owner.headers,
            )
        ),
        201,
    )
    limit = asyncio.Semaphore(SIGN_UP_CONCURRENCY)

    async def join(member: Person) -> None:
        async with limit:
            invitation = _ok(
                await _retried(
                    lambda: api.post(
                        f"/workspaces/{workspace_id}/invitations",
                        json={"email": member.email, "role": "member"},
                        headers=owner.headers,
                    )
                ),
                201,
            )
            accept = f"/invitations/{invitation['token']}/accept"
            _ok(await _retried(lambda: api.post(accept, headers=member.headers)), 200)

    await asyncio.gather(*(join(m) for m in members))
    return workspace_id, str(project["id"])


@dataclass
class Streams:
    """Open `GET /events/stream`s, read in the background; task notices timed on arrival.

    Like a browser's EventSource, a stream that ends or cannot be opened is opened again
    after the server's `retry:` (2 s) with the last id it received as `Last-Event-ID`, so
    what it missed is replayed (and arrives late); each such reconnect is counted."""

    client: httpx.AsyncClient
    retry_seconds: float = 2.0
    ready: int = 0
    # Why streams ended or could not open: "end <reason>", "<status> <problem>", errors.
    ends: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0
    heartbeats: int = 0
    events: Counter[str] = field(default_factory=Counter)
    # (task id, version) -> the arrival time of each copy received.
    arrivals: defaultdict[tuple[str, int | None], list[float]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _readers: list[asyncio.Task[None]] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def open(self) -> int:
        return sum(not r.done() for r in self._readers)

    async def open_for(self, people: Sequence[Person], within: float = 180.0) -> float:
        """One stream per entry of `people` (a person listed twice holds two); seconds taken
        until every one said `ready` once, or `within` (then `ready` says how many did; the
        others go on trying)."""
        started = time.perf_counter()
        limit = asyncio.Semaphore(OPEN_CONCURRENCY)
        waiting = []
        for person in people:
            opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._readers.append(asyncio.create_task(self._keep(person, opened, limit)))
            waiting.append(opened)
        await asyncio.wait(waiting, timeout=within)
        return time.perf_counter() - started

    async def _keep(
        self, person: Person, opened: asyncio.Future[None], limit: asyncio.Semaphore
    ) -> None:
        last_id: str | None = None
        await limit.acquire()
        try:
            while True:
                last_id = await self._read(person, last_id, opened, limit)
                self.reconnects += 1
                await asyncio.sleep(self.retry_seconds)
        finally:
            if not opened.done():
                limit.release()

    async def _read(
        self,
        person: Person,
        last_id: str | None,
        opened: asyncio.Future[None],
        limit: asyncio.Semaphore,
    ) -> str | None:
        """One connection, until it ends; the last event id it gave."""
        headers = {**person.headers, "Accept": "text/event-stream"}
        if last_id is not None:
            headers["Last-Event-ID"] = last_id
        try:
            async with self.client.stream(
                "GET", "/events/stream", headers=headers, timeout=httpx.Timeout(30, read=None)
            ) as response:
                if response.status_code != 200:
                    body = (await response.aread()).decode(errors="replace")
                    problem = json.loads(body).get("type", "") if body.startswith("{") else ""
                    self.ends[f"{response.status_code} {problem.rsplit('/', 1)[-1]}"] += 1
                    return last_id
                event, data, entry = "", "", ""
                async for line in response.aiter_lines():
                    if line:
                        if line.startswith(":"):
                            self.heartbeats += 1
                            continue
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "event":
                            event = value
                        elif name == "data":
                            data = value
                        elif name == "id":
                            entry = value
                        continue
                    last_id = entry or last_id
                    if event == "ready" and not opened.done():
                        self.ready += 1
                        opened.set_result(None)
                        limit.release()
                    elif event == "end":
                        self.ends[f"end {json.loads(data).get('reason')}"] += 1
                    elif data:
                        self._take(event, data, time.perf_counter())
                    event, data, entry = "", "", ""
                self.ends["closed"] += 1
        except httpx.HTTPError as exc:
            self.ends[type(exc).__name__] += 1
        return last_id

    def _take(self, event: str, data: str, arrived: float) -> None:
        self.events[event] += 1
        if event == "task":
            body = json.loads(data)
            self.arrivals[(body["id"], body.get("version"))].append(arrived)
            self._arrived.set()

    async def until(self, done: Callable[[], bool], within: float) -> None:
        """Wait for task notices until `done()` says so, or `within` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while not done():
                    self._arrived.clear()
                    await self._arrived.wait()

    async def close(self) -> None:
        for reader in self._readers:
            reader.cancel()
        for reader in self._readers:
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        self._readers.clear()
        self.ready = 0


@dataclass(frozen=True, slots=True)
class Write:
    kind: str  # "create" or "update"
    task_id: str  # "" when the write failed
    version: int
    sent: float
    answered: float
    # The status and problem type of a write that failed (none is retried).
    failure: str | None = None


async def paced_writes(
    api: httpx.AsyncClient, writer: Person, project_id: str, count: int, rate: float
) -> list[Write]:
    """`count` task writes at `rate` a second, one at a time: creates, and every other
    write an update of one of the tasks created (each announces one task notice)."""
    done: list[Write] = []
    created: list[str] = []
    path = f"/projects/{project_id}/tasks"
    started = time.perf_counter()
    for i in range(count):
        await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
        sent = time.perf_counter()
        title = {"title": f"Live write {i}"}
        try:
            if i % 2 == 1 and created:
                kind, task = "update", created[(i // 2) % len(created)]
                response = await api.patch(f"{path}/{task}", json=title, headers=writer.headers)
            else:
                kind = "create"
                response = await api.post(path, json=title, headers=writer.headers)
        except httpx.HTTPError as exc:
            # A connection the gateway closed under the request: its outcome is unknown.
            done.append(Write(kind, "", 0, sent, time.perf_counter(), type(exc).__name__))
            continue
        answered = time.perf_counter()
        if response.status_code not in (200, 201):
            problem = response.json().get("type", "") if response.content else ""
            failure = f"{response.status_code} {str(problem).rsplit('/', 1)[-1]}"
            done.append(Write(kind, "", 0, sent, answered, failure))
            continue
        body = response.json()
        if kind == "create":
            created.append(str(body["id"]))
        done.append(Write(kind, str(body["id"]), int(body["version"]), sent, answered))
    return done


class LoopLag:
    """How late this process's event loop wakes a 10 ms sleep: when the client itself is
    behind, its arrival times are late too."""

    def __init__(self, period: float = 0.01) -> None:
        self.period = period
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.period)
            self.lags.append(time.perf_counter() - before - self.period)

    def __enter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._watch())
        return self

    def __exit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()


def own_cpu_seconds() -> float:
    """User + system CPU of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
