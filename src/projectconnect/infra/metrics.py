"""Every Prometheus series the services export; /metrics serves them.

With several worker processes (PROMETHEUS_MULTIPROC_DIR set before this module is
imported), each process writes its values to that directory and /metrics adds them up.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

OUTBOX_BACKLOG = Gauge(
    "outbox_backlog_events", "Outbox events not yet published.", multiprocess_mode="max"
)
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_event_age_seconds",
    "Age of the oldest unpublished outbox event.",
    multiprocess_mode="max",
)
OUTBOX_LISTENING = Gauge(
    "outbox_relay_listening",
    "1 while the relay holds its LISTEN connection for outbox commits, else 0.",
    multiprocess_mode="max",
)
EVENTS_PUBLISHED = Counter("events_published_total", "Events the broker confirmed.", ["type"])
PUBLISH_FAILURES = Counter(
    "events_publish_failures_total", "Publish attempts that failed.", ["reason"]
)
EVENTS_CONSUMED = Counter(
    "events_consumed_total", "Events taken from the bus, by outcome.", ["type", "outcome"]
)
HANDLER_FAILURES = Counter(
    "events_handler_failures_total", "Handler attempts that raised.", ["type"]
)
EVENTS_DEAD_LETTERED = Counter(
    "events_dead_lettered_total", "Events given up on and dead-lettered.", ["type"]
)
EVENTS_RETRIED = Counter(
    "events_retries_scheduled_total",
    "Handler failures put back for a later attempt, by why (transient, unknown).",
    ["type", "reason"],
)

MAIL_SENT = Counter("mail_sent_total", "Mail messages handed to the mail server.", ["category"])
MAIL_FAILED = Counter(
    "mail_failed_total",
    "Mail messages given up on (a permanent refusal, an invalid message): dead-lettered.",
    ["category"],
)
MAIL_RETRIED = Counter(
    "mail_retries_total",
    "Deliveries that failed for now (4xx, mail server unreachable) and will be tried again.",
    ["category"],
)
MAIL_QUEUE_AGE = Histogram(
    "mail_queue_age_seconds",
    "Time from a mail's request (its commit) to its delivery.",
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0),
)
MAIL_OUTBOX_BACKLOG = Gauge(
    "mail_outbox_backlog_messages",
    "Mail messages in the outbox not yet handed to the bus, by the service whose outbox.",
    ["service"],
    multiprocess_mode="max",
)
MAIL_OUTBOX_OLDEST_AGE = Gauge(
    "mail_outbox_oldest_message_age_seconds",
    "Age of the oldest mail message still in the outbox, by the service whose outbox.",
    ["service"],
    multiprocess_mode="max",
)

CACHE_REQUESTS = Counter(
    "cache_requests_total", "Cache look-ups by cache and result (hit, miss).", ["cache", "result"]
)
CACHE_ERRORS = Counter(
    "cache_errors_total",
    "Cache calls that failed and were answered as misses.",
    ["cache", "reason"],
)
THROTTLED = Counter("throttled_total", "Requests refused by a throttle.", ["rule"])

# Buckets for an API whose requests take 5 ms to 2 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1.0, 2.0)

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests by method, route template and exact status code.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer HTTP requests, by method, route template and exact status code.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
DB_POOL_IN_USE = Gauge(
    "db_pool_connections_in_use",
    "Database connections checked out of the pool.",
    ["pool"],
    multiprocess_mode="livesum",
)
DB_POOL_WAIT = Histogram(
    "db_pool_wait_seconds",
    "Time spent waiting for a database connection from the pool.",
    ["pool"],
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
)
DB_STATEMENTS = Counter("db_statements_total", "SQL statements sent to the database.", ["pool"])
LOGINS = Counter("auth_logins_total", "Login attempts by outcome.", ["outcome"])
HASHES_SHED = Counter(
    "auth_password_hashes_shed_total",
    "Password hashes refused at once (503) because the process's hashing queue was full.",
)
LIVE_STREAMS = Gauge("live_streams_open", "Live update streams open.", multiprocess_mode="livesum")
LIVE_NOTICES = Counter(
    "live_notices_sent_total", "Change notices sent on live streams, by event.", ["event"]
)
LIVE_LAG = Histogram(
    "live_notice_lag_seconds",
    "Time from a write's commit to its notice leaving on a stream.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
LIVE_REFUSED = Counter("live_streams_refused_total", "Live streams refused, by reason.", ["reason"])
LIVE_PUBLISH_FAILURES = Counter(
    "live_publish_failures_total", "Change notices the feed could not take after a commit."
)
LIVE_FEED_ERRORS = Counter(
    "live_feed_errors_total", "Failed reads of the change feed by a process's hub."
)
BUILD_INFO = Gauge(
    "projectconnect_build_info", "The running version.", ["version"], multiprocess_mode="max"
)


def exposition() -> tuple[bytes, str]:
    """The text /metrics answers, across worker processes when there are several."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
