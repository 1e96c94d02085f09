"""What a warehouse reports when it ships: which lines, how many, in which parcels."""

from datetime import datetime
from typing import Annotated

import msgspec

from canonical.catalog import Sku
from canonical.tenancy import TenantId

__all__ = ["Package", "ShipmentNotice", "ShippedLine"]


class ShippedLine(msgspec.Struct, frozen=True, kw_only=True):
    line_id: str
    sku: Sku
    quantity: Annotated[int, msgspec.Meta(gt=0)]


class Package(msgspec.Struct, frozen=True, kw_only=True):
    tracking_number: str
    carrier: str
    service: str | None = None
    tracking_url: str | None = None
    weight_grams: Annotated[int, msgspec.Meta(gt=0)] | None = None


class ShipmentNotice(msgspec.Struct, kw_only=True):
    tenant: TenantId
    shipment_id: str
    order_id: str
    location_id: str
    lines: Annotated[list[ShippedLine], msgspec.Meta(min_length=1)]
    packages: list[Package]
    shipped_at: datetime
