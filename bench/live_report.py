"""Figures of the live-updates benchmark (bench/live.py): percentiles, the service's lag
histogram, and the markdown report."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

LAG = "live_notice_lag_seconds"
SENT = "live_notices_sent_total"
OPEN = "live_streams_open"
# What can go wrong on the way, counted by the service.
ERRORS = frozenset(
    {
        "cache_errors_total",
        "live_feed_errors_total",
        "live_publish_failures_total",
        "live_streams_refused_total",
    }
)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def spread_ms(seconds: Sequence[float]) -> dict[str, float | int | None]:
    """p50, p99 and max of `seconds`, in milliseconds, and how many there were."""

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 2)

    return {
        "count": len(seconds),
        "p50_ms": ms(percentile(seconds, 50)),
        "p99_ms": ms(percentile(seconds, 99)),
        "max_ms": ms(max(seconds) if seconds else None),
    }


def scrape(text: str) -> dict[str, Any]:
    """From a service's /metrics: the lag histogram's cumulative buckets, notices sent and
    streams open (summed over label sets and worker processes)."""
    buckets: dict[float, float] = {}
    sent = streams = 0.0
    errors: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in ERRORS:
                what = ",".join([sample.name, *sample.labels.values()])
                errors[what] = errors.get(what, 0.0) + sample.value
            elif sample.name == f"{LAG}_bucket":
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0.0) + sample.value
            elif sample.name == SENT:
                sent += sample.value
            elif sample.name == OPEN:
                streams += sample.value
    return {"buckets": buckets, "sent": sent, "streams": streams, "errors": errors}


def errors_since(after: Mapping[str, float], before: Mapping[str, float]) -> dict[str, float]:
    """The error counters that grew, and by how much."""
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v > before.get(k, 0.0)}


def histogram_delta(
    after: Mapping[float, float], before: Mapping[float, float]
) -> dict[float, float]:
    return {bound: count - before.get(bound, 0.0) for bound, count in after.items()}


def histogram_quantile(buckets: Mapping[float, float], q: float) -> float | None:
    """Prometheus's histogram_quantile over cumulative `buckets` (bound -> count), q in 0-1:
    linear within the bucket the rank falls in; the last finite bound when it is past it."""
    ordered = sorted(buckets.items())
    if not ordered or ordered[-1][1] <= 0:
        return None
    rank = q * ordered[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in ordered:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                count - lower_count
            )
        lower_bound, lower_count = bound, count
    return lower_bound


def server_lag(buckets: Mapping[float, float]) -> dict[str, float | int | None]:
    """p50 and p99 of the service's commit-to-sent histogram, in milliseconds."""

    def ms(q: float) -> float | None:
        value = histogram_quantile(buckets, q)
        return None if value is None else round(value * 1000, 2)

    total = max(buckets.values()) if buckets else 0
    return {"count": int(total), "p50_ms": ms(0.5), "p99_ms": ms(0.99)}


def median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


# --- markdown ---


