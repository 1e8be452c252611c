"""Random sequences of writes and reads against a model: reads always show the last write.

Runs the embedded app with its caches on the real Redis; every read happens twice so the
second one is a cache hit.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from collections.abc import Coroutine, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from asgi_lifespan import LifespanManager
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from projectconnect.devserver import DataDir, create_embedded_app
from tests.conftest import BASE_URL, embedded_settings
from tests.support.accounts import PASSWORD, unique_email
from tests.support.services import ThrowawayRedisPrefix

T = TypeVar("T")
PAGE = 3


class Harness:
    """One app on its own event loop thread for every example; each example a new owner."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.stack = AsyncExitStack()
        self.client: httpx.AsyncClient | None = None

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    async def start(self, data: DataDir, redis: ThrowawayRedisPrefix) -> None:
        auth_settings, projects_settings = embedded_settings(
            data.auth_url, data.projects_url, data.signing_key, redis
        )
        # Pages of 3, so a few projects make several pages, each of them cached.
        projects_settings = projects_settings.model_copy(
            update={"read_cache_page_sizes": frozenset({PAGE, 100})}
        )
        app = create_embedded_app(auth_settings, projects_settings, frontend_dir=None)
        manager = await self.stack.enter_async_context(LifespanManager(app))
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        self.client = await self.stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url=BASE_URL)
        )

    def close(self) -> None:
        self.run(self.stack.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


HARNESS: Harness | None = None


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    global HARNESS
    redis = ThrowawayRedisPrefix()
    root = Path(tempfile.mkdtemp())
    data = DataDir(root)
    data.prepare()
    HARNESS = harness = Harness()
    try:
        harness.run(redis.check())
        harness.run(harness.start(data, redis))
        yield harness
    finally:
        HARNESS = None
        harness.run(redis.clean())
        harness.close()
        shutil.rmtree(root)


@dataclass
class ModelTask:
    title: str
    done: bool = False


@dataclass
class ModelProject:
    name: str
    tasks: dict[str, ModelTask] = field(default_factory=dict)


names = st.text(alphabet="abcdefghij ", min_size=1, max_size=12).map(str.strip).filter(bool)


class ReadAfterWrite(RuleBasedStateMachine):
    projects = Bundle("projects")
    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        assert HARNESS is not None
        self.h = HARNESS
        self.model: dict[str, ModelProject] = {}
        email = unique_email("model")
        self.call("POST", "/auth/register", json={"email": email, "password": PASSWORD})
        tokens = self.call("POST", "/auth/login", json={"email": email, "password": PASSWORD})
        self.headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        assert self.h.client is not None
        response = self.h.run(
            self.h.client.request(method, path, headers=getattr(self, "headers", None), **kw)
        )
        assert response.status_code < 300, (method, path, response.text)
        return response

    @rule(target=projects, name=names)
    def create_project(self, name: str) -> str:
        pid: str = self.call("POST", "/projects", json={"name": name}).json()["id"]
        self.model[pid] = ModelProject(name)
        return pid

    @rule(pid=projects, name=names)
    def rename_project(self, pid: str, name: str) -> None:
        if pid in self.model:
            self.call("PATCH", f"/projects/{pid}", json={"name": name})
            self.model[pid].name = name

    @rule(pid=projects)
    def delete_project(self, pid: str) -> None:
        if pid in self.model:
            self.call("DELETE", f"/projects/{pid}")
            del self.model[pid]

    @rule(target=tasks, pid=projects, title=names)
    def create_task(self, pid: str, title: str) -> tuple[str, str]:
        if pid not in self.model:
            return (pid, "")
        tid: str = self.call("POST", f"/projects/{pid}/tasks", json={"title": title}).json()["id"]
        self.model[pid].tasks[tid] = ModelTask(title)
        return (pid, tid)

    @rule(task=tasks, done=st.booleans())
    def set_done(self, task: tuple[str, str], done: bool) -> None:
        pid, tid = task
        if pid in self.model and tid in self.model[pid].tasks:
            self.call("PATCH", f"/projects/{pid}/tasks/{tid}", json={"done": done})
            self.model[pid].tasks[tid].done = done

    @rule(task=tasks, title=names)
    def rename_task(self, task: tuple[str, str], title: str) -> None:
        pid, tid = task
        if pid in self.model and tid in self.model[pid].tasks:
            self.call("PATCH", f"/projects/{pid}/tasks/{tid}", json={"title": title})
            self.model[pid].tasks[tid].title = title

    @rule(task=tasks)
    def delete_task(self, task: tuple[str, str]) -> None:
        pid, tid = task
        if pid in self.model and tid in self.model[pid].tasks:
            self.call("DELETE", f"/projects/{pid}/tasks/{tid}")
            del self.model[pid].tasks[tid]

    def read_twice(self, path: str) -> Any:
        first = self.call("GET", path).json()
        second = self.call("GET", path)
        assert second.json() == first
        return first

    @invariant()
    def lists_show_the_last_write(self) -> None:
        seen: dict[str, tuple[str, int, int]] = {}
        path = f"/projects?limit={PAGE}"
        while path:
            page = self.read_twice(path)
            for item in page["items"]:
                seen[item["id"]] = (item["name"], item["task_count"], item["done_count"])
            cursor = page["next_cursor"]
            path = f"/projects?limit={PAGE}&cursor={cursor}" if cursor else ""
        expected = {
            pid: (p.name, len(p.tasks), sum(t.done for t in p.tasks.values()))
            for pid, p in self.model.items()
        }
        assert seen == expected

    @invariant()
    def projects_and_tasks_show_the_last_write(self) -> None:
        for pid, project in self.model.items():
            single = self.read_twice(f"/projects/{pid}")
            assert single["name"] == project.name
            items = self.read_twice(f"/projects/{pid}/tasks?limit=100")["items"]
            assert {t["id"]: (t["title"], t["done"]) for t in items} == {
                tid: (t.title, t.done) for tid, t in project.tasks.items()
            }


ReadAfterWrite.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.usefixtures("harness")
class TestReadAfterWrite(ReadAfterWrite.TestCase):  # type: ignore[misc,valid-type]
    pass
