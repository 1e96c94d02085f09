"""Responses of the inventory process API."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from canonical import InventoryPosition
from canonical.catalog import SKU_PATTERN

__all__ = [
    "BackorderedUnits",
    "ChannelBufferBody",
    "LineCancellation",
    "LineToReserve",
    "LocationRelease",
    "OrderReservation",
    "ReservationCancellation",
    "ReservationRequest",
    "ReservationStatus",
    "ReservedUnits",
    "ShipmentConsumption",
    "ShippedUnits",
    "SkuAvailability",
    "SourcingPolicyBody",
]


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


Quantity = Annotated[int, msgspec.Meta(gt=0, le=1_000_000)]
Identifier = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class LineToReserve(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    line_id: Identifier
    sku: Annotated[str, msgspec.Meta(pattern=SKU_PATTERN)]
    quantity: Quantity


class ReservationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Reserve an accepted order's lines; ship-to decides which locations may fill them."""

    order_id: Identifier
    lines: Annotated[list[LineToReserve], msgspec.Meta(min_length=1, max_length=250)]
    ship_to_country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]
    ship_to_region: Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{1,3}$")] | None = None
    """ISO 3166-2 subdivision without the country (``NY`` for ``US-NY``)."""
    channel: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] = "shopify"


class ReservedUnits(msgspec.Struct, kw_only=True):
    line_id: str
    sku: str
    location_id: str
    quantity: int
    """Units still held."""
    shipped: int
    status: Literal["open", "released", "closed"]


class BackorderedUnits(msgspec.Struct, kw_only=True):
    line_id: str
    sku: str
    quantity: int
    """Units still missing (``open``), or the last units missing before the backorder was ``filled``."""
    status: Literal["open", "filled", "cancelled"]


class BackorderFill(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Hold what has come into stock for an order's open backorders, routed as its reservation was."""

    ship_to_country: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]
    ship_to_region: Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{1,3}$")] | None = None
    channel: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] = "shopify"


ReservationStatus = Literal["reserved", "partially_reserved", "backordered", "closed"]


class OrderReservation(msgspec.Struct, kw_only=True):
    """Where an order's units are held, and what could not be reserved."""

    tenant: str
    order_id: str
    status: ReservationStatus
    reservations: list[ReservedUnits]
    backorders: list[BackorderedUnits]


class LocationRelease(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The order's open holds at this location were released to it (the WMS now commits them)."""

    location_id: Identifier


class ShippedUnits(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    line_id: Identifier
    quantity: Quantity


class ShipmentConsumption(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Units that left ``location_id``: they consume the order's holds there."""

    location_id: Identifier
    lines: Annotated[list[ShippedUnits], msgspec.Meta(min_length=1)]


class LineCancellation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Some or all of a line's units: without ``quantity`` the whole line. With one, the units come off the
    line's backorder first and then off its holds (only the one at ``location_id`` when named)."""

    line_id: Identifier
    quantity: Quantity | None = None
    location_id: Identifier | None = None


class ReservationCancellation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Cancel the holds and backorders of some lines, or of the whole order when ``lines`` is empty."""

    lines: list[LineCancellation] = msgspec.field(default_factory=list)


class SourcingPolicyBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    ship_from_store: bool


class ChannelBufferBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    units: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
