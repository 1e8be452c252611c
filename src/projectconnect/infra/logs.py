"""Process-wide logging, each record with its request id and trace and span ids.

JSON lines (`LOG_FORMAT=json`, what the services and workers write by default) for log
collectors; a readable line in the embedded mode.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

from opentelemetry import trace
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from pythonjsonlogger.json import JsonFormatter

from projectconnect.infra.requestid import request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = " ".join(
    f"%({field})s"
    for field in ("levelname", "service", "name", "request_id", "trace_id", "span_id", "message")
)


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


def log_handler(
    service: str, log_format: Literal["json", "text"], stream: TextIO = sys.stderr
) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter(service))
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                JSON_FIELDS,
                rename_fields={"levelname": "level", "name": "logger"},
                timestamp="time",  # ISO 8601, UTC
            )
        )
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
    # Our access line carries the request id; uvicorn's own would repeat it without.
    logging.getLogger("uvicorn.access").disabled = True
    # Outgoing calls (JWKS, health checks) and pool bookkeeping are not worth a line each.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("projectconnect.infra.db.TimedPool").setLevel(logging.WARNING)
