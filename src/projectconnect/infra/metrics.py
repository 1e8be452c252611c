"""The events pipeline's counters; /metrics exposes them with the rest."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

OUTBOX_BACKLOG = Gauge("outbox_backlog_events", "Outbox events not yet published.")
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_event_age_seconds", "Age of the oldest unpublished outbox event."
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

CACHE_REQUESTS = Counter(
    "cache_requests_total", "Cache look-ups by cache and result (hit, miss).", ["cache", "result"]
)
CACHE_ERRORS = Counter(
    "cache_errors_total",
    "Cache calls that failed and were answered as misses.",
    ["cache", "reason"],
)
THROTTLED = Counter("throttled_total", "Requests refused by a throttle.", ["rule"])
