"""WMS request and response bodies where the canonical model has no equivalent (locations, counts)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from canonical import Address

__all__ = ["Location", "LocationKind", "LocationWrite", "PositionCount", "StockReason"]

LocationKind = Literal["distribution_center", "store", "3pl", "drop_ship_supplier"]
StockReason = Literal["cycle_count", "initial_load", "receipt", "adjustment", "correction"]
Units = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
Region = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]


class LocationWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    kind: LocationKind
    address: Address
    ships_to_regions: list[Region] = msgspec.field(default_factory=list)
    """ISO 3166 countries or subdivisions this node ships to (``US``, ``US-NY``)."""
    active: bool = True


class Location(msgspec.Struct, kw_only=True):
    tenant: str
    code: str
    name: str
    kind: LocationKind
    address: Address
    ships_to_regions: list[str]
    active: bool


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
