"""Reservations: hold an accepted order's units at the locations routing chose, so stock is never promised twice.

Every change to an order's holds runs with the positions of its SKUs locked (row locks in a fixed order on
PostgreSQL; SQLite's single writer), so concurrent orders see each other's holds and available-to-sell
never goes below zero. Never commits: the request's unit of work does, with the outbox events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from canonical import INVENTORY_AVAILABILITY_CHANGED, AvailabilityChange, EventEnvelope
from canonical.inventory import AvailabilityCause
from canonical.streams import INVENTORY_EVENTS
from process_apis.inventory.models import Backorder, InventoryOutbox, Reservation
from process_apis.inventory.repository import AvailabilityRepository
from process_apis.inventory.routing import LocationProfile, RoutedLine, RoutingPlan, SourcingPolicy, route_order
from process_apis.inventory.schemas import (
    BackorderedUnits,
    BackorderFill,
    LineCancellation,
    OrderReservation,
    ReservationCancellation,
    ReservationRequest,
    ReservationStatus,
    ReservedUnits,
    ShipmentConsumption,
)
from process_apis.inventory.service import AvailabilityService, UnknownSku
from service_kit.events.outbox import record_event
from service_kit.problems import Conflict, NotFound

__all__ = ["OrderAlreadyReserved", "ReservationService", "UnknownReservation"]


class UnknownReservation(NotFound):
    code = "unknown_reservation"


class OrderAlreadyReserved(Conflict):
    code = "order_already_reserved"


class HoldExceeded(Conflict):
    code = "hold_exceeded"


class ReservationService:
    def __init__(self, session: AsyncSession) -> None:
        self.repository = AvailabilityRepository(session)
        self.session = session
        self.availability = AvailabilityService(session)

    async def reserve(
        self, tenant: str, request: ReservationRequest, locations: Sequence[LocationProfile]
    ) -> OrderReservation:
        """Hold what the locations can fill, backorder the rest."""
        skus = sorted({line.sku for line in request.lines})
        await self.repository.lock_positions(tenant, skus)
        if await self.repository.reservations_of(tenant, request.order_id) or await self.repository.backorders_of(
            tenant, request.order_id
        ):
            raise OrderAlreadyReserved(
                f"order '{request.order_id}' is already reserved; GET /inventory/v1/reservations/{request.order_id}",
                extra={"order_id": request.order_id},
            )
        plan = await self._route(
            tenant,
            [RoutedLine(line.line_id, line.sku, line.quantity) for line in request.lines],
            channel=request.channel,
            locations=locations,
            country=request.ship_to_country,
            region=request.ship_to_region,
        )
        now = datetime.now(UTC)
        held: dict[tuple[str, str], Reservation] = {}
        for allocation in plan.allocations:
            key = (allocation.line_id, allocation.location_id)
            if key in held:  # the same line split back onto a location it already uses
                held[key].quantity += allocation.quantity
                continue
            held[key] = Reservation(
                tenant=tenant,
                order_id=request.order_id,
                line_id=allocation.line_id,
                channel=request.channel,
                sku=allocation.sku,
                location_id=allocation.location_id,
                quantity=allocation.quantity,
                shipped=0,
                status="open",
                created_at=now,
                updated_at=now,
            )
            self.repository.add(held[key])
        for backorder in plan.backorders:
            self.repository.add(
                Backorder(
                    tenant=tenant,
                    order_id=request.order_id,
                    line_id=backorder.line_id,
                    sku=backorder.sku,
                    quantity=backorder.quantity,
                    status="open",
                    created_at=now,
                )
            )
        await self.session.flush()
        await self._announce(tenant, {a.sku for a in plan.allocations}, cause="reserved", order_id=request.order_id)
        return await self.show(tenant, request.order_id)

    async def fill_backorders(
        self, tenant: str, order_id: str, request: BackorderFill, locations: Sequence[LocationProfile]
    ) -> OrderReservation:
        """Hold what has come into stock for the order's open backorders, routed like a reservation; what is still
        missing stays backordered. Repeating it holds nothing twice (the backorders shrink as they are held)."""
        first_look = await self.repository.backorders_of(tenant, order_id)
        skus = sorted({b.sku for b in first_look if b.status == "open"})
        if not skus:
            return await self.show(tenant, order_id)
        await self.repository.lock_positions(tenant, skus)
        backorders = [b for b in await self.repository.backorders_of(tenant, order_id) if b.status == "open"]
        plan = await self._route(
            tenant,
            [RoutedLine(b.line_id, b.sku, b.quantity) for b in backorders],
            channel=request.channel,
            locations=locations,
            country=request.ship_to_country,
            region=request.ship_to_region,
        )
        holds = {(r.line_id, r.location_id): r for r in await self.repository.reservations_of(tenant, order_id)}
        now = datetime.now(UTC)
        filled: dict[str, int] = {}
        for allocation in plan.allocations:
            hold = holds.get((allocation.line_id, allocation.location_id))
            if hold is not None and hold.status != "open":
                continue  # that hold already went to the warehouse: these units wait for the next routing
            if hold is None:
                hold = Reservation(
                    tenant=tenant,
                    order_id=order_id,
                    line_id=allocation.line_id,
                    channel=request.channel,
                    sku=allocation.sku,
                    location_id=allocation.location_id,
                    quantity=0,
                    shipped=0,
                    status="open",
                    created_at=now,
                )
                holds[(allocation.line_id, allocation.location_id)] = hold
                self.repository.add(hold)
            hold.quantity += allocation.quantity
            hold.updated_at = now
            filled[allocation.line_id] = filled.get(allocation.line_id, 0) + allocation.quantity
        for backorder in backorders:
            if units := filled.get(backorder.line_id, 0):
                backorder.quantity -= units
                if backorder.quantity == 0:
                    backorder.quantity, backorder.status = units, "filled"
        await self.session.flush()
        if filled:
            held_skus = {a.sku for a in plan.allocations if a.line_id in filled}
            await self._announce(tenant, held_skus, cause="reserved", order_id=order_id)
        return await self.show(tenant, order_id)

    async def _route(
        self,
        tenant: str,
        lines: list[RoutedLine],
        *,
        channel: str,
        locations: Sequence[LocationProfile],
        country: str,
        region: str | None,
    ) -> RoutingPlan:
        """Where ``lines`` can be held now: what each location can sell, less the channel's buffers, by the
        tenant's sourcing rule and the ship-to (positions must already be locked)."""
        skus = sorted({line.sku for line in lines})
        sellable: dict[str, dict[str, int]] = {}
        caps: dict[str, int] = {}
        buffers = await self.repository.channel_buffers(tenant, channel, skus)
        for sku in skus:
            sellable[sku] = await self._sellable_by_location(tenant, sku)
            caps[sku] = max(0, sum(sellable[sku].values()) - buffers[sku])
        rule = await self.repository.sourcing_rule(tenant)
        return route_order(
            lines,
            sellable=sellable,
            channel_caps=caps,
            locations=locations,
            policy=SourcingPolicy(ship_from_store=rule.ship_from_store) if rule else SourcingPolicy(),
            country=country,
            region=region,
        )

    async def show(self, tenant: str, order_id: str) -> OrderReservation:
        reservations = await self.repository.reservations_of(tenant, order_id)
        backorders = await self.repository.backorders_of(tenant, order_id)
        if not reservations and not backorders:
            raise UnknownReservation(f"order '{order_id}' has no reservation", extra={"order_id": order_id})
        holding = any(r.status != "closed" for r in reservations)
        waiting = any(b.status == "open" for b in backorders)
        status: ReservationStatus
        if holding:
            status = "partially_reserved" if waiting else "reserved"
        else:
            status = "backordered" if waiting else "closed"
        return OrderReservation(
            tenant=tenant,
            order_id=order_id,
            status=status,
            reservations=[
                ReservedUnits(
                    line_id=r.line_id,
                    sku=r.sku,
                    location_id=r.location_id,
                    quantity=r.quantity,
                    shipped=r.shipped,
                    status=r.status,  # type: ignore[arg-type]
                )
                for r in reservations
            ],
            backorders=[
                BackorderedUnits(line_id=b.line_id, sku=b.sku, quantity=b.quantity, status=b.status)  # type: ignore[arg-type]
                for b in backorders
            ],
        )

    async def release(self, tenant: str, order_id: str, location_id: str) -> OrderReservation:
        """The order's open holds at ``location_id`` went to the WMS, which now commits them."""
        reservations = await self._locked(tenant, order_id)
        changed = [r for r in reservations if r.location_id == location_id and r.status == "open"]
        for reservation in changed:
            reservation.status = "released"
            reservation.updated_at = datetime.now(UTC)
        await self.session.flush()
        await self._announce(tenant, {r.sku for r in changed}, cause="released", order_id=order_id)
        return await self.show(tenant, order_id)

    async def consume(self, tenant: str, order_id: str, shipment: ShipmentConsumption) -> OrderReservation:
        """Shipped units leave the holds at the shipping location (a retried shipment must carry its key)."""
        reservations = await self._locked(tenant, order_id)
        at_location = {r.line_id: r for r in reservations if r.location_id == shipment.location_id}
        for shipped in shipment.lines:
            reservation = at_location.get(shipped.line_id)
            if reservation is None or shipped.quantity > reservation.quantity:
                held = reservation.quantity if reservation is not None else 0
                raise HoldExceeded(
                    f"line '{shipped.line_id}' holds {held} unit(s) at '{shipment.location_id}', "
                    f"{shipped.quantity} shipped",
                    extra={"line_id": shipped.line_id, "location_id": shipment.location_id, "held": held},
                )
            reservation.quantity -= shipped.quantity
            reservation.shipped += shipped.quantity
            reservation.status = "closed" if reservation.quantity == 0 else reservation.status
            reservation.updated_at = datetime.now(UTC)
        await self.session.flush()
        skus = {at_location[line.line_id].sku for line in shipment.lines}
        await self._announce(tenant, skus, cause="shipped", order_id=order_id)
        return await self.show(tenant, order_id)

    async def cancel(self, tenant: str, order_id: str, cancellation: ReservationCancellation) -> OrderReservation:
        """Free the holds and backorders of the named lines (all lines when none are named), or only some of
        their units; 409 ``hold_exceeded`` when a line holds fewer units than asked to cancel."""
        reservations = await self._locked(tenant, order_id)
        backorders = await self.repository.backorders_of(tenant, order_id)
        lines = {line.line_id for line in cancellation.lines}
        known = {r.line_id for r in reservations} | {b.line_id for b in backorders}
        if unknown := sorted(lines - known):
            raise UnknownReservation(
                f"order '{order_id}' has no reservation for line(s) {', '.join(unknown)}",
                extra={"order_id": order_id, "line_ids": unknown},
            )
        whole = {line.line_id for line in cancellation.lines if line.quantity is None}
        freed = set()
        now = datetime.now(UTC)
        for reservation in reservations:
            if (not lines or reservation.line_id in whole) and reservation.status != "closed":
                freed.add(reservation.sku)
                reservation.quantity = 0
                reservation.status = "closed"
                reservation.updated_at = now
        for backorder in backorders:
            if (not lines or backorder.line_id in whole) and backorder.status == "open":
                backorder.status = "cancelled"
        for line in cancellation.lines:
            if line.quantity is not None:
                freed |= _take_units(line, reservations, backorders, now)
        await self.session.flush()
        await self._announce(tenant, freed, cause="cancelled", order_id=order_id)
        return await self.show(tenant, order_id)

    async def _locked(self, tenant: str, order_id: str) -> Sequence[Reservation]:
        """The order's holds, with its SKUs' positions locked like a reservation locks them."""
        reservations = await self.repository.reservations_of(tenant, order_id)
        if not reservations and not await self.repository.backorders_of(tenant, order_id):
            raise UnknownReservation(f"order '{order_id}' has no reservation", extra={"order_id": order_id})
        await self.repository.lock_positions(tenant, [r.sku for r in reservations])
        return await self.repository.reservations_of(tenant, order_id, for_update=True)

    async def _sellable_by_location(self, tenant: str, sku: str) -> dict[str, int]:
        try:
            availability = await self.availability.availability(tenant, sku)
        except UnknownSku:
            return {}
        return {p.location_id: p.available_to_sell for p in availability.positions}

    async def _announce(self, tenant: str, skus: Iterable[str], *, cause: AvailabilityCause, order_id: str) -> None:
        """One event per SKU whose available-to-sell changed, so storefronts and Shopify catch up."""
        for sku in sorted(skus):
            availability = await self.availability.availability(tenant, sku)
            sequence = await self.repository.next_availability_sequence(tenant, sku)
            change = AvailabilityChange(
                tenant=tenant,
                sku=sku,
                available_to_sell=availability.available_to_sell,
                cause=cause,
                order_id=order_id,
                changed_at=datetime.now(UTC),
            )
            record_event(
                self.session,
                InventoryOutbox,
                stream=INVENTORY_EVENTS,
                envelope=EventEnvelope.new(
                    type=INVENTORY_AVAILABILITY_CHANGED,
                    tenant=tenant,
                    aggregate_type="sku",
                    aggregate_id=sku,
                    sequence=sequence,
                    payload=change,
                ),
            )


