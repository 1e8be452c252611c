"""Cached GET /projects of two versions of the code, interleaved in one run window.

    python -m bench.ab --side before=/path/to/worktree-a --side after=. \\
        [--rounds 3] [--seconds 10] [--out bench/results/ab]

Each side is a git worktree with its own `make install` (its .venv). The side's own
bench.run seeds a pair of databases with the side's own seeder (1 000 users, 10 000
projects, 100 000 tasks), once per side. Then, round after
round and side after side (A B A B ...), the side's topology starts as `make bench` starts
it (nginx with TLS, auth and projects on uvicorn x2, open rate limits), 64 seeded users
log in, and wrk reads GET /projects through the gateway and then directly, with the
settings of bench.run (64 connections unless `--connections` says otherwise, 2 s warm-up,
then `--seconds`). Every side runs
with its own code (its python, its package, its bench modules); only this driver is
shared. Medians over the rounds go to OUT/ab.json and OUT/ab.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Reads come from the cache, so the database's size does not enter them: a small one
# keeps seeding short (the new seeder adds 100 teams, the old one ignores those fields).
SIZES = {"users": 1_000, "projects": 10_000, "tasks": 100_000, "heavy_owner": 500, "teams": 100}
# What runs inside a side's interpreter, from the side's worktree: only names that every
# version of bench.run and bench.load since the gateway benchmarks has.
SIDE = r"""
import asyncio, dataclasses, json, sys
from pathlib import Path
from bench import run, seed
from bench.load import Counters, ProcessSampler, Wrk, system_pids

action, prefix, runtime = sys.argv[1], sys.argv[2], Path(sys.argv[3])
arguments = json.loads(sys.argv[4])
runtime.mkdir(parents=True, exist_ok=True)
if action == "seed":
    fields = {f.name for f in dataclasses.fields(seed.Sizes)}
    sizes = seed.Sizes(**{k: v for k, v in arguments["sizes"].items() if k in fields})
    seconds = run.prepare_databases(prefix, sizes, runtime / "prepare")
    print("BENCH_AB " + json.dumps({"seconds": seconds, "sizes": repr(sizes)}))
elif action == "measure":
    stack = run.Stack(run._stack_options(runtime / "stack", prefix, run.Server.uvicorn, 2))
    with run.running(stack):
        auth = f"http://127.0.0.1:{run._port(stack, 'auth-0')}"
        projects = f"http://127.0.0.1:{run._port(stack, 'projects-0')}"
        gateway = f"https://127.0.0.1:{stack.options.https_port}"
        users = run.write_users_file(stack, auth, 64, runtime / "users.tsv")
        roles = {
            "gateway": [run._child_pid(stack, "gateway")],
            "auth": [run._child_pid(stack, "auth-0")],
            "projects": [run._child_pid(stack, "projects-0")],
            "redis": system_pids("redis-server"),
        }
        rows = []
        loads = [(f"{where}, {c} connections", url, c) for c in arguments["connections"]
                 for where, url in (("via gateway", gateway), ("direct", projects))]
        for name, url, connections in loads:
            wrk = Wrk(url=url, scenario="projects", users=users, connections=connections,
                      seconds=arguments["seconds"])
            dataclasses.replace(wrk, seconds=2).run()
            before = {k: Counters.scrape(v) for k, v in (("auth", auth), ("projects", projects))}
            process = wrk.start()
            with ProcessSampler({**roles, "wrk": [process.pid]}) as sampler:
                result = Wrk.finish(process)
            sql = {k: Counters.scrape(v).per_request_since(before[k])
                   for k, v in (("auth", auth), ("projects", projects))}
            cpu = {k: round(u.cpu_percent) for k, u in sampler.usage().items() if u.processes}
            rows.append({"load": name, "rps": result.rps, "p50_ms": result.p50_ms,
                         "p90_ms": result.p90_ms, "p99_ms": result.p99_ms,
                         "errors": result.errors, "sql_per_request": sql, "cpu": cpu})
    print("BENCH_AB " + json.dumps(rows))
