"""What a storefront sees: sellable quantities, never internal stock states."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "LOW_STOCK_THRESHOLD",
    "AvailabilityBatch",
    "ItemAvailability",
    "LocationAvailability",
    "LocationStock",
    "StockStatus",
    "StorefrontAvailability",
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
