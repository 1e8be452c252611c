"""The chaos harness tells a stale read, a lost write and an unanswered write apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos.api import ProjectView, Request, RequestLog, TaskView
from chaos.faults import Fault, FaultRecord, parse_schedule
from chaos.model import AccountModel, Known, ProjectModel, TaskModel, check_tasks
from chaos.report import Report, served_by
from chaos.users import Findings, StaleRead
from chaos.verify import Verdict


def account_with(*projects: ProjectModel) -> AccountModel:
    account = AccountModel("a@example.com", ["pw"], Known(None), id="u1")
    account.projects = {p.id: p for p in projects}
    return account


def view(project: ProjectModel, tasks: int = 0, done: int = 0) -> ProjectView:
    return ProjectView(project.id, project.name.value, project.description.value, tasks, done)


def test_a_list_without_an_acknowledged_project_or_with_a_deleted_one_is_stale() -> None:
    kept = ProjectModel("p1", Known("Kept"), Known(None))
    account = account_with(kept)
    account.deleted_projects.add("p2")
    assert account.check_projects([view(kept)]) == []
    found = account.check_projects([ProjectView("p2", "Gone", None, 0, 0)])
    assert [d.kind for d in found] == ["deleted project listed", "project missing from list"]


def test_an_unanswered_write_accepts_either_value_and_an_unanswered_create_is_adopted() -> None:
    project = ProjectModel("p1", Known("Old"), Known(None))
    project.name.wrote("New", acked=False)
    account = account_with(project)
    account.pending_names.add("Maybe")
    assert account.check_projects([view(project)]) == []
    assert account.check_projects([ProjectView("p1", "New", None, 0, 0)]) == []
    assert account.check_projects([view(project), ProjectView("p3", "Maybe", None, 0, 0)]) == []
    assert "p3" in account.projects
    unknown = account.check_projects([ProjectView("p9", "Who", None, 0, 0), view(project)])
    assert [d.kind for d in unknown] == ["unknown project listed", "project missing from list"]


def test_counts_are_checked_only_while_every_task_write_was_answered() -> None:
    project = ProjectModel("p1", Known("P"), Known(None))
    project.tasks["t1"] = TaskModel("t1", Known("T"), Known(True))
    account = account_with(project)
    assert [d.kind for d in account.check_projects([view(project, 1, 0)])] == ["wrong counts"]
    project.tasks["t1"].done.wrote(False, acked=False)
    assert account.check_projects([view(project, 1, 0)]) == []
    seen = [TaskView("t1", "T", False)]
    assert check_tasks(project, seen) == []
    assert [d.kind for d in check_tasks(project, [])] == ["task missing from list"]


def test_a_schedule_names_known_faults_with_their_durations() -> None:
    assert parse_schedule("kill:relay, freeze:projects-1:15,cut:redis:5") == [
        Fault("kill", "relay"),
        Fault("freeze", "projects-1", 15.0),
        Fault("cut", "redis", 5.0),
    ]
    for typo in ("stop:relay", "cut:mysql:5", "freeze:projects-0"):
        with pytest.raises(ValueError, match=typo.split(":")[0]):
            parse_schedule(typo)


def test_stale_reads_fail_the_run_only_when_the_flag_is_on() -> None:
    findings = Findings(stale_reads=[StaleRead(1.0, 0, "project missing from list", "p1")])
    healed = FaultRecord(Fault("kill", "relay"), 1.0, 1.0, recovered=2.0)
    report = Report("python -m chaos", 1, 10, RequestLog(), [healed], findings, Verdict())
    assert report.problems(stale_reads_fail=False) == []
    assert report.problems(stale_reads_fail=True) == ["1 stale reads"]
    report.verdict.lost_writes.append("api u1: project missing from list p1")
    report.faults.append(FaultRecord(Fault("cut", "postgres", 5), 3.0, 8.0))
    assert report.problems(stale_reads_fail=False) == [
        "1 lost writes",
        "cut postgres 5s never recovered",
    ]
    assert report.problems() == [
        "1 lost writes",
        "cut postgres 5s never recovered",
        "1 stale reads",
    ]
    assert "| **stale reads seen** | 1 |" in report.table()


def test_a_freeze_reports_the_p99_of_the_requests_the_frozen_process_did_not_serve(
    tmp_path: Path,
) -> None:
    stuck, also_stuck, quick = "a" * 32, "c" * 32, "b" * 32
    (tmp_path / "projects-1.log").write_text(
        f"... [{stuck}] POST /projects 201 10000 ms\n... [{also_stuck}] GET /projects 200\n"
    )
    (tmp_path / "projects-0.log").write_text(f"... [{quick}] GET /projects 200 20 ms\n")
    served = served_by(tmp_path, {"projects-1", "relay"})
    assert served == {"projects-1": {stuck, also_stuck}}

    log = RequestLog(origin=0.0)
    log.requests += [
        Request("create project", 504, 10.0, 20.0, stuck),
        Request("list projects", 200, 10.0, 20.0, also_stuck),
        *(Request("list projects", 200, 11.0, 11.25, quick) for _ in range(10)),
    ]
    frozen = FaultRecord(Fault("freeze", "projects-1", 15), 9.0, 24.0, recovered=25.0)
    report = Report("python -m chaos", 1, 30, log, [frozen], Findings(), Verdict(), served)
    (row,) = [line for line in report.table().splitlines() if line.startswith("| freeze")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[-2:] == ["10000", "250"]  # every request's p99, then the others'
