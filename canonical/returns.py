"""Return merchandise authorizations: what comes back, why, in which condition, and the refund."""

from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from canonical.catalog import SKU_PATTERN, Sku
from canonical.money import Money
from canonical.tenancy import TenantId
from canonical.timestamps import Timestamp

__all__ = [
    "RETURN_EXCEPTION_RAISED",
    "RETURN_STATUS_CHANGED",
    "RefundBreakdown",
    "ReturnAuthorization",
    "ReturnCondition",
    "ReturnException",
    "ReturnLine",
    "ReturnLineView",
    "ReturnParcel",
    "ReturnPolicy",
    "ReturnReason",
    "ReturnRequest",
    "ReturnRequestLine",
    "ReturnSource",
    "ReturnStatus",
    "ReturnStepView",
    "ReturnView",
]

ReturnStatus = Literal[
    "requested",
    "authorized",
    "in_transit",
    "received",
    "inspected",
    "restocked",
    "written_off",
    "refund_calculated",
    "refunded",
    "closed",
    "rejected",
    "on_hold",
]
ReturnReason = Literal[
    "size_too_small",
    "size_too_large",
    "color",
    "style",
    "unwanted",
    "not_as_described",
    "wrong_item",
    "defective",
    "damaged",
    "other",
    "unknown",
]
"""Shopify's return reasons (lowercased) plus "damaged" (arrived damaged), which carriers' claims need."""
ReturnCondition = Literal["unknown", "resellable", "damaged"]


class ReturnLine(msgspec.Struct, frozen=True, kw_only=True):
    """Units of one order line coming back. ``condition`` is known once inspected."""

    line_id: str
    sku: Sku
    quantity: Annotated[int, msgspec.Meta(gt=0)]
    reason: ReturnReason
    condition: ReturnCondition = "unknown"


class ReturnAuthorization(msgspec.Struct, kw_only=True):
    """One RMA through its life from request to refund; ``refund`` is set once calculated."""

    tenant: TenantId
    rma_number: str
    order_id: str
    lines: Annotated[list[ReturnLine], msgspec.Meta(min_length=1)]
    status: ReturnStatus
    requested_at: Timestamp
    refund: Money | None = None

    def __post_init__(self) -> None:
        if self.refund is not None and self.refund.amount < 0:
            raise ValueError("refund is a positive amount paid back")


ReturnSource = Literal["portal", "shopify", "store"]
RETURN_STATUS_CHANGED = "return.status.changed"
"""Payload: :class:`ReturnView`. Producer: the return process (``returns.events``)."""
RETURN_EXCEPTION_RAISED = "return.exception.raised"
"""Payload: :class:`ReturnException`. Producer: the return process; the order worklist records it."""


class ReturnPolicy(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A tenant's return policy, as data. A return keeps the policy that was in force when it was requested."""

    window_days: Annotated[int, msgspec.Meta(ge=0, le=3650)] = 30
    """Days after the line shipped within which it may be returned."""
    returnable_product_types: list[Annotated[str, msgspec.Meta(max_length=100)]] | None = None
    """Only these product types may be returned; None allows every type."""
    non_returnable_skus: list[Sku] = msgspec.field(default_factory=list)
    restocking_fee_percent: Decimal = msgspec.field(default_factory=lambda: Decimal(0))
    """Of the refunded item amount (before tax), kept by the merchant; 0 to 100."""
    fee_free_reasons: list[ReturnReason] = msgspec.field(
        default_factory=lambda: ["defective", "damaged", "wrong_item", "not_as_described"]
    )
    """Reasons that are the merchant's fault: no restocking fee, no return shipping charged."""
    return_shipping_paid_by: Literal["customer", "merchant"] = "merchant"
    return_shipping_fee: Money | None = None
    """Deducted from the refund when the customer pays return shipping."""
    refund_shipping: Literal["never", "full_return", "always"] = "full_return"
    """Refund the original shipping never, once every shipped unit has come back, or always."""

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.restocking_fee_percent <= Decimal(100):
            raise ValueError("restocking_fee_percent must be between 0 and 100")


class ReturnRequestLine(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    line_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    quantity: Annotated[int, msgspec.Meta(gt=0, le=100_000)]
    reason: ReturnReason = "unknown"
    note: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class ReturnRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Start a return of lines of an order; ``receiving_location`` is where it is expected (a store for an
    in-store return)."""

    order_id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    lines: Annotated[list[ReturnRequestLine], msgspec.Meta(min_length=1, max_length=250)]
    source: ReturnSource = "portal"
    receiving_location: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    reference: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    """The starter's own id for the request (a store's receipt number); the same one never makes two returns."""


class ReturnParcel(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The parcel a customer sent back, as far as the carrier says."""

    carrier: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    tracking_number: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    tracking_url: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class RefundBreakdown(msgspec.Struct, kw_only=True):
    """What a return pays back and why, in the order's currency; ``total`` is what the customer receives."""

    items: Money
    """Returned units at their price less their share of line and order discounts."""
    tax: Money
    """Tax reversed by the tax engine on the items (and shipping, when refunded)."""
    shipping: Money
    restocking_fee: Money
    return_shipping_fee: Money
    total: Money


ReturnedSku = Annotated[
    str,
    msgspec.Meta(
        pattern=f"^$|{SKU_PATTERN}",
        description="The order line's SKU; empty while a return a channel started waits for authorization "
        "(the channel names only the line)",
    ),
]


class ReturnLineView(msgspec.Struct, kw_only=True):
    line_id: str
    sku: ReturnedSku
    quantity: int
    reason: ReturnReason
    received: int
    resellable: int
    damaged: int


class ReturnStepView(msgspec.Struct, kw_only=True):
    at: Timestamp
    step: str
    system: str
    outcome: str
    from_state: ReturnStatus
    to_state: ReturnStatus
    attempt: int
    trace_id: str | None = None
    detail: dict[str, Any] = msgspec.field(default_factory=dict)


class ReturnView(msgspec.Struct, kw_only=True):
    """A return as agents see it: its lines, refund, what each system answered, and its timeline."""

    return_id: str
    tenant: TenantId
    order_id: str
    source: ReturnSource
    status: ReturnStatus
    version: int
    currency: str
    lines: list[ReturnLineView]
    created_at: Timestamp
    updated_at: Timestamp
    receiving_location: str | None = None
    refund: RefundBreakdown | None = None
    results: dict[str, Any] = msgspec.field(default_factory=dict)
    rejection: list[dict[str, Any]] | None = None
    hold_reason: str | None = None
    last_error: str | None = None
    received_at: Timestamp | None = None
    refunded_at: Timestamp | None = None
    steps: list[ReturnStepView] = msgspec.field(default_factory=list)


class ReturnException(msgspec.Struct, kw_only=True):
    """Something about a return a person must look at (a receipt that differs from the RMA, a refund that
    does not match across systems); it lands on the order's worklist."""

    return_id: str
    order_id: str
    kind: str
    system: str
    reason: str
    snapshot: dict[str, Any] = msgspec.field(default_factory=dict)
