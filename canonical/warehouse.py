"""What a warehouse, store or 3PL node records about its stock and its work: every movement of stock with
its reason (the ledger), transfers between locations, fulfillment requests (warehouse releases) and return
receipts. The WMS system API is the producer; process APIs (the order saga, returns) are the consumers."""

from typing import Annotated, Literal

import msgspec

from canonical.address import Address
from canonical.catalog import Sku
from canonical.fulfillment import ShipmentNotice
from canonical.tenancy import TenantId
from canonical.timestamps import Timestamp

__all__ = [
    "ADJUSTMENT_REASONS",
    "FULFILLMENT_REQUEST_CANCELLED",
    "FULFILLMENT_REQUEST_PICKED",
    "FULFILLMENT_REQUEST_RELEASED",
    "RETURN_RECEIPT_RECORDED",
    "SHIPMENT_CONFIRMED",
    "TRANSFER_RECEIVED",
    "TRANSFER_SHIPPED",
    "AdjustmentReason",
    "FulfillmentLine",
    "FulfillmentRequest",
    "FulfillmentStatus",
    "LedgerReason",
    "ReceiptCondition",
    "ReturnReceipt",
    "ReturnReceiptLine",
    "StockAdjustment",
    "StockDeltas",
    "StockTransfer",
    "TransferLine",
    "TransferStatus",
]

SHIPMENT_CONFIRMED = "wms.shipment.confirmed"
"""Payload: :class:`canonical.fulfillment.ShipmentNotice`; aggregate: the fulfillment request."""
FULFILLMENT_REQUEST_RELEASED = "wms.fulfillment_request.released"
"""Payload: :class:`FulfillmentRequest`."""
FULFILLMENT_REQUEST_PICKED = "wms.fulfillment_request.picked"
"""Payload: :class:`FulfillmentRequest`."""
FULFILLMENT_REQUEST_CANCELLED = "wms.fulfillment_request.cancelled"
"""Payload: :class:`FulfillmentRequest` (whole or some lines cancelled: see each line's ``cancelled_quantity``)."""
TRANSFER_SHIPPED = "wms.transfer.shipped"
"""Payload: :class:`StockTransfer`."""
TRANSFER_RECEIVED = "wms.transfer.received"
"""Payload: :class:`StockTransfer`."""
RETURN_RECEIPT_RECORDED = "wms.return_receipt.recorded"
"""Payload: :class:`ReturnReceipt`."""

AdjustmentReason = Literal[
    "received",
    "cycle_count",
    "damaged",
    "shrinkage",
    "found",
    "quality_hold",
    "quality_release",
    "correction",
    "return_restock",
    "damage_disposal",
]
"""Why a person or a partner adjusted stock (``POST /wms/v1/adjustments``)."""
ADJUSTMENT_REASONS: tuple[str, ...] = AdjustmentReason.__args__  # type: ignore[attr-defined]

LedgerReason = Literal[
    "received",
    "cycle_count",
    "damaged",
    "shrinkage",
    "found",
    "quality_hold",
    "quality_release",
    "correction",
    "return_restock",
    "damage_disposal",
    "initial_load",
    "return_damaged",
    "transfer_out",
    "transfer_in_transit",
    "transfer_in",
    "fulfillment_committed",
    "fulfillment_cancelled",
    "shipment_confirmed",
]
"""Every reason in the ledger: the adjustment reasons plus the movements the WMS records by itself."""

FulfillmentStatus = Literal["released", "picked", "partially_shipped", "shipped", "cancelled"]
TransferStatus = Literal["in_transit", "received"]
ReceiptCondition = Literal["resellable", "damaged"]
Quantity = Annotated[int, msgspec.Meta(gt=0, le=1_000_000)]


class StockDeltas(msgspec.Struct, frozen=True, kw_only=True):
    """How much each state of one position changed (signed units; unchanged states are 0)."""

    on_hand: int = 0
    committed: int = 0
    reserved: int = 0
    damaged: int = 0
    quality_control: int = 0
    safety_stock: int = 0
    in_transit: int = 0


class StockAdjustment(msgspec.Struct, kw_only=True, frozen=True):
    """One entry of the stock ledger: every change of a position, with its reason and what caused it."""

    id: int
    tenant: TenantId
    location_id: str
    sku: Sku
    reason: LedgerReason
    quantity: int
    """What was asked, in units: signed for ``cycle_count`` and ``correction``, positive otherwise."""
    deltas: StockDeltas
    recorded_at: Timestamp
    reference: str | None = None
    """What caused it: a fulfillment request, transfer or return receipt id, or the caller's own reference."""
    note: str | None = None


class TransferLine(msgspec.Struct, frozen=True, kw_only=True):
    sku: Sku
    quantity: Quantity


class StockTransfer(msgspec.Struct, kw_only=True):
    """Units moving between two locations: off the source's on_hand at once, in transit at the destination
    until received there."""

    id: str
    tenant: TenantId
    from_location_id: str
    to_location_id: str
    status: TransferStatus
    lines: list[TransferLine]
    shipped_at: Timestamp
    received_at: Timestamp | None = None
    reference: str | None = None


class FulfillmentLine(msgspec.Struct, kw_only=True):
    """One order line released to the location; open units = quantity - shipped - cancelled."""

    line_id: str
    sku: Sku
    quantity: Quantity
    shipped_quantity: int = 0
    cancelled_quantity: int = 0


class FulfillmentRequest(msgspec.Struct, kw_only=True):
    """A warehouse release: order lines a location is to pick, pack and ship (its open units are committed
    there). released → picked → partially_shipped → shipped; cancelled (only before pick)."""

    id: str
    tenant: TenantId
    order_id: str
    location_id: str
    ship_to: Address
    status: FulfillmentStatus
    lines: list[FulfillmentLine]
    created_at: Timestamp
    updated_at: Timestamp
    shipments: list[ShipmentNotice] = msgspec.field(default_factory=list)
    picked_at: Timestamp | None = None
    cancelled_at: Timestamp | None = None


class ReturnReceiptLine(msgspec.Struct, frozen=True, kw_only=True):
    """Units received back, by condition: resellable go back on hand, damaged go to damaged."""

    sku: Sku
    quantity: Quantity
    condition: ReceiptCondition
    line_id: str | None = None
    """The order line returned, when known."""


class ReturnReceipt(msgspec.Struct, kw_only=True):
    id: str
    tenant: TenantId
    location_id: str
    lines: list[ReturnReceiptLine]
    received_at: Timestamp
    order_id: str | None = None
    return_authorization_id: str | None = None
