"""Return merchandise authorizations: what comes back, why, and in which condition."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from canonical.catalog import Sku
from canonical.money import Money
from canonical.tenancy import TenantId

__all__ = ["ReturnAuthorization", "ReturnLine", "ReturnStatus"]

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


class ReturnLine(msgspec.Struct, frozen=True, kw_only=True):
    line_id: str
    sku: Sku
    quantity: Annotated[int, msgspec.Meta(gt=0)]
    reason: Literal["size", "damaged", "defective", "not_as_described", "changed_mind", "other"] = "other"
    condition: Literal["unknown", "resellable", "damaged"] = "unknown"


class ReturnAuthorization(msgspec.Struct, kw_only=True):
    tenant: TenantId
    rma_number: str
    order_id: str
    lines: Annotated[list[ReturnLine], msgspec.Meta(min_length=1)]
    status: ReturnStatus
    requested_at: datetime
    refund: Money | None = None
