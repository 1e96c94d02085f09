"""What the saga needs from the systems it orchestrates, as one Protocol; ``systems_http`` calls their APIs.

Every call that changes something carries an idempotency key derived from the order and the step, so a step
re-run after a crash or a timeout gets the first answer instead of a second sales order or release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from canonical import SalesOrder, ShipmentNotice
from service_kit.http.system_calls import BusinessFailure, SystemUnavailable

__all__ = [
    "BusinessFailure",
    "LineCut",
    "OrderSystems",
    "Release",
    "Reservation",
    "SystemUnavailable",
    "Withdrawal",
]


@dataclass(frozen=True)
class Reservation:
    """Units held per location and line, and units no location could hold."""

    held: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    """location → [(line_id, sku, units)]"""
    backordered: dict[str, int] = field(default_factory=dict)
    """line_id → units"""


LineCut = tuple[str, str | None, int]
"""``(line_id, location_id, units)``: units off the hold at a location, or off the backorder when ``None``."""


@dataclass(frozen=True)
class Withdrawal:
    """What the systems did with a plan of line cuts: the cuts made, and the locations that refused them."""

    withdrawn: list[LineCut] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    """location → why its warehouse refused to cancel (already picked)."""
    emptied: frozenset[str] = frozenset()
    """Locations whose whole fulfillment request is now cancelled (nothing is left to ship from there)."""


@dataclass(frozen=True)
class Release:
    location_id: str
    fulfillment_request_id: str


class OrderSystems(Protocol):
    async def validate(self, tenant: str, order: SalesOrder) -> None:
        """Raise :class:`BusinessFailure` when the ERP would refuse the order."""

    async def calculate_tax(self, tenant: str, order: SalesOrder) -> dict[str, Any]:
        """The tax engine's calculation for the order's ship-to (raises ``BusinessFailure`` ``tax_rejection``)."""

    async def book(self, tenant: str, order: SalesOrder, *, key: str) -> str:
        """Create the ERP sales order; returns its reference."""

    async def reserve(self, tenant: str, order: SalesOrder, *, key: str) -> Reservation: ...

    async def fill_backorders(self, tenant: str, order: SalesOrder) -> Reservation:
        """Hold what has come into stock for the order's backorders; the answer is all it holds and still lacks."""

    async def release(
        self, tenant: str, order: SalesOrder, location_id: str, lines: list[tuple[str, str, int]], *, key: str
    ) -> Release:
        """Send a fulfillment request to the location's WMS and mark the holds there released."""

    async def withdraw(self, tenant: str, order: SalesOrder, fulfillment_requests: dict[str, str]) -> None:
        """Undo what a cancelled order holds: its reservations and its warehouse releases (before pick)."""

    async def held_units(self, tenant: str, order: SalesOrder) -> Reservation:
        """Everything the order holds (released to a warehouse or not) and its open backorders; empty when
        nothing was reserved."""

    async def withdraw_units(
        self, tenant: str, order: SalesOrder, plan: list[LineCut], fulfillment_requests: dict[str, str], *, key: str
    ) -> Withdrawal:
        """Cancel the planned units at each warehouse that has them (before pick) and free their holds and
        backorders; a warehouse that already picked refuses, and its units stay held. Every call is keyed."""

    async def cut_booked_lines(
        self, tenant: str, order: SalesOrder, erp_order_ref: str, units: dict[str, int], *, key: str
    ) -> None:
        """Tell the ERP the order's lines ship ``units`` fewer (line_id → units), so it neither waits for them
        nor bills them, and reverse the tax committed for those units."""

    async def follow_up_shipment(
        self, tenant: str, order: SalesOrder, erp_order_ref: str, notice: ShipmentNotice
    ) -> dict[str, str]:
        """Consume the holds, post the shipment and its invoice to the ERP, and tell the channel (with tracking).

        Every call is keyed by the shipment id. Returns what the systems answered (``invoice_id``, ...).
        """
