"""The tasks part of the bench report: its reads and the ratio of each between the sizes."""

from __future__ import annotations

from bench.run import ratio_table, task_ratios, task_reads
from bench.task_fields import COMMON_WORD, RARE_WORD


def _row(name: str, p50: float, p99: float, rps: float) -> dict[str, object]:
    return {"name": name, "p50_ms": p50, "p99_ms": p99, "rps": rps}


def test_each_read_is_compared_between_the_sizes() -> None:
    rows = [
        _row("10,000 tasks: My tasks", 4.0, 10.0, 900.0),
        _row("10,000 tasks: board", 20.0, 40.0, 300.0),
        _row("10,000,000 tasks: My tasks", 5.0, 12.0, 800.0),
        _row("10,000,000 tasks: board", 50.0, 100.0, 100.0),
    ]
    ratios = {r["read"]: r for r in task_ratios(rows)}
    assert ratios["My tasks"]["p50_ratio"] == 1.25
    assert ratios["My tasks"]["p99_ratio"] == 1.2
    assert ratios["board"]["p50_ratio"] == 2.5
    assert ratios["board"]["sizes"] == ["10,000 tasks", "10,000,000 tasks"]
    table = ratio_table(list(ratios.values()))
    assert "| p50 ms 10,000 tasks | p50 ms 10,000,000 tasks |" in table
    assert "| board | 20.00 | 50.00 | 2.5x |" in table


def test_the_reads_cover_the_list_the_board_search_and_my_tasks() -> None:
    reads = task_reads("b0a7d")
    paths = [path for _, scenario, path in reads if scenario == "path"]
    assert "/projects/b0a7d/tasks?status=todo&assignee=me&sort=due_date" in paths
    assert f"/search?q={RARE_WORD}" in paths
    assert f"/search?q={COMMON_WORD}" in paths
    assert "/me/tasks" in paths
    columns = [path for read, _, path in reads if read.startswith("board column")]
    assert columns == [
        f"/projects/b0a7d/tasks?status={status}&sort=position&limit=100"
        for status in ("backlog", "todo", "in_progress", "done", "cancelled")
    ]


def test_the_board_is_its_columns_added_up() -> None:
    rows = [
        _row(f"{size}: board column {status}", p50, p50 * 2, 1000 / p50)
        for size, p50 in (("small", 2.0), ("large", 3.0))
        for status in ("backlog", "todo")
    ]
    board = next(r for r in task_ratios(rows) if r["read"].startswith("board, its 2 columns"))
    assert board["p50_ms"] == [4.0, 6.0]
    assert board["p99_ms"] == [8.0, 12.0]
    # Whole boards a second: two columns of 500 req/s each make 250 boards.
    assert board["rps"] == [250.0, 166.7]
    assert board["p50_ratio"] == 1.5
