"""The run's table (Markdown, so it goes into docs/reliability.md as printed) and its verdict."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from chaos.api import Request, RequestLog
from chaos.faults import FaultRecord
from chaos.users import Findings
from chaos.verify import Verdict

# A read that misses a write already acknowledged to the same user fails the run: writes
# fence the read caches (docs/architecture.md), so no replica may serve one.
STALE_READS_FAIL = True
SHOWN = 10


@dataclass
class Report:
    command: str
    users: int
    seconds: float
    log: RequestLog
    faults: list[FaultRecord]
    findings: Findings
    verdict: Verdict
    # The request ids each process's log names (the frozen replica's own requests).
    served: dict[str, set[str]] = field(default_factory=dict)

    def problems(self, stale_reads_fail: bool = STALE_READS_FAIL) -> list[str]:
        """Why the run failed; empty when it passed."""
        v, f = self.verdict, self.findings
        problems = []
        if v.lost_writes:
            problems.append(f"{len(v.lost_writes)} lost writes")
        if v.wrong_counters:
            problems.append(f"{len(v.wrong_counters)} wrong counters")
        if v.unpurged:
            problems.append(f"{len(v.unpurged)} deleted accounts not purged")
        if v.unsent_events:
            problems.append(f"{v.unsent_events} events left in the outbox")
        if v.queues.dead:
            problems.append(f"{v.queues.dead} dead letters")
        if v.queues.waiting or v.queues.retrying:
            problems.append("events still queued")
        problems += [f"{r.fault} never recovered" for r in self.faults if r.recovered is None]
        if f.anomalies:
            problems.append(f"{len(f.anomalies)} anomalies")
        if stale_reads_fail and f.stale_reads:
            problems.append(f"{len(f.stale_reads)} stale reads")
        return problems

    def table(self) -> str:
        return "\n".join(
            [
                f"`{self.command}`: {self.users} users, {self.seconds:g} s,"
                f" {len(self.log.requests)} requests",
                "",
                *self._statuses(),
                "",
                *self._fault_rows(),
                "",
                *self._results(),
                *self._details(),
            ]
        )

    def _statuses(self) -> list[str]:
        counts = Counter(r.status for r in self.log.requests)
        total = max(1, len(self.log.requests))
        rows = ["| status | requests | share |", "|---|---:|---:|"]
        for status in sorted(counts, key=lambda s: (s is None, s or 0)):
            name = "no answer" if status is None else str(status)
            rows.append(f"| {name} | {counts[status]} | {100 * counts[status] / total:.2f}% |")
        return rows

    def _fault_rows(self) -> list[str]:
        rows = [
            "| fault | at s | lasted s | recovered after s | slowest check "
            "| first 2xx after s | requests | 5xx | no answer | p99 ms | others' p99 ms |",
            "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        inside: set[int] = set()
        for record in self.faults:
            window = [
                (i, r)
                for i, r in enumerate(self.log.requests)
                if record.started <= r.ended - self.log.origin <= record.window_end
            ]
            inside.update(i for i, _ in window)
            recovery = "never" if record.recovery is None else f"{record.recovery:.2f}"
            rows.append(
                f"| {record.fault} | {record.started:.0f} | {record.ended - record.started:.1f} "
                f"| {recovery} | {record.slowest()} | {self._first_success(record)} "
                f"| {_window([r for _, r in window])} | {self._others_p99(record, window)} |"
            )
        outside = [r for i, r in enumerate(self.log.requests) if i not in inside]
        rows.append(f"| (no fault) | | | | | | {_window(outside)} | |")
        return rows

    def _others_p99(self, record: FaultRecord, window: list[tuple[int, Request]]) -> str:
        """For a frozen process: the p99 of the window's requests it did not serve."""
        own = self.served.get(record.fault.target)
        if record.fault.action != "freeze" or own is None:
            return ""
        others = [r for _, r in window if r.request_id not in own]
        return f"{_p99(others):.0f}"

    def _first_success(self, record: FaultRecord) -> str:
        """Seconds from the fault's end to the first request sent after it that succeeded."""
        end = self.log.origin + record.ended
        answered = [
            r.ended for r in self.log.requests if r.started >= end and r.status and r.status < 300
        ]
        return f"{min(answered) - end:.2f}" if answered else "never"

    def _results(self) -> list[str]:
        v, f = self.verdict, self.findings
        acked_deletions = sum(d.acked for d in f.deleted)
        settled = "never" if v.settled_after is None else f"{v.settled_after:.1f} s"
        return [
            "| check | result |",
            "|---|---:|",
            f"| acknowledged writes | {f.acked_writes} |",
            f"| writes answered 5xx or not at all | {f.unknown_writes} |",
            f"| accounts / projects / tasks verified | {v.accounts_checked} /"
            f" {v.projects_checked} / {v.tasks_checked} |",
            f"| **lost writes** | {len(v.lost_writes)} |",
            f"| **wrong counters** | {len(v.wrong_counters)} |",
            f"| accounts deleted (acknowledged) | {len(f.deleted)} ({acked_deletions}) |",
            f"| **deleted accounts not purged** | {len(v.unpurged)} |",
            f"| events settled after the run in | {settled} |",
            f"| **outbox unsent / queued / dead letters** | {v.unsent_events} /"
            f" {v.queues.waiting + v.queues.retrying} / {v.queues.dead} |",
            f"| **stale reads seen** | {len(f.stale_reads)} |",
            f"| anomalies (unexpected 4xx, failed sign-ups) | {len(f.anomalies)} |",
        ]

    def _details(self) -> list[str]:
        lines: list[str] = []
        sections = [
            ("Lost writes", self.verdict.lost_writes),
            ("Wrong counters", self.verdict.wrong_counters),
            ("Not purged", self.verdict.unpurged),
            (
                "Stale reads",
                [
                    f"{s.at:.1f}s user {s.user}: {s.kind} {s.detail}"
                    for s in self.findings.stale_reads
                ],
            ),
            ("Anomalies", [*Counter(self.findings.anomalies).elements()]),
        ]
        for title, items in sections:
            if items:
                lines += ["", f"{title} ({len(items)}, first {min(SHOWN, len(items))}):"]
                lines += [f"- {item}" for item in items[:SHOWN]]
        return lines


def _p99(requests: list[Request]) -> float:
    """Milliseconds."""
    durations = sorted(r.ended - r.started for r in requests)
    return durations[int(0.99 * (len(durations) - 1))] * 1000 if durations else 0.0


def _window(requests: list[Request]) -> str:
    errors = sum(1 for r in requests if r.status is not None and r.status >= 500)
    unanswered = sum(1 for r in requests if r.status is None)
    return f"{len(requests)} | {errors} | {unanswered} | {_p99(requests):.0f}"


_REQUEST_ID = re.compile(r"\b[0-9a-f]{32}\b")


def served_by(logs: Path, names: set[str]) -> dict[str, set[str]]:
    """The request ids (as the harness makes them) each named process's log mentions: a
    process logs every request it handled, restarts included (its log is appended to)."""
    return {
        name: set(_REQUEST_ID.findall(path.read_text(errors="replace")))
        for name in names
        if (path := logs / f"{name}.log").exists()
    }
