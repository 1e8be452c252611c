"""The observability configuration under deploy/: Prometheus, its rules, Grafana, the collector.

promtool checks the Prometheus configuration and rules and runs the rules' unit tests; the
rest is read with PyYAML and json and checked for the mistakes that would otherwise show
only on a running stack: an alert without a test, a dashboard querying a metric nobody
exports, a panel pointing at a datasource that is not provisioned, a pipeline naming a
component that is not configured.

Without promtool the promtool tests skip, saying so (Debian: `apt-get install prometheus`);
with CI=true they fail instead.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import yaml  # PyYAML ships no stubs; types-PyYAML is not installed
from prometheus_client import Counter, Gauge, Histogram

from projectconnect.infra import metrics
from tests.support.services import require

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
RULES_DIR = DEPLOY / "prometheus" / "rules"
RULES_FILE = RULES_DIR / "projectconnect.yml"
RULES_TESTS = DEPLOY / "prometheus" / "tests" / "projectconnect_test.yml"
GRAFANA = DEPLOY / "grafana"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "prometheus.yml"
DASHBOARD_PROVIDERS = GRAFANA / "provisioning" / "dashboards" / "projectconnect.yml"
DASHBOARDS_DIR = GRAFANA / "dashboards"
COLLECTOR = DEPLOY / "otel" / "collector.yaml"

EXPECTED_DASHBOARDS = {
    "service-overview.json",
    "events-pipeline.json",
    "caches.json",
    "authentication.json",
}

# What the services export (src/projectconnect/infra/metrics.py); histograms also as
# _bucket, _sum and _count.
APP_METRICS = frozenset(
    {
        "http_requests_total",
        "outbox_backlog_events",
        "outbox_oldest_event_age_seconds",
        "events_published_total",
        "events_publish_failures_total",
        "events_consumed_total",
        "events_handler_failures_total",
        "events_dead_lettered_total",
        "cache_requests_total",
        "cache_errors_total",
        "auth_logins_total",
        "throttled_total",
        "db_pool_connections_in_use",
        "projectconnect_build_info",
    }
)
APP_HISTOGRAMS = frozenset({"http_request_duration_seconds", "db_pool_wait_seconds"})
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# Series Prometheus itself makes, and exporters whose names we accept by prefix.
STANDARD_METRICS = frozenset({"up"})
STANDARD_PREFIXES = ("rabbitmq_",)


def load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    assert isinstance(document, dict), f"{path} is not a YAML mapping"
    return cast(dict[str, Any], document)


def load_json(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path} is not a JSON object"
    return cast(dict[str, Any], document)


# --------------------------------------------------------------------------- promtool


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        require(
            "promtool",
            FileNotFoundError("promtool is not on PATH (Debian: apt-get install prometheus)"),
        )
        raise AssertionError("require() skips or fails")  # pragma: no cover
    return path


def run_promtool(promtool: str, *args: str) -> str:
    # promtool resolves rule_files relative to the file naming them, whatever the cwd.
    result = subprocess.run(
        [promtool, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    output = f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert result.returncode == 0, f"promtool {' '.join(args)} exited {result.returncode}\n{output}"
    return output


def test_prometheus_config_is_valid(promtool: str) -> None:
    output = run_promtool(promtool, "check", "config", str(PROMETHEUS_CONFIG))
    # The rules glob must find the rules file, or alerts would silently never load.
    assert "1 rule files found" in output, output


def test_rules_are_valid(promtool: str) -> None:
    rule_files = sorted(RULES_DIR.glob("*.yml"))
    assert RULES_FILE in rule_files
    run_promtool(promtool, "check", "rules", *map(str, rule_files))


def test_rules_unit_tests_pass(promtool: str) -> None:
    output = run_promtool(promtool, "test", "rules", str(RULES_TESTS))
    assert "SUCCESS" in output, output


# ----------------------------------------------------------------- prometheus config


def test_prometheus_scrapes_every_service() -> None:
    config = load_yaml(PROMETHEUS_CONFIG)
    jobs = {
        job["job_name"]: (
            job.get("metrics_path", "/metrics"),
            [target for static in job["static_configs"] for target in static["targets"]],
        )
        for job in config["scrape_configs"]
    }
    assert jobs == {
        "auth": ("/metrics", ["auth:8000"]),
        "projects": ("/metrics", ["projects:8000"]),
        "relay": ("/metrics", ["relay:9464"]),
        "consumer": ("/metrics", ["consumer:9464"]),
        "mailer": ("/metrics", ["mailer:9464"]),
        "rabbitmq": ("/metrics", ["rabbitmq:15692"]),
        "rabbitmq-detailed": ("/metrics/detailed", ["rabbitmq:15692"]),
        "nginx": ("/metrics", ["nginx-exporter:9113"]),
        "redis": ("/metrics", ["redis-exporter:9121"]),
        "postgres": ("/metrics", ["postgres-exporter:9187"]),
    }
    detailed = next(j for j in config["scrape_configs"] if j["job_name"] == "rabbitmq-detailed")
    # The per-queue series the dead-letter and consumer alerts read come from these families.
    assert set(detailed["params"]["family"]) >= {"queue_coarse_metrics", "queue_consumer_count"}
    assert config["rule_files"] == ["rules/*.yml"]


# --------------------------------------------------------------------- rules and tests


def rule_groups() -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], load_yaml(RULES_FILE)["groups"])


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in rule_groups() for rule in group["rules"] if "alert" in rule]


def recorded_names() -> set[str]:
    return {
        rule["record"] for group in rule_groups() for rule in group["rules"] if "record" in rule
    }


def test_every_alert_has_severity_summary_and_description() -> None:
    rules = alert_rules()
    assert rules, "no alert rules found"
    for rule in rules:
        assert rule.get("labels", {}).get("severity") in {"critical", "warning"}, rule["alert"]
        annotations = rule.get("annotations", {})
        assert annotations.get("summary"), f"{rule['alert']} has no summary"
        assert annotations.get("description"), f"{rule['alert']} has no description"


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    tests = load_yaml(RULES_TESTS)
    # The unit tests must load the very rules file checked here.
    (rule_file,) = tests["rule_files"]
    assert (RULES_TESTS.parent / rule_file).resolve() == RULES_FILE.resolve()

    firing: set[str] = set()
    quiet: set[str] = set()
    for case in tests["tests"]:
        for alert_test in case.get("alert_rule_test", []):
            name = alert_test["alertname"]
            (firing if alert_test.get("exp_alerts") else quiet).add(name)

    alerts = {rule["alert"] for rule in alert_rules()}
    assert not alerts - firing, f"alerts without a case where they fire: {sorted(alerts - firing)}"
    assert not alerts - quiet, (
        f"alerts without a case where they stay quiet: {sorted(alerts - quiet)}"
    )
    # A misspelt alertname would pass vacuously in promtool: nothing fires under that name.
    assert not (firing | quiet) - alerts, (
        f"tests for unknown alerts: {sorted((firing | quiet) - alerts)}"
    )


# --------------------------------------------------------------------------- PromQL

PROMQL_KEYWORDS = frozenset(
    {
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "inf",
        "nan",
        "atan2",
    }
)


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (a small lexer, enough for our queries)."""
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    # Label lists of aggregations and vector matching.
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\{[^}]*\}|\$\w+", " ", text)  # Grafana variables
    # Numbers and durations: 0.99, 1e3, 5m (not the digits inside a name).
    text = re.sub(r"(?<![\w:])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[a-zA-Z]*", " ", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        token = match.group()
        is_function = text[match.end() :].lstrip().startswith("(")
        if not is_function and token.lower() not in PROMQL_KEYWORDS:
            names.add(token)
    return names


def known_metric(name: str) -> bool:
    histogram_series = {f"{h}{suffix}" for h in APP_HISTOGRAMS for suffix in HISTOGRAM_SUFFIXES}
    return (
        name in APP_METRICS
        or name in histogram_series
        or name in STANDARD_METRICS
        or name.startswith(STANDARD_PREFIXES)
        or name in recorded_names()
    )


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            'sum by (job) (rate(http_requests_total{status=~"5.."}[5m]))'
            " / on (job) group_left sum by (job) (rate(http_requests_total[$__rate_interval]))",
            {"http_requests_total"},
        ),
        (
            "histogram_quantile(0.99, sum by (job, le) (rate(db_pool_wait_seconds_bucket[5m])))"
            " > 1e3 and up offset 5m",
            {"db_pool_wait_seconds_bucket", "up"},
        ),
        (
            'label_replace(up, "dst", "$1", "instance", "(.*):.*") unless absent(nope)',
            {"up", "nope"},
        ),
        ("job:http_requests:rate5m * 100", {"job:http_requests:rate5m"}),
    ],
)
def test_metric_names_finds_what_an_expression_selects(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_rules_query_only_known_metrics() -> None:
    for group in rule_groups():
        for rule in group["rules"]:
            unknown = {name for name in metric_names(rule["expr"]) if not known_metric(name)}
            assert not unknown, f"{rule.get('alert') or rule.get('record')} queries {unknown}"


def test_known_metrics_are_exported_by_the_services() -> None:
    exported: set[str] = set()
    for value in vars(metrics).values():
        if isinstance(value, Counter):
            exported |= {f"{family.name}_total" for family in value.describe()}
        elif isinstance(value, Gauge):
            exported |= {family.name for family in value.describe()}
        elif isinstance(value, Histogram):
            exported |= {
                f"{family.name}{suffix}"
                for family in value.describe()
                for suffix in HISTOGRAM_SUFFIXES
            }
    histogram_series = {f"{h}{suffix}" for h in APP_HISTOGRAMS for suffix in HISTOGRAM_SUFFIXES}
    missing = (APP_METRICS | histogram_series) - exported
    assert not missing, f"dashboards and rules use metrics the services do not export: {missing}"


# -------------------------------------------------------------------------- Grafana


def dashboard_paths() -> list[Path]:
    return sorted(DASHBOARDS_DIR.glob("*.json"))


def provisioned_datasource() -> dict[str, str]:
    (datasource,) = load_yaml(DATASOURCES)["datasources"]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    return {"type": datasource["type"], "uid": datasource["uid"]}


def all_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))  # panels inside (collapsed) rows


