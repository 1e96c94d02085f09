"""Return merchandise authorizations: what comes back, why, in which condition, and the refund."""

from typing import Annotated, Literal

import msgspec

from canonical.catalog import Sku
from canonical.money import Money
from canonical.tenancy import TenantId
from canonical.timestamps import Timestamp

__all__ = ["ReturnAuthorization", "ReturnCondition", "ReturnLine", "ReturnReason", "ReturnStatus"]

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