def _f(value: float | None, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{unit}"


def _target(value: float | None, limit_ms: float) -> str:
    if value is None:
        return "no figure"
    return "met" if value <= limit_ms else "**missed**"


def _ends(ends: Mapping[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in ends.items()) or "none"


def render_target(r: dict[str, Any]) -> str:
    h, m, idle, lst = r["headline"], r["memory"], r["idle"], r["list"]
    s = r["streams"]
    stopped = f"**The run stopped early: {r.get('error')}**; what it measured before is below."
    lines = [
        f"### {r['target']}",
        "",
        *([stopped, ""] if r.get("error") else []),
        f"{s['opened']} streams open ({s['people']} people; {s['subscribers']} of the streams "
        f"are members of the workspace written to), opened in {_f(s['seconds_to_open'])} s; "
        f"{h['writes']} writes at {r['options']['rate']:g}/s, repeated {len(r['phases']) // 2} "
        f"times; load average {r['load_average']['start'][0]:.2f} at the start, "
        f"{_f(r['load_average']['max_1min'], 2)} at most (1-minute) during the run.",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| lag, write's request sent → notice received (upper bound of commit → received), "
        f"p50 / p99 / max | {_f(h['from_request']['p50_ms'])} / "
        f"{_f(h['from_request']['p99_ms'])} / {_f(h['from_request']['max_ms'])} ms "
        f"| p99 ≤ {r['target_ms']:g} ms: {_target(h['from_request']['p99_ms'], r['target_ms'])} |",
        f"| lag, write's response received → notice received, p50 / p99 / max "
        f"| {_f(h['from_response']['p50_ms'])} / {_f(h['from_response']['p99_ms'])} / "
        f"{_f(h['from_response']['max_ms'])} ms "
        f"| {_target(h['from_response']['p99_ms'], r['target_ms'])} |",
        f"| lag, the service's `{LAG}` (commit → sent), p50 / p99 (histogram, interpolated) "
        f"| {_f(h['server']['p50_ms'])} / {_f(h['server']['p99_ms'])} ms "
        f"| {_target(h['server']['p99_ms'], r['target_ms'])} |",
        "| p99 of each repeat (request → received) | "
        + " / ".join(_f(p, 1) for p in h["p99_by_repeat_ms"])
        + " ms | |",
        f"| notices received / expected | {h['received']} / {h['expected']} | all |",
        f"| memory per open stream (RSS {_f(m['rss_before_mib'])} → {_f(m['rss_after_mib'])} "
        f"MiB) | {_f(m['per_stream_kib'])} KiB | |",
        f"| CPU per notice sent, all of the process's CPU over the writes / notices "
        f"| {_f(h['cpu_per_notice_us'], 0)} µs | |",
        f"| CPU per notice sent, over the same writes with no subscriber "
        f"| {_f(h['delivery_cpu_per_notice_us'], 0)} µs | |",
        f"| CPU of the open streams at rest | {_f(idle['cpu_percent'])} % of a core "
        f"({_f(idle['cpu_ms_per_stream_per_s'], 3)} ms per stream per second; "
        f"{idle['reconnects']} streams reopened meanwhile) | |",
        f"| streams reopened during the run (why they ended) | {_ends(r['stream_ends'])} | 0 |",
        f"| cached GET /projects {lst['where']}, {lst['connections']} connections, "
        f"median of {lst['rounds_each']} rounds: without streams / with streams "
        f"| {_f(lst['median_rps_without'], 0)} / {_f(lst['median_rps_with'], 0)} req/s "
        f"(**{_f(lst['ratio'], 2)}x**), p99 {_f(lst['median_p99_without_ms'])} / "
        f"{_f(lst['median_p99_with_ms'])} ms | |",
        "",
        f"Client: {_f(r['client']['cpu_percent'])} % of a core while the notices arrived, "
        f"its event loop late by {_f(r['client']['loop_lag_p99_ms'], 2)} ms at p99 "
        f"({_f(r['client']['loop_lag_max_ms'], 1)} ms at most).",
        "",
        "| list round | streams | open (service) | req/s | p50 ms | p99 ms | errors | SQL/req "
        "| stream process CPU % | streams reopened | load average |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in lst["rounds"]:
        lines.append(
            f"| {row['round']} | {row['state']} | {_f(row.get('streams_open'), 0)} "
            f"| {row['rps']:,.0f} | {row['p50_ms']:.2f} "
            f"| {row['p99_ms']:.2f} | {row['errors']} | {_f(row['sql_per_request'], 2)} "
            f"| {_f(row['stream_process_cpu_percent'], 0)} | {row['reconnects']} "
            f"| {row['load_average']:.2f} |"
        )
    lines += [
        "",
        "| write phase | writes (failed) | notices received / expected "
        "| request → received p50 / p99 ms | service p50 / p99 ms | process CPU s "
        "| streams reopened (why they ended) | service errors | load average |",
        "|---|---:|---:|---|---|---:|---|---|---:|",
    ]
    for p in r["phases"]:
        failed = ", ".join(f"{k}: {v}" for k, v in p["failed_writes"].items()) or "0"
        errors = ", ".join(f"{k} {v:g}" for k, v in p["service_errors"].items()) or "-"
        ends = ", ".join(f"{k}: {v}" for k, v in p["stream_ends"].items()) or "-"
        lines.append(
            f"| {p['name']} | {p['writes']} ({failed}) | {p['received']} / {p['expected']} "
            f"| {_f(p['from_request']['p50_ms'])} / {_f(p['from_request']['p99_ms'])} "
            f"| {_f(p['server']['p50_ms'])} / {_f(p['server']['p99_ms'])} "
            f"| {p['process_cpu_seconds']:.2f} | {p['reconnects']} ({ends}) | {errors} "
            f"| {p['load_average']:.2f} |"
        )
    for name, found in r["log_warnings"].items():
        lines.append(f"\n{name}: {found['count']} warning or error lines.")
        lines += [f"    {count} x {kind}" for kind, count in found.get("kinds", {}).items()]
        lines += ["", "First of them:", ""]
        lines += [f"    {line}" for record in found["first"] for line in record.splitlines()]
    return "\n".join(lines)


def render(report: dict[str, Any]) -> str:
    parts = [
        f"Run {report['started']} on {report['machine']}",
        f"Command: `{report['command']}`",
        *(render_target(r) for r in report["targets"]),
    ]
    return "\n\n".join(parts) + "\n"
