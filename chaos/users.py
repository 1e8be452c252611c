"""A simulated user: every kind of write, one at a time, each followed by a read of it.

Each user has an address of its own (127.0.1.N), as real users do, so the gateway's
per-address limits apply to each as they would in production.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from chaos.api import Api, Outcome, ProjectView, TaskView
from chaos.model import (
    AccountModel,
    Discrepancy,
    Known,
    ProjectModel,
    TaskModel,
    check_project,
    check_tasks,
)
from tests.support.waiting import until

MAX_PROJECTS = 6
MAX_TASKS = 10
# Seconds between attempts when the stack is down for a user who must get through (sign-up).
RETRY = 0.5


def strong_password() -> str:
    return secrets.token_urlsafe(18)


@dataclass
class StaleRead:
    at: float
    user: int
    kind: str
    detail: str


@dataclass
class DeletedAccount:
    user_id: str
    acked_at: float
    acked: bool


@dataclass
class Findings:
    """What the users saw while running, shared by all of them."""

    stale_reads: list[StaleRead] = field(default_factory=list)
    deleted: list[DeletedAccount] = field(default_factory=list)
    acked_writes: int = 0
    unknown_writes: int = 0
    anomalies: list[str] = field(default_factory=list)


class SimulatedUser:
    def __init__(
        self, number: int, api: Api, run_id: str, seed: int, findings: Findings, origin: float
    ) -> None:
        self.number = number
        self.api = api
        self.run_id = run_id
        self.rng = random.Random(f"{seed}-{number}")
        self.findings = findings
        self.origin = origin
        self.generation = 0
        self.sequence = 0
        self.account = self._new_account()
        self.retired: list[AccountModel] = []
        self.access = ""
        self.refresh_token = ""
        self.gave_up = False

    def _new_account(self) -> AccountModel:
        self.generation += 1
        email = f"chaos-{self.run_id}-{self.number}-{self.generation}@example.com"
        return AccountModel(email, [strong_password()], Known(None))

    def _label(self, what: str) -> str:
        self.sequence += 1
        return f"{what} {self.number}.{self.generation}.{self.sequence}"

    # --- bookkeeping ---

    def _write(self, outcome: Outcome) -> bool:
        """Count a write; True if it was acknowledged."""
        if outcome.acked:
            self.findings.acked_writes += 1
        elif outcome.unknown:
            self.findings.unknown_writes += 1
        return outcome.acked

    def _stale(self, found: list[Discrepancy]) -> None:
        now = time.monotonic() - self.origin
        for d in found:
            self.findings.stale_reads.append(StaleRead(now, self.number, d.kind, d.detail))

    # --- signing in ---

    async def sign_up(self, until: float) -> bool:
        """Register and log in the current account, retrying through outages until `until`."""
        a = self.account
        registered = False
        while time.monotonic() < until:
            if not registered:
                outcome = await self.api.register(a.email, a.passwords[0], f"User {self.number}")
                self._write(outcome)
                if outcome.status == 201:
                    a.id = str(outcome.body["id"])
                    a.display_name = Known(f"User {self.number}")
                    registered = True
                elif outcome.status == 409:  # an unanswered try got through
                    registered = True
                elif outcome.status is not None and outcome.status < 500 and outcome.status != 429:
                    self.findings.anomalies.append(f"register answered {outcome.status}")
                    return False
            if registered and await self.log_in():
                return True
            await asyncio.sleep(RETRY)
        return False

    async def log_in(self) -> bool:
        """Log in with the password, or either password after an unanswered change."""
        refused = await self._try_login()
        if refused is True:
            a = self.account
            self.findings.anomalies.append(f"user {self.number} cannot log in to {a.id or a.email}")
            self.gave_up = True
        return refused is False

    async def log_in_patiently(self, within: float = 120.0) -> bool:
        """Log in, waiting out throttles (429) and outages; False if refused or never answered."""
        refused: bool | None = None

        async def answered() -> bool:
            nonlocal refused
            refused = await self._try_login()
            return refused is not None

        await until(answered, within, interval=1.0)
        return refused is False

    async def _try_login(self) -> bool | None:
        """False once logged in, True if every password was refused, None without an answer."""
        a = self.account
        for password in list(a.passwords):
            outcome = await self.api.login(a.email, password)
            if outcome.status == 200:
                self.access = outcome.body["access_token"]
                self.refresh_token = outcome.body["refresh_token"]
                a.passwords = [password]
                if not a.id:
                    me = await self.api.me(self.access)
                    if me.status != 200:
                        return None
                    a.id = str(me.body["id"])
                    a.display_name = Known(me.body["display_name"])
                return False
            if outcome.status != 401:
                return None
        return True

    async def _authorised(self, call: Callable[[], Awaitable[Outcome]]) -> Outcome:
        """`call`, logging in again once if the session is no longer accepted."""
        outcome = await call()
        if outcome.status == 401 and await self.log_in():
            outcome = await call()
        return outcome

    # --- the loop ---

    async def run(self, stop: asyncio.Event, think: float) -> None:
        if not await self.sign_up(time.monotonic() + 120):
            self.findings.anomalies.append(f"user {self.number} could not sign up")
            return
        while not stop.is_set() and not self.gave_up:
            await self.act()
            await asyncio.sleep(self.rng.uniform(0, 2 * think))

    async def act(self) -> None:
        a = self.account
        tasks = [(p, t) for p in a.projects.values() for t in p.tasks.values()]
        roomy = [p for p in a.projects.values() if len(p.tasks) < MAX_TASKS]
        choices: list[tuple[float, Callable[[], Awaitable[None]]]] = [
            (10 if len(a.projects) < MAX_PROJECTS else 0, self.create_project),
            (6 if a.projects else 0, self.update_project),
            (3 if len(a.projects) > 1 else 0, self.delete_project),
            (25 if roomy else 0, self.create_task),
            (6 if tasks else 0, self.rename_task),
            (20 if tasks else 0, self.toggle_task),
            (8 if tasks else 0, self.delete_task),
            (3, self.rename_me),
            (0.5, self.change_password),
            (2, self.refresh),
            (0.4, self.delete_account),
        ]
        weights = [w for w, _ in choices]
        action = self.rng.choices([c for _, c in choices], weights=weights)[0]
        await action()

    def _pick_project(self) -> ProjectModel:
        return self.rng.choice(list(self.account.projects.values()))

    # --- projects ---

    async def create_project(self) -> None:
        a = self.account
        name, description = self._label("project"), self._label("about")
        outcome = await self._authorised(
            lambda: self.api.create_project(self.access, name, description)
        )
        if self._write(outcome):
            view: ProjectView = outcome.body
            a.projects[view.id] = ProjectModel(view.id, Known(name), Known(description))
        elif outcome.unknown:
            a.pending_names.add(name)
        await self.read_projects()

    async def update_project(self) -> None:
        project = self._pick_project()
        name, description = self._label("renamed"), self._label("about")
        outcome = await self._authorised(
            lambda: self.api.update_project(self.access, project.id, name, description)
        )
        if self._write(outcome) or outcome.unknown:
            project.name.wrote(name, outcome.acked)
            project.description.wrote(description, outcome.acked)
        self._unexpected(outcome, "update project")
        await (self.read_projects() if self.rng.random() < 0.5 else self.read_project(project))

    async def delete_project(self) -> None:
        a = self.account
        project = self._pick_project()
        outcome = await self._authorised(lambda: self.api.delete_project(self.access, project.id))
        if self._write(outcome):
            del a.projects[project.id]
            a.deleted_projects.add(project.id)
        elif outcome.unknown:
            del a.projects[project.id]
            a.doubtful_projects.add(project.id)
        self._unexpected(outcome, "delete project")
        await self.read_projects()

    # --- tasks ---

    async def create_task(self) -> None:
        project = self.rng.choice(
            [p for p in self.account.projects.values() if len(p.tasks) < MAX_TASKS]
        )
        title = self._label("task")
        outcome = await self._authorised(
            lambda: self.api.create_task(self.access, project.id, title)
        )
        if self._write(outcome):
            view: TaskView = outcome.body
            project.tasks[view.id] = TaskModel(view.id, Known(title), Known(False))
        elif outcome.unknown:
            project.pending_titles.add(title)
        self._unexpected(outcome, "create task")
        await self.read_after_task_write(project)

    def _pick_task(self) -> tuple[ProjectModel, TaskModel]:
        project = self.rng.choice([p for p in self.account.projects.values() if p.tasks])
        return project, self.rng.choice(list(project.tasks.values()))

    async def rename_task(self) -> None:
        project, task = self._pick_task()
        title = self._label("retitled")
        outcome = await self._authorised(
            lambda: self.api.update_task(self.access, project.id, task.id, {"title": title})
        )
        if self._write(outcome) or outcome.unknown:
            task.title.wrote(title, outcome.acked)
        self._unexpected(outcome, "rename task")
        await self.read_after_task_write(project)

    async def toggle_task(self) -> None:
        project, task = self._pick_task()
        done = not task.done.value
        outcome = await self._authorised(
            lambda: self.api.update_task(self.access, project.id, task.id, {"done": done})
        )
        if self._write(outcome) or outcome.unknown:
            task.done.wrote(done, outcome.acked)
        self._unexpected(outcome, "toggle task")
        await self.read_after_task_write(project)

    async def delete_task(self) -> None:
        project, task = self._pick_task()
        outcome = await self._authorised(
            lambda: self.api.delete_task(self.access, project.id, task.id)
        )
        if self._write(outcome):
            del project.tasks[task.id]
            project.deleted_tasks.add(task.id)
        elif outcome.unknown:
            del project.tasks[task.id]
            project.doubtful_tasks.add(task.id)
        self._unexpected(outcome, "delete task")
        await self.read_after_task_write(project)

    # --- the account ---

    async def rename_me(self) -> None:
        name = self._label("User")
        outcome = await self._authorised(lambda: self.api.rename_me(self.access, name))
        if self._write(outcome) or outcome.unknown:
            self.account.display_name.wrote(name, outcome.acked)
        outcome = await self._authorised(lambda: self.api.me(self.access))
        if outcome.status == 200 and not self.account.display_name.accepts(
            outcome.body["display_name"]
        ):
            self._stale([Discrepancy("old display name", self.account.id)])

    async def change_password(self) -> None:
        a = self.account
        if len(a.passwords) > 1 and not await self.log_in():
            return
        new = strong_password()
        current = a.passwords[0]
        outcome = await self._authorised(
            lambda: self.api.change_password(self.access, current, new)
        )
        if self._write(outcome):
            a.passwords = [new]
        elif outcome.unknown:
            a.passwords = [new, current]

    async def refresh(self) -> None:
        outcome = await self.api.refresh(self.refresh_token)
        if self._write(outcome):
            self.access = outcome.body["access_token"]
            self.refresh_token = outcome.body["refresh_token"]
        else:
            # Unanswered, the token may be spent: presenting it again would end the session.
            await self.log_in()

    async def delete_account(self, replace: bool = True) -> None:
        """Delete the account (through outages); with `replace`, carry on as a new one."""
        a = self.account
        if len(a.passwords) > 1 and not await self.log_in():
            return
        deadline = time.monotonic() + 120
        while True:
            if time.monotonic() > deadline:
                self.findings.anomalies.append(f"user {self.number}: deletion never answered")
                self.gave_up = True
                return
            outcome = await self.api.delete_me(self.access, a.passwords[0])
            if outcome.acked:
                self._write(outcome)
                self._deleted(acked=True)
                break
            if outcome.status == 401:
                # The session is gone: an earlier unanswered try deleted the account, or not.
                refused = await self._try_login()
                if refused is True:
                    self._deleted(acked=False)
                    break
                if refused is False:
                    continue
            if not outcome.unknown:
                self._unexpected(outcome, "delete account")
                return
            await asyncio.sleep(RETRY)
        self.retired.append(a)
        if not replace:
            return
        self.account = self._new_account()
        if not await self.sign_up(time.monotonic() + 120):
            self.findings.anomalies.append(f"user {self.number} could not sign up again")
            self.gave_up = True

    def _deleted(self, acked: bool) -> None:
        now = time.monotonic() - self.origin
        self.findings.deleted.append(DeletedAccount(self.account.id, now, acked))

    # --- reads that must show the user's own acknowledged writes ---

    async def read_projects(self) -> None:
        outcome = await self._authorised(lambda: self.api.list_projects(self.access))
        if outcome.status == 200:
            self._stale(self.account.check_projects(outcome.body))

    async def read_project(self, project: ProjectModel) -> None:
        outcome = await self._authorised(lambda: self.api.get_project(self.access, project.id))
        if outcome.status == 200:
            self._stale(check_project(project, outcome.body))
        elif outcome.status == 404 and project.id in self.account.projects:
            self._stale([Discrepancy("project not found", project.id)])

    async def read_after_task_write(self, project: ProjectModel) -> None:
        if project.id not in self.account.projects:
            return
        if self.rng.random() < 0.5:
            await self.read_project(project)
            return
        outcome = await self._authorised(lambda: self.api.list_tasks(self.access, project.id))
        if outcome.status == 200:
            self._stale(check_tasks(project, outcome.body))
        elif outcome.status == 404:
            self._stale([Discrepancy("project not found", project.id)])

    def _unexpected(self, outcome: Outcome, what: str) -> None:
        """A 4xx other than a throttle on a write to something the user owns is a defect."""
        if outcome.status is not None and 400 <= outcome.status < 500 and outcome.status != 429:
            self.findings.anomalies.append(f"{what} answered {outcome.status}")


def new_run_id() -> str:
    return secrets.token_hex(3)
