"""`make chaos`, or

    python -m chaos [--users 30] [--seconds 600] [--faults SCHEDULE] [--seed 1] [--out DIR]

Runs the stack behind proxies, N users writing through the gateway, the faults one at a
time; verifies every acknowledged write; prints the table and exits 1 if a check failed.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path

from chaos.faults import __doc__ as FAULTS_HELP
from chaos.report import STALE_READS_FAIL
from chaos.run import LONG_SCHEDULE, SHORT_SCHEDULE, Options, run


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chaos",
        description="Soak the distributed stack under faults and verify every acknowledged write.",
        epilog=FAULTS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=30, help="simulated users (1-250)")
    parser.add_argument("--seconds", type=float, default=600.0, help="length of the run")
    parser.add_argument(
        "--faults",
        default=LONG_SCHEDULE,
        help=f"the schedule (default: {LONG_SCHEDULE}; short: {SHORT_SCHEDULE})",
    )
    parser.add_argument("--seed", type=int, default=1, help="the users' random choices")
    parser.add_argument("--think", type=float, default=0.15, help="mean pause between requests")
    parser.add_argument("--out", type=Path, help="keep the stack's logs and the table here")
    parser.add_argument(
        "--fail-on-stale-reads",
        action=argparse.BooleanOptionalAction,
        default=STALE_READS_FAIL,
        help="count stale reads as a failure",
    )
    args = parser.parse_args(argv)
    options = Options(
        users=args.users,
        seconds=args.seconds,
        faults=args.faults,
        seed=args.seed,
        think=args.think,
        command=shlex.join(["python", "-m", "chaos", *argv]),
    )
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        report = run(options, args.out.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="chaos-") as scratch:
            report = run(options, Path(scratch))
    table = report.table()
    print(table)
    if args.out:
        (args.out / "report.md").write_text(table + "\n")
    problems = report.problems(stale_reads_fail=args.fail_on_stale_reads)
    if problems:
        print(f"\nFAILED: {'; '.join(problems)}", file=sys.stderr)
        return 1
    print("\npassed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
