"""OpenTelemetry tracing: off unless the standard OTEL_* variables configure an exporter.

When on, FastAPI, SQLAlchemy, Redis and aio-pika are instrumented, and W3C trace context
travels from the gateway's request through the outbox row and RabbitMQ's message headers
to the consumer, so one account deletion is one trace. Span attributes carry ids and
statements, never request bodies, headers or personal data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace.export import SpanExporter
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.types import Scope

tracer = trace.get_tracer("projectconnect")
_configured = False


class TracingSettings(BaseSettings):
    """The OTEL_* variables that decide whether traces are exported at all."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    traces_exporter: str | None = Field(default=None, validation_alias="OTEL_TRACES_EXPORTER")
    endpoint: str | None = Field(default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    traces_endpoint: str | None = Field(
        default=None, validation_alias="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    sdk_disabled: bool = Field(default=False, validation_alias="OTEL_SDK_DISABLED")

    @property
    def enabled(self) -> bool:
        if self.sdk_disabled or self.traces_exporter == "none":
            return False
        return bool(self.traces_exporter or self.endpoint or self.traces_endpoint)


def configure_tracing(service_name: str, exporter: SpanExporter | None = None) -> bool:
    """Install a tracer provider and the instrumentations, once per process.

    `exporter` replaces OTLP (tests use an in-memory one); without it, OTEL_* decide.
    """
    global _configured
    if _configured:
        return True
    if exporter is None and not TracingSettings().enabled:
        return False
    from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    # Resource.create reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES over this default.
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    RedisInstrumentor().instrument()
    AioPikaInstrumentor().instrument()
    _configured = True
    return True


def enabled() -> bool:
    """Whether this process traces (configure_tracing installed a provider)."""
    return _configured


@contextmanager
def server_span(scope: Scope, route: str) -> Iterator[Span]:
    """The span of a request answered ahead of FastAPI's instrumentation (a fast path), in
    the trace its headers name, as the instrumentation would have named it."""
    carrier = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    method = scope["method"]
    with tracer.start_as_current_span(
        f"{method} {route}",
        context=propagate.extract(carrier),
        kind=trace.SpanKind.SERVER,
        attributes={"http.method": method, "http.route": route, "http.target": scope["path"]},
    ) as span:
        yield span


def instrument_app(app: FastAPI) -> None:
    if _configured:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, excluded_urls="health/live,health/ready,metrics")


def instrument_engine(engine: AsyncEngine) -> None:
    """Trace one engine's statements (each service holds one or two engines)."""
    if _configured:
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.metrics import get_meter

        # The instrumentor is a one-engine singleton; its EngineTracer attaches to any engine.
        usage = get_meter("projectconnect").create_up_down_counter(
            "db.client.connections.usage", unit="connections"
        )
        EngineTracer(  # type: ignore[no-untyped-call]
            trace.get_tracer("opentelemetry.instrumentation.sqlalchemy"),
            engine.sync_engine,
            usage,
        )


def current_context_json() -> str | None:
    """The current trace context as W3C headers, to store with an outbox event."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return json.dumps(carrier) if carrier else None


def context_from_json(value: str | None) -> Context | None:
    if not value:
        return None
    carrier = json.loads(value)
    return propagate.extract(carrier) if isinstance(carrier, dict) else None
