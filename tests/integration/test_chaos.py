"""The short chaos run: the stack under every kind of fault once, every acknowledged write
verified afterwards (issue 16; the long run is `make chaos`, docs/reliability.md).

150 s of load, about six minutes of the whole machine with the stack's start and the
checks, so it runs under CI=true (as `make test` does on CI) or with CHAOS=1, and skips
loudly elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chaos.report import STALE_READS_FAIL
from chaos.run import SHORT_SCHEDULE, Options, run
from tests.support.services import in_ci

pytestmark = pytest.mark.skipif(
    not (in_ci() or os.environ.get("CHAOS") == "1"),
    reason="SKIPPED LOUDLY: the chaos run takes the whole machine for minutes; it runs "
    "under CI=true, or here with CHAOS=1 (the long run: make chaos)",
)


def test_no_acknowledged_write_is_lost_and_every_fault_heals(tmp_path: Path) -> None:
    report = run(
        Options(
            users=8,
            seconds=150,
            faults=SHORT_SCHEDULE,
            command="CHAOS=1 pytest tests/integration/test_chaos.py",
        ),
        tmp_path,
    )
    print(report.table())
    assert report.findings.acked_writes > 500, report.table()
    assert {str(r.fault).split()[0] for r in report.faults} == {"kill", "freeze", "cut"}
    # Lost writes, wrong counters, stale reads, unpurged deletions, outbox, queues, dead
    # letters, faults never recovered.
    assert report.problems(stale_reads_fail=STALE_READS_FAIL) == [], report.table()
