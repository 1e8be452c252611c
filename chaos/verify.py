"""After the run: every acknowledged write against the API and the databases.

First the event pipeline settles (outbox sent, queues drained, deletions handled), then
each account's data as its user wrote it is compared with what the API serves and what
the projects database holds; deleted accounts must be gone from both services; stored
counters must match the task rows.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

from chaos.api import Api, ProjectView, TaskView
from chaos.database import Databases, QueueDepths, queue_depths
from chaos.model import AccountModel, Discrepancy, check_tasks
from chaos.users import DeletedAccount, SimulatedUser
from tests.support.waiting import until

SETTLE_LIMIT = 90.0


@dataclass
class Verdict:
    lost_writes: list[str] = field(default_factory=list)
    wrong_counters: list[str] = field(default_factory=list)
    unpurged: list[str] = field(default_factory=list)
    unsent_events: int = 0
    queues: QueueDepths = field(default_factory=lambda: QueueDepths(0, 0, 0))
    settled_after: float | None = None
    accounts_checked: int = 0
    projects_checked: int = 0
    tasks_checked: int = 0


async def settle(
    db: Databases, amqp_url: str, namespace: str, deleted: list[DeletedAccount]
) -> tuple[float | None, QueueDepths, int]:
    """Wait until nothing is left in flight; (seconds it took or None, queues, unsent)."""
    started = time.monotonic()
    ids = [d.user_id for d in deleted]
    queues, unsent = QueueDepths(0, 0, 0), 0

    async def quiet() -> bool:
        nonlocal queues, unsent
        unsent = await db.unsent_events()
        queues = await queue_depths(amqp_url, namespace)
        leftovers = await db.leftovers(ids)
        idle = unsent == 0 and queues.waiting == 0 and queues.retrying == 0
        return idle and all(left.purged for left in leftovers.values())

    met = await until(quiet, SETTLE_LIMIT, interval=0.5)
    return (None if met is None else met - started), queues, unsent


async def verify(
    users: list[SimulatedUser],
    api: Api,
    db: Databases,
    amqp_url: str,
    namespace: str,
    deleted: list[DeletedAccount],
) -> Verdict:
    verdict = Verdict()
    verdict.settled_after, verdict.queues, verdict.unsent_events = await settle(
        db, amqp_url, namespace, deleted
    )
    for user in users:
        user.api = api  # the checks' requests are not the run's
        if user.account.id and not user.gave_up:
            await _check_account(user, db, verdict)
    for left_id, left in (await db.leftovers([d.user_id for d in deleted])).items():
        if not left.purged:
            verdict.unpurged.append(f"{left_id}: {left}")
    for counter in await db.wrong_counters():
        verdict.wrong_counters.append(
            f"stored {counter.project_id}: {counter.task_count}/{counter.done_count},"
            f" rows {counter.tasks}/{counter.done}"
        )
    return verdict


async def _check_account(user: SimulatedUser, db: Databases, verdict: Verdict) -> None:
    account = user.account
    verdict.accounts_checked += 1
    lost = verdict.lost_writes
    # Thirty log-ins in a row from the checker's one address meet the gateway's throttle.
    if not await user.log_in_patiently():
        lost.append(f"{account.id}: cannot log in")
        return
    me = await user.api.me(user.access)
    if me.status != 200 or not account.display_name.accepts(me.body["display_name"]):
        lost.append(f"{account.id}: display name {me.body if me.status == 200 else me.status}")
    known, name = await db.display_name(account.id)
    if not known or not account.display_name.accepts(name):
        lost.append(f"{account.id}: people directory has {name!r} (known: {known})")

    listed = await user.api.list_projects(user.access)
    if listed.status != 200:
        lost.append(f"{account.id}: list answered {listed.status}")
        return
    projects: list[ProjectView] = listed.body
    tasks: dict[str, list[TaskView]] = {}
    for view in projects:
        page = await user.api.list_tasks(user.access, view.id)
        if page.status != 200:
            lost.append(f"{account.id}: tasks of {view.id} answered {page.status}")
            return
        tasks[view.id] = page.body
        done = sum(t.done for t in page.body)
        if (view.task_count, view.done_count) != (len(page.body), done):
            verdict.wrong_counters.append(
                f"served {view.id}: {view.task_count}/{view.done_count},"
                f" tasks listed {len(page.body)}/{done}"
            )
    # What the API serves, then what the database holds, each against what was written.
    _compare(account, projects, tasks, "api", lost)
    stored = await db.projects_of(account.id)
    stored_tasks = await db.tasks_of(account.id)
    stored_views = [
        ProjectView(p.id, p.name, p.description, p.task_count, p.done_count)
        for p in stored.values()
    ]
    by_project: dict[str, list[TaskView]] = {p.id: [] for p in stored.values()}
    for task in stored_tasks.values():
        by_project.setdefault(task.project_id, []).append(TaskView(task.id, task.title, task.done))
    _compare(account, stored_views, by_project, "db", lost)
    verdict.projects_checked += len(account.projects)
    verdict.tasks_checked += sum(len(p.tasks) for p in account.projects.values())


def _compare(
    account: AccountModel,
    projects: list[ProjectView],
    tasks: dict[str, list[TaskView]],
    where: str,
    lost: list[str],
) -> None:
    # On a copy: adopting an unanswered creation in one source must not excuse the other.
    model = copy.deepcopy(account)
    found: list[Discrepancy] = model.check_projects(projects)
    for project in model.projects.values():
        found += check_tasks(project, tasks.get(project.id, []))
    lost += [f"{where} {account.id}: {d.kind} {d.detail}" for d in found]