elif action == "drop":
    asyncio.run(run._drop_databases(prefix))
    asyncio.run(run._clean_up_shared())
    print("BENCH_AB {}")
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def on_side(worktree: Path, action: str, prefix: str, runtime: Path, arguments: Any) -> Any:
    """Run SIDE in the worktree's own interpreter; what it printed after BENCH_AB."""
    command = [str(worktree / ".venv" / "bin" / "python"), "-c", SIDE, action, prefix]
    env = {**os.environ, "PYTHONPATH": str(worktree)}
    done = subprocess.run(  # noqa: S603 - our own code in our own worktrees
        [*command, str(runtime), json.dumps(arguments)],
        cwd=worktree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_AB "):
            return json.loads(line.removeprefix("BENCH_AB "))
    raise RuntimeError(f"{worktree} {action} failed:\n{done.stdout}\n{done.stderr}")


def cpu_ms_per_request(row: dict[str, Any], role: str = "projects") -> float | None:
    """CPU a role spent per request: less sensitive than req/s to what else runs on the host."""
    cpu = row["cpu"].get(role)
    return cpu / 100 * 1000 / row["rps"] if cpu is not None and row["rps"] else None


def summary(runs: dict[str, list[list[dict[str, Any]]]]) -> dict[str, dict[str, Any]]:
    """Per side and load: every round's figures and their medians."""
    out: dict[str, dict[str, Any]] = {}
    for side, rounds in runs.items():
        for load in (row["load"] for row in rounds[0]):
            rows = [row for one in rounds for row in one if row["load"] == load]
            costs = [c for c in map(cpu_ms_per_request, rows) if c is not None]
            out.setdefault(side, {})[load] = {
                "rounds": rows,
                **{
                    f"median_{k}": statistics.median(r[k] for r in rows)
                    for k in ("rps", "p50_ms", "p99_ms")
                },
                "median_projects_cpu_ms": statistics.median(costs) if costs else None,
            }
    return out


def render(report: dict[str, Any]) -> str:
    sides = list(report["sides"])
    lines = [
        f"Run {report['started']}, command: `{report['command']}`",
        "",
        "| side | load | req/s by round | median req/s | median p50 ms | median p99 ms "
        "| errors | projects CPU ms/req (median) | SQL/req | CPU % by role (last round) |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    results = report["results"]
    for side in sides:
        for load, figures in results[side].items():
            rounds = figures["rounds"]
            by_round = " / ".join(f"{r['rps']:,.0f}" for r in rounds)
            errors = sum(r["errors"] for r in rounds)
            sql = ", ".join(
                f"{k} {v:.2f}" for k, v in rounds[-1]["sql_per_request"].items() if v is not None
            )
            cpu = ", ".join(f"{k} {v}" for k, v in rounds[-1]["cpu"].items())
            cost = figures.get("median_projects_cpu_ms")
            lines.append(
                f"| {side} | {load} | {by_round} | {figures['median_rps']:,.0f} "
                f"| {figures['median_p50_ms']:.2f} | {figures['median_p99_ms']:.2f} "
                f"| {errors} | {'-' if cost is None else f'{cost:.3f}'} | {sql} | {cpu} |"
            )
    if len(sides) == 2:
        a, b = sides
        lines.append("")
        for load in results[a]:
            ra, rb = results[a][load], results[b][load]
            cost = ""
            if ra.get("median_projects_cpu_ms") and rb.get("median_projects_cpu_ms"):
                ratio = rb["median_projects_cpu_ms"] / ra["median_projects_cpu_ms"]
                cost = f", projects CPU per request {ratio:.3f}"
            lines.append(
                f"{load}: {b}/{a} median req/s {rb['median_rps'] / ra['median_rps']:.3f}, "
                f"median p99 {rb['median_p99_ms'] / ra['median_p99_ms']:.3f}{cost}"
            )
    return "\n".join(lines) + "\n"


def rerender(out: Path) -> None:
    """OUT/ab.md again from OUT/ab.json's rounds."""
    report = json.loads((out / "ab.json").read_text())
    runs: dict[str, list[list[dict[str, Any]]]] = {}
    for side, loads in report["results"].items():
        for figures in loads.values():
            for i, row in enumerate(figures["rounds"]):
                rounds = runs.setdefault(side, [])
                if len(rounds) <= i:
                    rounds.append([])
                rounds[i].append(row)
    report["results"] = summary(runs)
    (out / "ab.md").write_text(render(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--side", action="append", required=True, help="NAME=WORKTREE, in the order to run"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--connections", default="64", help="Comma-separated; each is measured every round."
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/ab"))
    parser.add_argument("--render", action="store_true", help="Only rewrite OUT/ab.md.")
    args = parser.parse_args()
    if args.render:
        rerender(args.out)
        return
    sides = {name: Path(path).resolve() for name, path in (s.split("=", 1) for s in args.side)}
    scratch = tempfile.TemporaryDirectory(prefix="pcbench-ab-")
    runtime = Path(scratch.name)
    prefixes = {name: f"pcbench_ab_{i}" for i, name in enumerate(sides)}
    report: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(["python", "-m", "bench.ab", *sys.argv[1:]]),
        "sides": {name: str(path) for name, path in sides.items()},
    }
    runs: dict[str, list[list[dict[str, Any]]]] = {name: [] for name in sides}
    connections = [int(c) for c in args.connections.split(",")]
    try:
        seeding = {}
        for name, path in sides.items():
            seeded = on_side(path, "seed", prefixes[name], runtime / name, {"sizes": SIZES})
            seeding[name] = seeded
            log(f"{name}: seeded {seeded['sizes']} in {seeded['seconds']:.1f} s")
        report["seeding"] = seeding
        for round_ in range(args.rounds):
            for name, path in sides.items():
                arguments = {"seconds": args.seconds, "connections": connections}
                rows = on_side(path, "measure", prefixes[name], runtime / name, arguments)
                runs[name].append(rows)
                for row in rows:
                    log(
                        f"round {round_ + 1} {name:<8} {row['load']:<12} {row['rps']:8.0f} req/s"
                        f"  p50 {row['p50_ms']:6.2f}  p99 {row['p99_ms']:6.2f} ms"
                        f"  errors {row['errors']}"
                    )
    finally:
        for name, path in sides.items():
            try:
                on_side(path, "drop", prefixes[name], runtime / name, {})
            except RuntimeError as exc:
                log(f"{name}: {exc}")
        scratch.cleanup()
    report["results"] = summary(runs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ab.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "ab.md").write_text(render(report))
    log(f"wrote {args.out / 'ab.md'}")


if __name__ == "__main__":
    main()
