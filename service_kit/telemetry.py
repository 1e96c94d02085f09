"""Tracing and structured logs: every request and event carries one W3C trace id end to end.

The ASGI instrumentation wraps the *whole* Litestar app rather than running as a Litestar middleware,
because Litestar only runs middleware for matched routes: a 404 or 405 from the router would otherwise
answer without a span and without ``X-Trace-Id``.
"""

from __future__ import annotations

import contextlib
import logging
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, cast

import msgspec
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware, asgi_getter
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags, set_span_in_context
from prometheus_client import Histogram

if TYPE_CHECKING:
    from collections.abc import Sequence

    from litestar.types import ASGIApp, Message, Scope
    from opentelemetry.context import Context
    from opentelemetry.trace import Link
    from opentelemetry.trace.span import TraceState
    from opentelemetry.util.types import Attributes

__all__ = [
    "TRACE_ID_HEADER",
    "JsonLogFormatter",
    "ListenedSampler",
    "configure_logging",
    "configure_tracing",
    "continued_trace",
    "current_trace_id",
    "instrument_asgi",
    "observe_between",
    "stamp_trace_id",
]

TRACE_ID_HEADER = "x-trace-id"

_configured_tracing = False


class ListenedSampler(Sampler):
    """Record spans only while something listens for them.

    Until a span processor is added (an exporter, or a test's in-memory one) every span would be built, filled
    with attributes and thrown away, a cost paid on every request of the gateway's hot path. So until then new
    traces are not sampled: spans still carry real trace ids (``X-Trace-Id``, ``traceparent`` upstream, log
    lines), but the instrumentations skip their attributes. A caller's sampled ``traceparent`` is honoured either
    way (parent-based), so a trace sampled upstream of us stays whole.
    """

    def __init__(self) -> None:
        self.listening = False
        self._listened = ParentBased(ALWAYS_ON)
        self._unlistened = ParentBased(ALWAYS_OFF)

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        sampler = self._listened if self.listening else self._unlistened
        return sampler.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return "ListenedSampler"


class _ListenedTracerProvider(TracerProvider):
    """The SDK provider, telling its :class:`ListenedSampler` when the first span processor arrives."""

    def __init__(self, resource: Resource) -> None:
        self._listened_sampler = ListenedSampler()
        super().__init__(resource=resource, sampler=self._listened_sampler)

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        self._listened_sampler.listening = True


def configure_tracing(
    service_name: str, exporter: Literal["none", "console", "otlp"], otlp_endpoint: str | None = None
) -> None:
    """Install the SDK tracer provider once per process, so trace ids are real even with no exporter (spans are
    recorded only once one listens: :class:`ListenedSampler`). An ``otlp_endpoint`` exports over OTLP/HTTP."""
    global _configured_tracing
    if _configured_tracing:
        return
    provider = _ListenedTracerProvider(resource=Resource.create({"service.name": service_name}))
    span_exporter: SpanExporter | None = None
    if exporter == "console":
        span_exporter = ConsoleSpanExporter(out=sys.stderr)
    elif exporter == "otlp" or otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        traces_url = f"{otlp_endpoint.rstrip('/')}/v1/traces" if otlp_endpoint else None
        span_exporter = OTLPSpanExporter(endpoint=traces_url)
    if span_exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    trace.set_tracer_provider(provider)
    # Spans for every SQL statement and Redis command, whichever service issues them.
    SQLAlchemyInstrumentor().instrument()
    RedisInstrumentor().instrument()
    _configured_tracing = True


@contextlib.contextmanager
def continued_trace(name: str, trace_id: str | None, attributes: Attributes = None) -> Iterator[None]:
    """Work done later on behalf of a request or an event (a consumer, a saga step) joins the trace that began
    it: a span in ``trace_id``, or in a new trace when there is none. Calls and events it makes carry it on."""
    parent = None
    if trace_id:
        remote = SpanContext(
            trace_id=int(trace_id, 16),
            span_id=random.getrandbits(64) or 1,
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
        parent = set_span_in_context(NonRecordingSpan(remote))
    with trace.get_tracer(__name__).start_as_current_span(name, context=parent, attributes=attributes):
        yield


def current_trace_id() -> str | None:
    """The active trace id as 32 lowercase hex digits, or ``None`` outside a trace."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x")


def _listening() -> bool:
    provider = trace.get_tracer_provider()
    return not isinstance(provider, _ListenedTracerProvider) or provider._listened_sampler.listening


class _TracedASGI:
    """OpenTelemetry's server spans, without their cost inside a trace that is not sampled.

    When no span processor listens and the caller's ``traceparent`` (if any) is not sampled, the span would be
    dropped anyway: the request then gets a plain span carrying the caller's trace (or a new one), which is what
    ``X-Trace-Id``, the access log and the ``traceparent`` sent upstream need, and none of the attribute and
    metric work. Otherwise OpenTelemetry's middleware does its full work.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._instrumented = OpenTelemetryMiddleware(app, exclude_spans=["receive", "send"])
        self._tracer = trace.get_tracer(__name__)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or _listening():
            await self._instrumented(scope, receive, send)
            return
        context = propagate.extract(scope, getter=asgi_getter)
        parent = trace.get_current_span(context).get_span_context()
        if parent.is_valid and parent.trace_flags.sampled:
            await self._instrumented(scope, receive, send)
            return
        with self._tracer.start_as_current_span(f"HTTP {scope['method']}", context=context, kind=SpanKind.SERVER):
            await self._app(scope, receive, send)  # type: ignore[arg-type]


def instrument_asgi(app: ASGIApp) -> ASGIApp:
    """Accept or start a trace for every request (``traceparent`` in, server span around the app)."""
    return cast("ASGIApp", _TracedASGI(app))


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
    """One JSON object per line, carrying the trace id, so logs join up with spans and problems.

    The gateway writes a line per request, so this is on its hot path: msgspec encodes (json.dumps took ~1% of a
    proxied call's CPU), and the timestamp's date and time are rendered once per second."""

    _FIELDS = (
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
    )

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service
        self._encoder = msgspec.json.Encoder(enc_hook=str)
        self._rendered = (-1, "")
        """The last second rendered, and its text."""

    def _timestamp(self, created: float) -> str:
        """``2026-12-05T23:50:06.123+00:00``, as ``datetime.isoformat(timespec="milliseconds")`` writes it."""
        second = int(created)
        microseconds = round((created - second) * 1e6)  # as datetime.fromtimestamp rounds
        if microseconds >= 1_000_000:
            second, microseconds = second + 1, microseconds - 1_000_000
        rendered_second, text = self._rendered  # one tuple: a handler on another thread sees a matching pair
        if second != rendered_second:
            text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._rendered = (second, text)
        return f"{text}.{microseconds // 1000:03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self._timestamp(record.created),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if trace_id := record.__dict__.get("trace_id") or current_trace_id():
            entry["trace_id"] = trace_id
        for key in self._FIELDS:
            if (value := record.__dict__.get(key)) is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self._encoder.encode(entry).decode()


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


def observe_between(histogram: Histogram, start: datetime | None, end: datetime | None) -> None:
    """Observe an SLA duration in seconds, when both ends are known (a clock step back counts as zero)."""
    if start is not None and end is not None:
        histogram.observe(max(0.0, (end - start).total_seconds()))
