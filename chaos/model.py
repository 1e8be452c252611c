"""What each simulated user knows for certain about their own data.

An acknowledged write is a fact; a write that got no answer, or a 5xx, may or may not
have happened (and may still happen late: a frozen replica wakes up), so its value is
only ever one of the accepted alternatives. A read that contradicts a fact, after the
write that made it was acknowledged, is a stale read; the final state contradicting one
is a lost write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from chaos.api import ProjectView, TaskView

T = TypeVar("T")


@dataclass
class Known(Generic[T]):
    """An attribute: its last acknowledged value, and any value an unanswered write sent."""

    value: T
    maybe: list[T] = field(default_factory=list)

    def accepts(self, seen: T) -> bool:
        return seen == self.value or seen in self.maybe

    @property
    def certain(self) -> bool:
        return not self.maybe

    def wrote(self, value: T, acked: bool) -> None:
        if acked:
            self.value = value
        elif value not in self.maybe:
            self.maybe.append(value)


@dataclass
class TaskModel:
    id: str
    title: Known[str]
    done: Known[bool]


@dataclass
class ProjectModel:
    id: str
    name: Known[str]
    description: Known[str | None]
    tasks: dict[str, TaskModel] = field(default_factory=dict)
    deleted_tasks: set[str] = field(default_factory=set)
    # Deleted without an answer: may still be there; never checked again.
    doubtful_tasks: set[str] = field(default_factory=set)
    # Titles of creations without an answer: adopted if they appear.
    pending_titles: set[str] = field(default_factory=set)

    def counts(self) -> tuple[int, int] | None:
        """The (task_count, done_count) it must show, or None when writes left it uncertain."""
        if self.doubtful_tasks or self.pending_titles:
            return None
        if any(not t.done.certain for t in self.tasks.values()):
            return None
        return len(self.tasks), sum(t.done.value for t in self.tasks.values())


@dataclass
class Discrepancy:
    kind: str
    detail: str


@dataclass
class AccountModel:
    """One account's data as its user wrote it."""

    email: str
    passwords: list[str]
    display_name: Known[str | None]
    id: str = ""
    projects: dict[str, ProjectModel] = field(default_factory=dict)
    deleted_projects: set[str] = field(default_factory=set)
    doubtful_projects: set[str] = field(default_factory=set)
    pending_names: set[str] = field(default_factory=set)

    def check_projects(self, seen: list[ProjectView]) -> list[Discrepancy]:
        """Compare a full list of projects with the facts; adopt unanswered creations."""
        found: list[Discrepancy] = []
        ids = {p.id for p in seen}
        for view in seen:
            if view.id in self.doubtful_projects:
                continue
            if view.id in self.deleted_projects:
                found.append(Discrepancy("deleted project listed", view.id))
                continue
            project = self.projects.get(view.id)
            if project is None:
                if view.name in self.pending_names:
                    self.pending_names.discard(view.name)
                    self.projects[view.id] = ProjectModel(
                        view.id, Known(view.name), Known(view.description)
                    )
                else:
                    found.append(Discrepancy("unknown project listed", view.id))
                continue
            found += check_project(project, view)
        found += [
            Discrepancy("project missing from list", pid) for pid in self.projects if pid not in ids
        ]
        return found


def check_project(project: ProjectModel, view: ProjectView) -> list[Discrepancy]:
    found: list[Discrepancy] = []
    if not project.name.accepts(view.name):
        found.append(Discrepancy("old project name", f"{project.id}: {view.name!r}"))
    if not project.description.accepts(view.description):
        found.append(Discrepancy("old project description", project.id))
    counts = project.counts()
    if counts is not None and counts != (view.task_count, view.done_count):
        found.append(
            Discrepancy(
                "wrong counts",
                f"{project.id}: {view.task_count}/{view.done_count}, wrote {counts[0]}/{counts[1]}",
            )
        )
    return found


def check_tasks(project: ProjectModel, seen: list[TaskView]) -> list[Discrepancy]:
    """Compare a full list of a project's tasks with the facts; adopt unanswered creations."""
    found: list[Discrepancy] = []
    ids = {t.id for t in seen}
    for view in seen:
        if view.id in project.doubtful_tasks:
            continue
        if view.id in project.deleted_tasks:
            found.append(Discrepancy("deleted task listed", view.id))
            continue
        task = project.tasks.get(view.id)
        if task is None:
            if view.title in project.pending_titles:
                project.pending_titles.discard(view.title)
                project.tasks[view.id] = TaskModel(view.id, Known(view.title), Known(view.done))
            else:
                found.append(Discrepancy("unknown task listed", view.id))
            continue
        if not task.title.accepts(view.title):
            found.append(Discrepancy("old task title", f"{view.id}: {view.title!r}"))
        if not task.done.accepts(view.done):
            found.append(Discrepancy("old task state", f"{view.id}: done={view.done}"))
    found += [Discrepancy("task missing from list", tid) for tid in project.tasks if tid not in ids]
    return found
