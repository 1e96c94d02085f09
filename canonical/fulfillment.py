"""What a warehouse reports when it ships: which order lines, how many, in which parcels."""

from typing import Annotated

import msgspec

from canonical.catalog import Sku
from canonical.tenancy import TenantId
from canonical.timestamps import Timestamp

__all__ = ["Package", "ShipmentNotice", "ShippedLine"]


class ShippedLine(msgspec.Struct, frozen=True, kw_only=True):
    """Units of one order line in this shipment; a line may ship over several shipments."""

    line_id: str
    sku: Sku
    quantity: Annotated[int, msgspec.Meta(gt=0)]


class Package(msgspec.Struct, frozen=True, kw_only=True):
    """One parcel, with what the customer needs to track it."""

    tracking_number: str
    carrier: str
    service: str | None = None
    tracking_url: Annotated[str, msgspec.Meta(pattern="^https?://")] | None = None
    weight_grams: Annotated[int, msgspec.Meta(gt=0)] | None = None


class ShipmentNotice(msgspec.Struct, kw_only=True):
    """A shipment confirmed by a location: it closes (part of) the order's fulfillment."""

    tenant: TenantId
    shipment_id: str
    order_id: str
    location_id: str
    lines: Annotated[list[ShippedLine], msgspec.Meta(min_length=1)]
    shipped_at: Timestamp
    packages: list[Package] = msgspec.field(default_factory=list)
    """Empty for deliveries without a tracked parcel (local delivery, pickup)."""
