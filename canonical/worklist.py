"""What the order process tells the people who keep orders flowing: an order's status and timeline, and
the business exception worklist. The service portal shows these as the order process answers them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from canonical.fulfillment import Package, ShippedLine

__all__ = [
    "ExceptionAssignment",
    "ExceptionPage",
    "ExceptionResolution",
    "ExceptionStatus",
    "ExceptionView",
    "OrderLineView",
    "OrderTimeline",
    "OrderView",
    "ShipmentView",
    "TimelineEntry",
]

ExceptionStatus = Literal["open", "resolved"]


class ExceptionView(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    """``unmappable_order``, ``unknown_sku``, ``tax_rejection``, ``customer_on_credit_hold``, ..."""
    system: str
    """Where it failed: ``shopify``, ``erp``, ``wms``, ``tax``."""
    order_id: str | None
    reason: str
    status: ExceptionStatus
    attempts: int
    """How many times the failure was seen."""
    first_seen: datetime
    last_seen: datetime
    assignee: str | None
    snapshot: dict[str, Any]
    """What the failing step saw, personal data redacted."""
    resolved_at: datetime | None = None
    resolution: str | None = None
    trace_id: str | None = None


class ExceptionPage(msgspec.Struct, kw_only=True):
    items: list[ExceptionView]
    next_cursor: str | None = None


class ExceptionAssignment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    assignee: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class ExceptionResolution(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    resolution: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    """What was done about it, for whoever looks next."""


class OrderLineView(msgspec.Struct, kw_only=True):
    line_id: str
    sku: str
    quantity: int
    """Units to fulfil: what was ordered less what the channel cut after booking (``cancelled``)."""
    state: str
    reserved: int
    backordered: int
    shipped: int
    cancelled: int = 0
    """Units the channel cut after the order was booked, withdrawn from the warehouse and the holds."""


class ShipmentView(msgspec.Struct, kw_only=True):
    """A shipment a location confirmed for the order, and whether its follow-up (ERP, channel) is done."""

    shipment_id: str
    location_id: str
    status: Literal["pending", "done"]
    lines: list[ShippedLine]
    packages: list[Package]
    shipped_at: datetime
    invoice_id: str | None = None


class OrderView(msgspec.Struct, kw_only=True):
    """An order in the saga: where it stands and what each system answered."""

    order_id: str
    channel: str
    source_id: str
    """The channel's id of the order (the Shopify order id)."""
    state: str
    version: int
    """Increases with every transition."""
    erp_order_ref: str | None
    hold_reason: str | None
    attempts: int
    """Failed attempts of the current step."""
    next_attempt_at: datetime | None
    last_error: str | None
    lines: list[OrderLineView]
    fulfillment_requests: dict[str, str]
    """WMS fulfillment request per location."""
    created_at: datetime
    updated_at: datetime
    order_number: str | None = None
    """What the customer knows the order by (Shopify's ``name``, e.g. ``#1001``)."""
    placed_at: datetime | None = None
    shipments: list[ShipmentView] = msgspec.field(default_factory=list)


class TimelineEntry(msgspec.Struct, kw_only=True):
    at: datetime
    step: str
    system: str
    outcome: Literal["done", "retrying", "exception", "ignored"]
    from_state: str
    to_state: str
    attempt: int
    trace_id: str | None
    detail: dict[str, Any]


class OrderTimeline(msgspec.Struct, kw_only=True):
    order_id: str
    state: str
    steps: list[TimelineEntry]
