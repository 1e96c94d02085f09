"""One step per actionable state: call the system that owns the next transition and say where the order goes.

A step only reads the order and calls a system; :mod:`process_apis.orders.saga.worker` records the outcome in
one transaction. Keys are derived from the order id and the step, never random, so a re-run replays.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from canonical import SalesOrder
from process_apis.orders.saga.states import OrderState
from process_apis.orders.saga.systems import OrderSystems, Reservation

__all__ = ["STEPS", "Outcome", "StepInput", "StillBackordered"]


@dataclass(frozen=True)
class StepInput:
    tenant: str
    order_id: str
    state: OrderState
    order: SalesOrder
    held: dict[str, list[tuple[str, str, int]]]
    """location → [(line_id, sku, units)] still to release (from the reservation step)."""


@dataclass
class Outcome:
    to: OrderState
    system: str
    step: str
    detail: dict[str, Any] = field(default_factory=dict)
    erp_order_ref: str | None = None
    tax: dict[str, Any] | None = None
    reserved: dict[str, int] | None = None
    """line_id → units reserved (with ``backordered``), when the step reserved."""
    backordered: dict[str, int] | None = None
    held: dict[str, list[tuple[str, str, int]]] | None = None
    fulfillment_requests: dict[str, str] | None = None


Step = Callable[[StepInput, OrderSystems], Awaitable[Outcome]]


async def validate(step: StepInput, systems: OrderSystems) -> Outcome:
    await systems.validate(step.tenant, step.order)
    return Outcome(to="validated", system="erp", step="validate")


async def calculate_tax(step: StepInput, systems: OrderSystems) -> Outcome:
    tax = await systems.calculate_tax(step.tenant, step.order)
    return Outcome(to="tax_calculated", system="tax", step="calculate_tax", tax=tax)


async def book_sales_order(step: StepInput, systems: OrderSystems) -> Outcome:
    reference = await systems.book(step.tenant, step.order, key=f"sales-order:{step.order_id}")
    return Outcome(
        to="accepted", system="erp", step="book_sales_order", erp_order_ref=reference, detail={"erp": reference}
    )


async def reserve(step: StepInput, systems: OrderSystems) -> Outcome:
    reservation = await systems.reserve(step.tenant, step.order, key=f"reserve:{step.order_id}")
    return _held(
        reservation,
        to="backordered" if any(reservation.backordered.values()) else "reserved",
        step="reserve",
    )


class StillBackordered(Exception):
    """Stock for the order's backorders has not (all) come in; ``partial`` is what it holds and lacks now."""

    def __init__(self, partial: Outcome) -> None:
        super().__init__(f"still backordered: {partial.backordered}")
        self.partial = partial


async def fill_backorders(step: StepInput, systems: OrderSystems) -> Outcome:
    """Ship complete: a backordered order keeps its holds and waits until every unit is held, then is released
    whole (one release per location). No key: a fill holds only what is still missing, so a re-run is harmless."""
    reservation = await systems.fill_backorders(step.tenant, step.order)
    held = _held(reservation, to="reserved", step="fill_backorders")
    if any(reservation.backordered.values()):
        raise StillBackordered(held)
    return held


def _held(reservation: Reservation, *, to: OrderState, step: str) -> Outcome:
    reserved: dict[str, int] = {}
    for lines in reservation.held.values():
        for line_id, _sku, units in lines:
            reserved[line_id] = reserved.get(line_id, 0) + units
    return Outcome(
        to=to,
        system="inventory",
        step=step,
        reserved=reserved,
        backordered=dict(reservation.backordered),
        held=reservation.held,
        detail={"locations": sorted(reservation.held), "backordered": reservation.backordered},
    )


async def release(step: StepInput, systems: OrderSystems) -> Outcome:
    """Release to every location holding units; each release has its own key, so a re-run skips none twice."""
    requests: dict[str, str] = {}
    for location_id, lines in sorted(step.held.items()):
        released = await systems.release(
            step.tenant, step.order, location_id, lines, key=f"release:{step.order_id}:{location_id}"
        )
        requests[location_id] = released.fulfillment_request_id
    return Outcome(
        to="released",
        system="wms",
        step="release",
        detail={"fulfillment_requests": requests},
        held={},
        fulfillment_requests=requests,
    )


STEPS: dict[OrderState, Step] = {
    "received": validate,
    "validated": calculate_tax,
    "tax_calculated": book_sales_order,
    "accepted": reserve,
    "backordered": fill_backorders,
    "reserved": release,
}
"""The step that moves an order out of each actionable state."""
