"""Every call the harness makes to the public API, and how it reads the answers.

The one place to adapt when the API changes (paths, bodies, the shape of a project or a
task). Each call is logged with its status, or as unanswered, by the `RequestLog`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

# Longer than the gateway's own 30 s read timeout: its 504 is an answer worth counting.
CLIENT_TIMEOUT = 40.0
PAGE = 100


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a call came to: a status and body, or `status is None` when nothing answered."""

    status: int | None
    body: Any = None

    @property
    def acked(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def unknown(self) -> bool:
        """The write may or may not have happened: no answer, or a server or gateway error."""
        return self.status is None or self.status >= 500


@dataclass(frozen=True, slots=True)
class Request:
    operation: str
    status: int | None
    started: float
    ended: float
    # Sent as X-Request-ID: the gateway's access log tells which replica served it.
    request_id: str = ""


@dataclass
class RequestLog:
    """Every request the simulated users made, for the report's tables."""

    origin: float = field(default_factory=time.monotonic)
    requests: list[Request] = field(default_factory=list)

    def add(self, operation: str, status: int | None, started: float, request_id: str = "") -> None:
        self.requests.append(Request(operation, status, started, time.monotonic(), request_id))


@dataclass(frozen=True, slots=True)
class ProjectView:
    id: str
    name: str
    description: str | None
    task_count: int
    done_count: int


@dataclass(frozen=True, slots=True)
class TaskView:
    id: str
    title: str
    done: bool


def project_view(body: dict[str, Any]) -> ProjectView:
    return ProjectView(
        id=str(body["id"]),
        name=str(body["name"]),
        description=body.get("description"),
        task_count=int(body["task_count"]),
        done_count=int(body["done_count"]),
    )


def task_view(body: dict[str, Any]) -> TaskView:
    return TaskView(id=str(body["id"]), title=str(body["title"]), done=bool(body["done"]))


class Api:
    """The gateway's public contract, one method per call the users make."""

    def __init__(self, client: httpx.AsyncClient, log: RequestLog | None = None) -> None:
        self.client = client
        self.log = log

    async def call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: dict[str, Any] | None = None,
        params: dict[str, str | int] | None = None,
    ) -> Outcome:
        request_id = uuid.uuid4().hex
        headers = {"X-Request-ID": request_id}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.monotonic()
        try:
            response = await self.client.request(
                method, path, json=body, params=params, headers=headers
            )
        except httpx.HTTPError:
            if self.log is not None:
                self.log.add(operation, None, started, request_id)
            return Outcome(None)
        if self.log is not None:
            self.log.add(operation, response.status_code, started, request_id)
        try:
            payload = response.json() if response.content else None
        except ValueError:
            payload = None
        return Outcome(response.status_code, payload)

    # --- auth ---

    async def register(self, email: str, password: str, display_name: str) -> Outcome:
        body = {"email": email, "password": password, "display_name": display_name}
        return await self.call("register", "POST", "/auth/register", body=body)

    async def login(self, email: str, password: str) -> Outcome:
        body = {"email": email, "password": password}
        return await self.call("login", "POST", "/auth/login", body=body)

    async def refresh(self, refresh_token: str) -> Outcome:
        body = {"refresh_token": refresh_token}
        return await self.call("refresh", "POST", "/auth/refresh", body=body)

    async def me(self, token: str) -> Outcome:
        return await self.call("read me", "GET", "/auth/me", token=token)

    async def rename_me(self, token: str, display_name: str) -> Outcome:
        body = {"display_name": display_name}
        return await self.call("rename me", "PATCH", "/auth/me", token=token, body=body)

    async def change_password(self, token: str, current: str, new: str) -> Outcome:
        body = {"current_password": current, "new_password": new}
        return await self.call(
            "change password", "POST", "/auth/me/password", token=token, body=body
        )

    async def delete_me(self, token: str, password: str) -> Outcome:
        body = {"password": password}
        return await self.call("delete account", "DELETE", "/auth/me", token=token, body=body)

    # --- projects and tasks ---

    async def list_projects(self, token: str) -> Outcome:
        """Every project, following the cursor; the body is a list of `ProjectView`."""
        return await self._all_pages("list projects", "/projects", token, project_view)

    async def get_project(self, token: str, project_id: str) -> Outcome:
        outcome = await self.call("read project", "GET", f"/projects/{project_id}", token=token)
        return _mapped(outcome, project_view)

    async def create_project(self, token: str, name: str, description: str) -> Outcome:
        body = {"name": name, "description": description}
        outcome = await self.call("create project", "POST", "/projects", token=token, body=body)
        return _mapped(outcome, project_view)

    async def update_project(
        self, token: str, project_id: str, name: str, description: str
    ) -> Outcome:
        body = {"name": name, "description": description}
        path = f"/projects/{project_id}"
        return await self.call("update project", "PATCH", path, token=token, body=body)

    async def delete_project(self, token: str, project_id: str) -> Outcome:
        path = f"/projects/{project_id}"
        return await self.call("delete project", "DELETE", path, token=token)

    async def list_tasks(self, token: str, project_id: str) -> Outcome:
        """Every task of a project; the body is a list of `TaskView`."""
        path = f"/projects/{project_id}/tasks"
        return await self._all_pages("list tasks", path, token, task_view)

    async def create_task(self, token: str, project_id: str, title: str) -> Outcome:
        path = f"/projects/{project_id}/tasks"
        outcome = await self.call("create task", "POST", path, token=token, body={"title": title})
        return _mapped(outcome, task_view)

    async def update_task(
        self, token: str, project_id: str, task_id: str, body: dict[str, Any]
    ) -> Outcome:
        path = f"/projects/{project_id}/tasks/{task_id}"
        return await self.call("update task", "PATCH", path, token=token, body=body)

    async def delete_task(self, token: str, project_id: str, task_id: str) -> Outcome:
        path = f"/projects/{project_id}/tasks/{task_id}"
        return await self.call("delete task", "DELETE", path, token=token)

    async def _all_pages(self, operation: str, path: str, token: str, view: Any) -> Outcome:
        items: list[Any] = []
        params: dict[str, str | int] = {"limit": PAGE}
        while True:
            outcome = await self.call(operation, "GET", path, token=token, params=params)
            if outcome.status != 200:
                return outcome
            items += [view(item) for item in outcome.body["items"]]
            cursor = outcome.body.get("next_cursor")
            if not cursor:
                return Outcome(200, items)
            params = {"limit": PAGE, "cursor": cursor}


def _mapped(outcome: Outcome, view: Any) -> Outcome:
    if outcome.status in (200, 201) and isinstance(outcome.body, dict):
        return Outcome(outcome.status, view(outcome.body))
    return outcome
