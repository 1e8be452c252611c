"""The live-updates benchmark runs end to end at a tiny size and reports every figure.

Both modes: `projectconnect stack` through its gateway and `projectconnect dev`, 20 streams,
5 writes; a few seconds of wrk per state. Only that each figure is there and sensible is
checked, never how fast: the figures of record come from a full run (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.live_report import histogram_quantile, percentile
from tests.support.services import ThrowawayBroker, ThrowawayPostgres, ThrowawayRedisPrefix, require
from tests.support.stack import nginx_binary

pytestmark = pytest.mark.processes

TINY = [
    *("--streams", "20", "--subscribers", "5", "--per-person", "5"),
    *("--writes", "5", "--rate", "20", "--repeats", "1", "--rounds", "1"),
    *("--seconds", "1", "--connections", "8", "--idle-seconds", "1", "--settle-seconds", "0.2"),
]


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 99) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(map(float, range(101))), 99) == 99.0


def test_the_lag_histogram_is_read_as_prometheus_reads_it() -> None:
    # 10 notices within 1 ms, 10 more within 5 ms, 0 after: cumulative, as scraped.
    buckets = {0.001: 10.0, 0.005: 20.0, 0.01: 20.0, float("inf"): 20.0}
    assert histogram_quantile(buckets, 0.5) == pytest.approx(0.001)
    assert histogram_quantile(buckets, 0.75) == pytest.approx(0.003)
    assert histogram_quantile({0.001: 0.0, float("inf"): 0.0}, 0.5) is None
    # Past the last finite bound, the bound is all that can be said.
    assert histogram_quantile({0.001: 0.0, 5.0: 1.0, float("inf"): 4.0}, 0.99) == 5.0


def _services_up() -> None:
    for service in (ThrowawayPostgres(), ThrowawayRedisPrefix(), ThrowawayBroker()):
        asyncio.run(service.check())
    nginx_binary()
    if shutil.which("wrk") is None:
        require("wrk", RuntimeError("wrk is not installed (make system-deps installs it)"))


def _numbers(found: dict[str, Any], *keys: str) -> None:
    for key in keys:
        value = found[key]
        assert isinstance(value, int | float), f"{key}: {value!r} in {found}"


def test_a_tiny_run_gives_every_figure_in_both_modes(tmp_path: Path) -> None:
    _services_up()
    out = tmp_path / "live"
    done = subprocess.run(
        [sys.executable, "-m", "bench.live", *TINY, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads((out / "live.json").read_text())
    assert [t["mode"] for t in report["targets"]] == ["distributed", "embedded"]
    logs = {"distributed": {"projects-0.log", "auth-0.log"}, "embedded": {"embedded.log"}}
    for target in report["targets"]:
        assert target["error"] is None
        assert target["streams"]["opened"] == 20
        headline = target["headline"]
        # Every subscriber got every write's notice, and each delay was measured.
        assert headline["received"] == headline["expected"] == 5 * 5
        for spread in ("from_request", "from_response", "server"):
            _numbers(headline[spread], "p50_ms", "p99_ms")
        assert headline["from_request"]["p50_ms"] > 0
        assert headline["server"]["count"] >= 25
        _numbers(headline, "cpu_per_notice_us", "delivery_cpu_per_notice_us")
        assert headline["cpu_per_notice_us"] > 0
        assert len(headline["p99_by_repeat_ms"]) == 1
        _numbers(target["memory"], "rss_before_mib", "rss_after_mib", "per_stream_kib")
        _numbers(target["idle"], "cpu_percent", "cpu_ms_per_stream_per_s")
        lists = target["list"]
        _numbers(lists, "median_rps_with", "median_rps_without", "ratio")
        assert [r["state"] for r in lists["rounds"]] == ["with streams", "without streams"]
        assert all(r["errors"] == 0 and r["rps"] > 0 for r in lists["rounds"])
        # The list without streams ran once the service counted them all closed.
        assert [r["streams_open"] for r in lists["rounds"]] == [20, 0]
        _numbers(target["client"], "cpu_percent", "loop_lag_p99_ms", "loop_lag_max_ms")
        assert target["load_average"]["max_1min"] >= 0
        # A quiet phase, then a fan-out: each with its writes, failures and the service's
        # error counters; a stream reopened in it said why it had ended.
        assert [p["name"] for p in target["phases"]] == ["quiet 1", "fan-out 1"]
        for phase in target["phases"]:
            assert phase["writes"] == 5
            assert isinstance(phase["failed_writes"], dict)
            assert isinstance(phase["service_errors"], dict)
            _numbers(phase, "process_cpu_seconds", "notices_sent", "client_cpu_percent")
            assert phase["reconnects"] <= sum(phase["stream_ends"].values())
        assert target["phases"][0]["received"] == 0
        # The services' logs were read, each counted by message.
        assert set(target["log_warnings"]) == logs[target["mode"]]
        assert all(isinstance(w["count"], int) for w in target["log_warnings"].values())
    markdown = (out / "live.md").read_text()
    assert "Distributed stack, through the gateway" in markdown
    assert "Embedded (`projectconnect dev`, SQLite), directly" in markdown
    assert markdown.count("memory per open stream") == 2
