"""What a storefront sees: sellable quantities, never internal stock states."""

from __future__ import annotations

import msgspec

__all__ = ["LocationAvailability", "StorefrontAvailability"]


class LocationAvailability(msgspec.Struct, kw_only=True):
    location_id: str
    available_to_sell: int


class StorefrontAvailability(msgspec.Struct, kw_only=True):
    sku: str
    available_to_sell: int
    """Total across locations."""
    in_stock: bool
    locations: list[LocationAvailability]
