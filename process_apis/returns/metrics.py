"""Return SLAs for Prometheus (``/metrics`` of the return process): receipt-to-refund time above all."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from service_kit.telemetry import observe_between

__all__ = ["RECEIPT_TO_REFUND", "RETURNS_EXCEPTIONS", "RETURNS_RECEIVED", "RETURNS_REFUNDED", "observe_between"]

RECEIPT_TO_REFUND = Histogram(
    "omnigate_return_receipt_to_refund_seconds",
    "From the warehouse receiving a return to the customer's refund",
    buckets=(60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400),
)
RETURNS_RECEIVED = Counter("omnigate_returns_received", "Returns received at a location")
RETURNS_REFUNDED = Counter("omnigate_returns_refunded", "Returns refunded")
RETURNS_EXCEPTIONS = Counter("omnigate_returns_exceptions", "Returns put on the worklist", ["kind"])
