"""The benchmark harness measures what it says: wrk's figures, CPU, profiles."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.ceiling import body_of
from bench.load import ProcessSampler, Wrk, WrkResult
from bench.profile import summarise
from projectconnect.stack import free_port, wait_until_ok
from tests.support.services import require

OUTPUT = """Running 1s test @ http://127.0.0.1:1
BENCH_RESULT {"requests":2000,"duration_us":2000000,"bytes":1,"errors":{"connect":0,\
"read":1,"write":0,"status":3,"timeout":0},"latency_us":{"p50":1500,"p90":2000,\
"p99":9000,"p999":9500,"max":12000,"mean":1600.0},"mix":{"read":7,"task_write":2,\
"project_write":0,"login":1}}
"""


def test_wrk_figures_are_read_from_the_result_line() -> None:
    result = WrkResult.parse(OUTPUT)
    assert result.rps == 1000
    assert (result.p50_ms, result.p99_ms, result.max_ms) == (1.5, 9.0, 12.0)
    assert (result.errors, result.status_errors) == (4, 3)
    assert dict(result.mix) == {"read": 7, "task_write": 2, "login": 1}
    with pytest.raises(ValueError, match="no result"):
        WrkResult.parse("wrk: connection refused")


def test_the_ceiling_body_has_the_asked_size_and_is_json() -> None:
    import json

    for size in (10, 11, 486, 5000):
        body = body_of(size)
        assert len(body) == size
        assert json.loads(body)["pad"] == "x" * (size - 10)


def test_profiles_are_summarised_by_function_without_idle_threads() -> None:
    collapsed = "\n".join(
        [
            'process 1:"python";handle (app/api.py:10);verify (jwt/api.py:5) 6',
            'process 1:"python";handle (app/api.py:12) 2',
            'process 1:"python";WorkerThread.run (anyio/b.py:1);Condition.wait (threading.py:3) 50',
        ]
    )
    summary = summarise(collapsed)
    assert "8 busy samples" in summary
    assert " 100.0%  25.0%  handle (app/api.py)" in summary
    assert "  75.0%  75.0%  verify (jwt/api.py)" in summary
    assert "Condition.wait" not in summary


@pytest.fixture
def ceiling() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.ceiling", "--port", str(port), "--body-bytes", "300"]
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ok(url, process, time.monotonic() + 20, "the ceiling server")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_short_load_is_measured_end_to_end(ceiling: str, tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        require("wrk", RuntimeError("wrk is not installed (make system-deps installs it)"))
    users = tmp_path / "users.tsv"
    users.write_text("token-a\tp1\tt1\ta@x.example\tpw\ntoken-b\tp2\tt2\tb@x.example\tpw\n")
    assert httpx.get(f"{ceiling}/bytes/123").content == body_of(123)
    wrk = Wrk(url=ceiling, scenario="path", users=users, connections=4, seconds=1, path="/x")
    process = wrk.start()
    with ProcessSampler({"wrk": [process.pid]}) as sampler:
        result = Wrk.finish(process)
    assert result.requests > 100
    assert result.errors == 0
    assert 0 < result.p50_ms <= result.p99_ms <= result.max_ms
    usage = sampler.usage()["wrk"]
    assert usage.cpu_percent > 1
    assert usage.rss_mib > 0
