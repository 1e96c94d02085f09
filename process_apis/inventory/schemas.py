"""Responses of the inventory process API."""

from __future__ import annotations

import msgspec

from canonical import InventoryPosition

__all__ = ["SkuAvailability"]


class SkuAvailability(msgspec.Struct, kw_only=True):
    """Available-to-sell of one SKU per location and in total.

    Each position's ``reserved`` includes this process's open reservations, and its
    ``available_to_sell`` is what can still be promised there; an inactive SKU sells nothing.
    """

    tenant: str
    sku: str
    title: str | None
    active: bool
    available_to_sell: int
    on_hand: int
    positions: list[InventoryPosition]
