"""What operators see of gateway traffic: one structured access-log line per request and Prometheus metrics at
``/metrics`` (requests and latency by API, version and status; 429s and upstream errors are status labels;
each upstream's circuit state and bulkhead occupancy are gauges)."""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Gauge

from gateway.routes import PolicyFile
from gateway.traffic.bulkhead import Bulkhead
from service_kit.telemetry import current_trace_id

__all__ = ["PrometheusController", "access_log_middleware", "metrics_config", "observe_upstream"]

access_logger = logging.getLogger("omnigate.gateway.access")
_CIRCUIT_STATES = {"closed": 0, "half_open": 1, "open": 2}
CIRCUIT_STATE = Gauge(
    "omnigate_gateway_upstream_circuit_state",
    "Circuit breaker per upstream: 0 closed, 1 half open, 2 open",
    ["upstream"],
)


def _segments(request: Request[Any, Any, Any]) -> tuple[str, str]:
    """``(api, version)`` of a proxied path; anything not in the route table is ``other`` (bounded labels)."""
    parts = request.url.path.strip("/").split("/")
    policy: PolicyFile | None = getattr(request.app.state, "policy", None)
    if policy is None or len(parts) < 2:
        return "other", "other"
    try:
        _, major = policy.table.resolve(parts[0], parts[1])
    except Exception:
        return "other", "other"
    return parts[0], f"v{major}"


def metrics_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="omnigate_gateway",
        prefix="omnigate",
        group_path=True,
        labels={"api": lambda request: _segments(request)[0], "version": lambda request: _segments(request)[1]},
        exclude=["/metrics", "/health", "/ready"],
    )


def observe_upstream(clients: Any, bulkhead: Bulkhead) -> None:
    """Refresh an upstream's circuit gauge after a proxied exchange (the circuit may just have opened)."""
    breaker = clients.breakers.get(bulkhead.upstream)
    if breaker is not None:
        CIRCUIT_STATE.labels(bulkhead.upstream).set(_CIRCUIT_STATES.get(breaker.state, 0))


def access_log_middleware(app: ASGIApp) -> ASGIApp:
    """One JSON log line per HTTP request: client, API, version, route, status, latency, trace id."""

    async def log_access(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            state = scope.get("state", {})
            access_logger.info(
                "%s %s %s",
                scope.get("method"),
                scope["path"],
                status,
                extra={
                    "client_id": state.get("client_id", "anonymous"),
                    "api": state.get("api"),
                    "version": state.get("version"),
                    "route": scope.get("path_template", scope["path"]),
                    "status": status,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                    "trace_id": current_trace_id(),
                },
            )

    return log_access
