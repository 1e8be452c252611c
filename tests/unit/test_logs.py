"""Log lines carry the service, the request id, and the trace and span ids."""

from __future__ import annotations

import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from projectconnect.infra.logs import log_handler
from projectconnect.infra.requestid import request_id


def _logger(stream: io.StringIO, log_format: str) -> logging.Logger:
    logger = logging.getLogger(f"test.logs.{log_format}")
    logger.handlers = [log_handler("projects", log_format, stream)]  # type: ignore[arg-type]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_a_json_line_has_every_field_and_the_ids_of_its_context() -> None:
    stream = io.StringIO()
    logger = _logger(stream, "json")
    tracer = TracerProvider().get_tracer("test")
    token = request_id.set("req-12345678")
    try:
        with tracer.start_as_current_span("work") as span:
            logger.info("handled %s", "thing")
            context = span.get_span_context()
    finally:
        request_id.reset(token)
    line = json.loads(stream.getvalue())
    assert line["message"] == "handled thing"
    assert line["level"] == "INFO"
    assert line["service"] == "projects"
    assert line["request_id"] == "req-12345678"
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")
    assert line["time"].endswith("+00:00")


def test_outside_a_request_and_a_trace_the_ids_are_empty() -> None:
    stream = io.StringIO()
    _logger(stream, "json").warning("idle")
    line = json.loads(stream.getvalue())
    assert (line["request_id"], line["trace_id"], line["span_id"]) == ("-", None, None)


def test_the_readable_format_shows_the_request_id() -> None:
    stream = io.StringIO()
    token = request_id.set("req-abcdefgh")
    try:
        _logger(stream, "text").info("hello")
    finally:
        request_id.reset(token)
    assert "[req-abcdefgh] hello" in stream.getvalue()
