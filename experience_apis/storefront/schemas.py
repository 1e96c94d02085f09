"""What a storefront sees: sellable quantities and order status, never internal stock states or references."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from canonical import Money

__all__ = [
    "LOW_STOCK_THRESHOLD",
    "AvailabilityBatch",
    "CustomerOrderLine",
    "CustomerOrderStage",
    "CustomerOrderStatus",
    "CustomerReturnLine",
    "CustomerReturnStage",
    "CustomerReturnStatus",
    "ItemAvailability",
    "LocationAvailability",
    "LocationStock",
    "StockStatus",
    "StorefrontAvailability",
    "TrackedParcel",
    "stock_status",
]

LOW_STOCK_THRESHOLD = 5
"""At or below this many sellable units a storefront shows "only a few left"."""
StockStatus = Literal["in_stock", "low_stock", "out_of_stock"]


def stock_status(units: int) -> StockStatus:
    if units <= 0:
        return "out_of_stock"
    return "low_stock" if units <= LOW_STOCK_THRESHOLD else "in_stock"


class LocationAvailability(msgspec.Struct, kw_only=True):
    location_id: str
    available_to_sell: int


class StorefrontAvailability(msgspec.Struct, kw_only=True):
    sku: str
    available_to_sell: int
    """Total across locations."""
    in_stock: bool
    locations: list[LocationAvailability]


class LocationStock(msgspec.Struct, kw_only=True):
    """v2: a location's sellable units and the badge a product page shows for them."""

    location_id: str
    available_to_sell: int
    status: StockStatus


class ItemAvailability(msgspec.Struct, kw_only=True):
    sku: str
    title: str | None
    purchasable: bool
    """Active in the item master and sellable somewhere."""
    available_to_sell: int
    status: StockStatus
    locations: list[LocationStock]


class AvailabilityBatch(msgspec.Struct, kw_only=True):
    """v2 answers for many SKUs at once (a collection page), and says which it does not know."""

    items: list[ItemAvailability]
    unknown_skus: list[str]


CustomerOrderStage = Literal["processing", "confirmed", "backordered", "partially_shipped", "shipped", "cancelled"]


class TrackedParcel(msgspec.Struct, kw_only=True):
    carrier: str
    tracking_number: str
    tracking_url: str | None
    shipped_at: datetime


class CustomerOrderLine(msgspec.Struct, kw_only=True):
    line_id: str
    sku: str
    quantity: int
    """Units coming: what was ordered less what was cut after ordering (``cancelled``)."""
    shipped: int
    cancelled: int = 0


class CustomerOrderStatus(msgspec.Struct, kw_only=True):
    """Where an order stands, in the words a shopper understands; holds and reviews show as ``processing``
    while a service agent works them, and internal references stay out."""

    order_id: str
    order_number: str | None
    placed_at: datetime | None
    status: CustomerOrderStage
    lines: list[CustomerOrderLine]
    parcels: list[TrackedParcel]


CustomerReturnStage = Literal[
    "requested", "approved", "on_the_way", "received", "refund_pending", "refunded", "declined", "processing"
]


class CustomerReturnLine(msgspec.Struct, kw_only=True):
    line_id: str
    sku: str
    quantity: int
    received: int


class CustomerReturnStatus(msgspec.Struct, kw_only=True):
    """Where a shopper's return stands and what it pays back; holds show as ``processing`` while an agent works
    them, and internal references (credit memos, receipts) stay out."""

    return_id: str
    order_id: str
    status: CustomerReturnStage
    lines: list[CustomerReturnLine]
    requested_at: datetime
    refund_total: Money | None = None
    refunded_at: datetime | None = None
