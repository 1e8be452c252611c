"""The database paths' part of the bench report: each path's rounds in one line."""

from __future__ import annotations

from bench.run import dbpaths_table


def _round(path: str, rps: float, cpu: int, statuses: dict[str, int]) -> dict[str, object]:
    return {
        "path": path,
        "rps": rps,
        "p50_ms": 1000 / rps,
        "p99_ms": 4000 / rps,
        "errors": sum(statuses.values()),
        "non_2xx": sum(statuses.values()),
        "statuses": statuses,
        "cpu_us_per_request": cpu,
        "sql_per_request": 1.0,
    }


def test_each_path_shows_its_medians_and_every_round_s_errors() -> None:
    rows = [
        _round("GET /projects", 100.0, 3000, {}),
        _round("POST /projects", 50.0, 9000, {"503": 2}),
        _round("GET /projects", 400.0, 1000, {}),
        _round("POST /projects", 40.0, 8000, {"503": 3, "500": 1}),
        _round("GET /projects", 200.0, 2000, {}),
        _round("POST /projects", 80.0, 7000, {}),
    ]
    lines = dbpaths_table(rows).splitlines()
    assert lines[2] == "| GET /projects | 200 | 5.00 | 20.00 | 2,000 | 1.0 | 0 | - |"
    assert lines[3] == "| POST /projects | 50 | 20.00 | 80.00 | 8,000 | 1.0 | 6 | 500: 1, 503: 5 |"
    assert len(lines) == 4
