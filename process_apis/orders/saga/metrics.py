"""The order SLAs as Prometheus metrics: how long acceptance, release and shipment confirmation take, and how
often steps retry or end on the worklist. Served at the orders service's ``/metrics`` (and, embedded, the
gateway's, which shares the process registry)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from service_kit.telemetry import observe_between

__all__ = [
    "ORDER_ACCEPTANCE",
    "RELEASE_LATENCY",
    "SAGA_EXCEPTIONS",
    "SAGA_RETRIES",
    "SHIPMENT_TURNAROUND",
    "observe_between",
]

_SLA_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600)

ORDER_ACCEPTANCE = Histogram(
    "omnigate_order_acceptance_seconds",
    "From an order's receipt to its booking in the ERP (accepted)",
    buckets=_SLA_BUCKETS,
)
RELEASE_LATENCY = Histogram(
    "omnigate_order_release_seconds",
    "From an order's acceptance to its release to the warehouses",
    buckets=_SLA_BUCKETS,
)
SHIPMENT_TURNAROUND = Histogram(
    "omnigate_shipment_confirmation_seconds",
    "From an order's release to each shipment confirmation received from a location",
    buckets=_SLA_BUCKETS,
)
SAGA_RETRIES = Counter("omnigate_order_step_retries_total", "Saga steps retried after a transient failure", ["step"])
SAGA_EXCEPTIONS = Counter(
    "omnigate_order_exceptions_total", "Saga steps that ended on the business exception worklist", ["kind"]
)
