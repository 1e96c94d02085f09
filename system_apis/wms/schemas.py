"""WMS request and response bodies where the canonical model has no equivalent (locations, counts, the
bodies callers send to create adjustments, transfers, fulfillment requests and return receipts)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from canonical import Address, AdjustmentReason, InventoryPosition, Package, ReturnReceiptLine, StockAdjustment
from canonical.catalog import Sku
from canonical.timestamps import Timestamp
from canonical.warehouse import TransferLine

__all__ = [
    "LOCATION_PATTERN",
    "PARTNER_PATTERN",
    "AdjustmentCreate",
    "CancelLine",
    "CancelRequest",
    "CycleCountCreate",
    "CycleCountResult",
    "FulfillmentLineCreate",
    "FulfillmentRequestCreate",
    "Location",
    "LocationCode",
    "LocationKind",
    "LocationWrite",
    "Partner",
    "PartnerCode",
    "PartnerShipment",
    "PartnerShipmentConfirmation",
    "PositionCount",
    "ReturnReceiptCreate",
    "StockReason",
    "TransferCreate",
    "WebhookReceipt",
]

LOCATION_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{0,63}$"
PARTNER_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
LocationKind = Literal["distribution_center", "store", "3pl", "drop_ship_supplier"]
StockReason = Literal["cycle_count", "initial_load", "receipt", "adjustment", "correction"]
Units = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
Quantity = Annotated[int, msgspec.Meta(gt=0, le=1_000_000)]
Region = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]
LocationCode = Annotated[str, msgspec.Meta(pattern=LOCATION_PATTERN, description="Location code, e.g. DC-EAST")]
PartnerCode = Annotated[str, msgspec.Meta(pattern=PARTNER_PATTERN, description="3PL partner code, e.g. acme-3pl")]
Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Identifier = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/#-]*$")]
Note = Annotated[str, msgspec.Meta(max_length=500)]


class LocationWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    kind: LocationKind
    address: Address
    ships_to_regions: list[Region] = msgspec.field(default_factory=list)
    """ISO 3166 countries or subdivisions this node ships to (``US``, ``US-NY``)."""
    active: bool = True
    operator: PartnerCode | None = None
    """The 3PL partner running this node; only it may confirm shipments from here by webhook."""


class Location(msgspec.Struct, kw_only=True):
    tenant: str
    code: str
    name: str
    kind: LocationKind
    address: Address
    ships_to_regions: list[str]
    active: bool
    operator: str | None = None


class PositionCount(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A count of one SKU at one location by state (what a cycle count or an initial load reports).

    ``on_hand`` counts every unit physically there: available + committed + reserved + damaged +
    quality_control + safety_stock. ``in_transit`` is on its way and not on hand.
    """

    on_hand: Units
    committed: Units = 0
    reserved: Units = 0
    damaged: Units = 0
    quality_control: Units = 0
    safety_stock: Units = 0
    in_transit: Units = 0
    reason: StockReason = "cycle_count"


class AdjustmentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One stock adjustment. ``quantity`` is signed (the on_hand change) for ``cycle_count`` and
    ``correction``, and a positive number of units for every other reason, whose effect is fixed:
    received, found, return_restock: on_hand +q; shrinkage: on_hand -q; damaged: damaged +q;
    damage_disposal: damaged -q and on_hand -q; quality_hold: quality_control +q; quality_release:
    quality_control -q."""

    location_id: LocationCode
    sku: Sku
    reason: AdjustmentReason
    quantity: Annotated[int, msgspec.Meta(ge=-1_000_000, le=1_000_000)]
    reference: Reference | None = None
    note: Note | None = None


class CycleCountCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What was counted on the shelf: the difference to on_hand becomes a ``cycle_count`` adjustment."""

    location_id: LocationCode
    sku: Sku
    counted_quantity: Units
    reference: Reference | None = None
    note: Note | None = None


class CycleCountResult(msgspec.Struct, kw_only=True):
    location_id: str
    sku: str
    previous_on_hand: int
    counted_quantity: int
    position: InventoryPosition
    adjustment: StockAdjustment | None
    """None when the count matched on_hand (nothing to adjust)."""


class TransferCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    from_location_id: LocationCode
    to_location_id: LocationCode
    lines: Annotated[list[TransferLine], msgspec.Meta(min_length=1, max_length=500)]
    reference: Reference | None = None


class FulfillmentLineCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    line_id: Identifier
    sku: Sku
    quantity: Quantity


class FulfillmentRequestCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Release order lines to a location: their units become committed there."""

    order_id: Identifier
    location_id: LocationCode
    ship_to: Address
    lines: Annotated[list[FulfillmentLineCreate], msgspec.Meta(min_length=1, max_length=500)]


class CancelLine(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    line_id: Identifier
    quantity: Quantity | None = None
    """Units to cancel; all the line's open units when omitted."""


class CancelRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Cancel the whole request (no ``lines``) or some lines, only before it is picked."""

    lines: list[CancelLine] | None = None
    reason: Note | None = None


class ReturnReceiptCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location_id: LocationCode
    lines: Annotated[list[ReturnReceiptLine], msgspec.Meta(min_length=1, max_length=500)]
    order_id: Identifier | None = None
    return_authorization_id: Identifier | None = None


class PartnerShipment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A :class:`canonical.ShipmentNotice` as a partner sends it: the tenant is the partner's."""

    shipment_id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    lines: Annotated[list[FulfillmentLineCreate], msgspec.Meta(min_length=1)]
    shipped_at: Timestamp
    packages: list[Package] = msgspec.field(default_factory=list)
    order_id: str | None = None
    location_id: str | None = None


class PartnerShipmentConfirmation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The body of a 3PL's signed ``POST /webhooks/3pl/{partner}``."""

    type: Literal["shipment.confirmed"]
    fulfillment_request_id: str
    shipment: PartnerShipment


class WebhookReceipt(msgspec.Struct, frozen=True, kw_only=True):
    delivery_id: str
    status: Literal["accepted", "duplicate"]
    fulfillment_request_id: str | None = None
    fulfillment_status: str | None = None


class Partner(msgspec.Struct, frozen=True, kw_only=True):
    """A 3PL partner as the CLI shows it (never its secrets)."""

    code: str
    tenant: str
    name: str
    created_at: Timestamp
    updated_at: Timestamp
    previous_secret_valid_until: Timestamp | None = None
    """While a secret is being rotated, the old one is accepted until then."""