def _take_units(
    line: LineCancellation, reservations: Sequence[Reservation], backorders: Sequence[Backorder], now: datetime
) -> set[str]:
    """Take ``line.quantity`` units off the line's open backorder, then off its holds; returns the SKUs whose
    holds shrank. Refuses (and changes nothing) when the line has fewer units than that."""
    assert line.quantity is not None
    backorder = next((b for b in backorders if b.line_id == line.line_id and b.status == "open"), None)
    holds = sorted(
        (
            r
            for r in reservations
            if r.line_id == line.line_id
            and r.status != "closed"
            and (line.location_id is None or r.location_id == line.location_id)
        ),
        key=lambda r: r.location_id,
    )
    waiting = backorder.quantity if backorder is not None and line.location_id is None else 0
    held = sum(r.quantity for r in holds)
    if line.quantity > waiting + held:
        where = f" at '{line.location_id}'" if line.location_id else ""
        raise HoldExceeded(
            f"line '{line.line_id}' has {waiting + held} unit(s) held or backordered{where}, {line.quantity} to cancel",
            extra={"line_id": line.line_id, "location_id": line.location_id, "held": held, "backordered": waiting},
        )
    remaining = line.quantity
    if backorder is not None and waiting:
        taken = min(remaining, waiting)
        backorder.quantity -= taken
        backorder.status = "cancelled" if backorder.quantity == 0 else backorder.status
        remaining -= taken
    freed: set[str] = set()
    for hold in holds:
        if remaining == 0:
            break
        taken = min(remaining, hold.quantity)
        hold.quantity -= taken
        hold.status = "closed" if hold.quantity == 0 else hold.status
        hold.updated_at = now
        freed.add(hold.sku)
        remaining -= taken
    return freed
