"""What operators see of gateway traffic: one structured access-log line per request and Prometheus metrics at
``/metrics`` (requests and latency by API, version and status; 429s and upstream errors are status labels;
each upstream's circuit state and bulkhead occupancy are gauges)."""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.plugins.prometheus import PrometheusController
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Gauge, Histogram

from gateway.traffic.bulkhead import Bulkhead
from service_kit.telemetry import current_trace_id

__all__ = ["PrometheusController", "observe_upstream", "record_traffic"]

access_logger = logging.getLogger("omnigate.gateway.access")
_CIRCUIT_STATES = {"closed": 0, "half_open": 1, "open": 2}
CIRCUIT_STATE = Gauge(
    "omnigate_gateway_upstream_circuit_state",
    "Circuit breaker per upstream: 0 closed, 1 half open, 2 open",
    ["upstream"],
)


_LABELS = ["method", "path", "status_code", "app_name", "api", "version"]
REQUESTS = Counter("omnigate_requests_total", "Total requests", _LABELS)
REQUEST_ERRORS = Counter("omnigate_requests_error_total", "Total requests answered with a 5xx status", _LABELS)
REQUEST_DURATION = Histogram("omnigate_request_duration_seconds", "Request duration, in seconds", _LABELS)
IN_PROGRESS = Gauge(
    "omnigate_requests_in_progress",
    "Total requests currently in progress",
    ["method", "app_name"],
    multiprocess_mode="livesum",
)
_APP_NAME = "omnigate_gateway"
_series: dict[tuple[str, ...], tuple[Counter, Histogram]] = {}
"""Each label set's request counter and latency histogram, looked up once (``labels()`` takes a lock and checks
its arguments every call); as bounded as the labels themselves."""
_UNLABELLED = frozenset({"/metrics", "/health", "/ready"})
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_IN_PROGRESS_BY_METHOD = {method: IN_PROGRESS.labels(method, _APP_NAME) for method in (*_METHODS, "other")}


def observe_upstream(clients: Any, bulkhead: Bulkhead) -> None:
    """Refresh an upstream's circuit gauge after a proxied exchange (the circuit may just have opened)."""
    breaker = clients.breakers.get(bulkhead.upstream)
    if breaker is not None:
        CIRCUIT_STATE.labels(bulkhead.upstream).set(_CIRCUIT_STATES.get(breaker.state, 0))


def record_traffic(app: ASGIApp) -> ASGIApp:
    """Around every HTTP request: one JSON access-log line (client, API, version, route, status, latency, trace
    id) and the request metrics (by method, route, status, API and version; anything not in the route table is
    ``other``, so labels stay bounded). The proxy path and Litestar's routes both set what they know of the
    request in the scope (``path_template``; ``state``: ``api``, ``version``, ``client_id``)."""

    async def record(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        method = scope["method"]

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        in_progress = _IN_PROGRESS_BY_METHOD[method if method in _METHODS else "other"]
        in_progress.inc()
        try:
            await app(scope, receive, sending)
        finally:
            in_progress.dec()
            elapsed = time.perf_counter() - started
            state = scope.get("state", {})
            route = scope.get("path_template", scope["path"])
            access_logger.info(
                "%s %s %s",
                method,
                scope["path"],
                status,
                extra={
                    "client_id": state.get("client_id", "anonymous"),
                    "api": state.get("api"),
                    "version": state.get("version"),
                    "route": route,
                    "status": status,
                    "latency_ms": round(elapsed * 1000, 2),
                    "trace_id": current_trace_id(),
                },
            )
            if scope["path"] not in _UNLABELLED:  # labels stay bounded: an unrouted path or method is "other"
                labels = (
                    method if method in _METHODS else "other",
                    scope.get("path_template", "other"),
                    str(status),
                    _APP_NAME,
                    state.get("api", "other"),
                    state.get("version", "other"),
                )
                if (series := _series.get(labels)) is None:
                    series = _series[labels] = (REQUESTS.labels(*labels), REQUEST_DURATION.labels(*labels))
                series[0].inc()
                series[1].observe(elapsed)
                if status >= 500:
                    REQUEST_ERRORS.labels(*labels).inc()

    return record
