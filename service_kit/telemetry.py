"""Tracing and structured logs: every request and event carries one W3C trace id end to end.

The ASGI instrumentation wraps the *whole* Litestar app rather than running as a Litestar middleware,
because Litestar only runs middleware for matched routes: a 404 or 405 from the router would otherwise
answer without a span and without ``X-Trace-Id``.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, cast

from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Scope

__all__ = [
    "TRACE_ID_HEADER",
    "JsonLogFormatter",
    "configure_logging",
    "configure_tracing",
    "current_trace_id",
    "instrument_asgi",
    "stamp_trace_id",
]

TRACE_ID_HEADER = "x-trace-id"

_configured_tracing = False


def configure_tracing(service_name: str, exporter: Literal["none", "console", "otlp"]) -> None:
    """Install the SDK tracer provider once per process, so trace ids are real even with no exporter."""
    global _configured_tracing
    if _configured_tracing:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    span_exporter: SpanExporter | None = None
    if exporter == "console":
        span_exporter = ConsoleSpanExporter(out=sys.stderr)
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter()
    if span_exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(provider)
    # Spans for every SQL statement and Redis command, whichever service issues them.
    SQLAlchemyInstrumentor().instrument()
    RedisInstrumentor().instrument()
    _configured_tracing = True


def current_trace_id() -> str | None:
    """The active trace id as 32 lowercase hex digits, or ``None`` outside a trace."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x")


def instrument_asgi(app: ASGIApp) -> ASGIApp:
    """Accept or start a trace for every request (``traceparent`` in, server span around the app)."""
    return cast("ASGIApp", OpenTelemetryMiddleware(app, exclude_spans=["receive", "send"]))


async def stamp_trace_id(message: Message, scope: Scope) -> None:
    """Litestar ``before_send`` hook: every response, errors included, names its trace."""
    if message["type"] != "http.response.start":
        return
    trace_id = current_trace_id()
    if trace_id is None:
        return
    headers = list(message.get("headers", []))
    headers.append((TRACE_ID_HEADER.encode(), trace_id.encode()))
    message["headers"] = headers


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line, carrying the trace id, so logs join up with spans and problems."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if trace_id := record.__dict__.get("trace_id") or current_trace_id():
            entry["trace_id"] = trace_id
        for key in (
            "event_id",
            "event_type",
            "tenant",
            "upstream",
            "client_id",
            "api",
            "version",
            "route",
            "status",
            "latency_ms",
        ):
            if (value := record.__dict__.get(key)) is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(service: str, *, level: str, fmt: Literal["json", "console"]) -> None:
    """Route the root logger to stderr in the chosen format (idempotent)."""
    root = logging.getLogger()
    root.setLevel(level)
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonLogFormatter(service))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.handlers = [handler]
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
