"""Process-wide logging, each record with its request id and trace and span ids.

JSON lines (`LOG_FORMAT=json`, what the services and workers write by default) for log
collectors; a readable line in the embedded mode. Every request writes an access line, so
a line is built directly from the record's fixed fields: a generic formatter that looks
for extra attributes on every record cost a request more than its cached answer.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Literal, TextIO

from opentelemetry import trace
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from projectconnect.infra.requestid import request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class LogSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    log_format: Literal["json", "text"] | None = Field(default=None, validation_alias="LOG_FORMAT")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")


class ContextFilter(logging.Filter):
    """Adds service, request id, and the current trace and span ids to every record."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = request_id.get()
        context = trace.get_current_span().get_span_context()
        record.trace_id = format(context.trace_id, "032x") if context.is_valid else None
        record.span_id = format(context.span_id, "016x") if context.is_valid else None
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record: time (ISO 8601, UTC), level, service, logger, request
    and trace ids, message, and the traceback of an exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "service": getattr(record, "service", None),
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
            "trace_id": getattr(record, "trace_id", None),
            "span_id": getattr(record, "span_id", None),
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


def log_handler(
    service: str, log_format: Literal["json", "text"], stream: TextIO = sys.stderr
) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter(service))
    if log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(service: str, *, default_format: Literal["json", "text"] = "json") -> None:
    """Idempotent: a second call (a reloaded app factory) adds no second handler."""
    root = logging.getLogger()
    if any(getattr(h, "projectconnect", False) for h in root.handlers):
        return
    settings = LogSettings()
    handler = log_handler(service, settings.log_format or default_format)
    handler.projectconnect = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # What no line shows is not gathered for each record either: the caller's file and
    # line, its thread and process names.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # Our access line carries the request id; uvicorn's own would repeat it without.
    logging.getLogger("uvicorn.access").disabled = True
    # Outgoing calls (JWKS, health checks) and pool bookkeeping are not worth a line each.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("projectconnect.infra.db.TimedPool").setLevel(logging.WARNING)