def test_dashboards_are_provisioned_from_their_directory() -> None:
    assert {path.name for path in dashboard_paths()} == EXPECTED_DASHBOARDS
    (provider,) = load_yaml(DASHBOARD_PROVIDERS)["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_dashboard_uids_are_unique() -> None:
    uids = [load_json(path)["uid"] for path in dashboard_paths()]
    assert all(isinstance(uid, str) and uid for uid in uids), uids
    assert len(set(uids)) == len(uids), uids


@pytest.mark.parametrize("path", dashboard_paths(), ids=lambda path: path.name)
def test_dashboard(path: Path) -> None:
    board = load_json(path)
    datasource = provisioned_datasource()
    assert board["title"]
    assert 36 <= board["schemaVersion"] <= 41

    queries: list[tuple[str, str]] = []
    for panel in all_panels(board["panels"]):
        where = f"{path.name}: panel {panel.get('title')!r}"
        assert isinstance(panel.get("id"), int), f"{where} has no id"
        if panel["type"] == "row":
            continue
        assert panel.get("datasource") == datasource, where
        assert panel.get("targets"), f"{where} has no queries"
        for target in panel["targets"]:
            assert target.get("datasource", datasource) == datasource, where
            assert target.get("expr"), f"{where} has an empty query"
            queries.append((where, target["expr"]))
    ids = [panel["id"] for panel in all_panels(board["panels"])]
    assert len(set(ids)) == len(ids), f"{path.name}: panel ids repeat"

    for variable in board.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        where = f"{path.name}: variable {variable['name']!r}"
        assert variable.get("datasource") == datasource, where
        query = (
            variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        )
        # label_values(metric, label): only the first argument selects series.
        label_values = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", query)
        queries.append((where, label_values.group(1) if label_values else query))

    assert queries, f"{path.name} has no queries"
    for where, expr in queries:
        names = metric_names(expr)
        assert names, f"{where}: no metric found in {expr!r}"
        unknown = {name for name in names if not known_metric(name)}
        assert not unknown, f"{where} queries unknown metrics {unknown}: {expr!r}"


# ------------------------------------------------------------------------- collector


def test_collector_traces_pipeline_uses_only_defined_components() -> None:
    config = load_yaml(COLLECTOR)
    service = config["service"]
    traces = service["pipelines"]["traces"]
    for kind in ("receivers", "processors", "exporters"):
        assert traces[kind], f"the traces pipeline has no {kind}"
        undefined = set(traces[kind]) - set(config.get(kind) or {})
        assert not undefined, f"the traces pipeline names undefined {kind}: {undefined}"
    undefined_extensions = set(service.get("extensions", [])) - set(config.get("extensions") or {})
    assert not undefined_extensions, undefined_extensions
    assert "health_check" in service["extensions"]

    # memory_limiter goes first, batch last; the redaction runs on everything exported.
    processors = traces["processors"]
    assert processors[0] == "memory_limiter"
    assert processors[-1] == "batch"
    deleted = {
        action["key"]
        for name in processors
        if name.split("/")[0] == "attributes"
        for action in config["processors"][name]["actions"]
        if action["action"] == "delete"
    }
    assert {"http.request.header.authorization", "enduser.id"} <= deleted
    assert config["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger:4317"
