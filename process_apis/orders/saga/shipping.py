"""Shipments: a location's confirmation is recorded once, followed up by the worker, and moves the order to
``partially_shipped``, ``shipped`` and, every shipment invoiced, ``invoiced``.

A shipment may arrive before the order's release is recorded (the WMS answered, the worker had not written it
yet): it waits, pending, and is followed up once the order is ``released``. Never commits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import ShipmentNotice
from process_apis.orders.models import OrderLineRecord, OrderRecord, OrderShipment
from process_apis.orders.saga.confirmations import settle_confirmation_timeout
from process_apis.orders.saga.metrics import SHIPMENT_TURNAROUND, observe_between
from process_apis.orders.saga.states import OrderState, check_transition
from process_apis.orders.saga.timeline import record_step

__all__ = ["SHIPPABLE", "apply_shipment", "record_shipment"]

SHIPPABLE: frozenset[str] = frozenset({"released", "partially_shipped"})
"""Order states in which a pending shipment is followed up."""


async def record_shipment(session: AsyncSession, tenant: str, notice: ShipmentNotice) -> OrderShipment | None:
    """Keep a confirmed shipment for follow-up; a redelivered one, or one for an unknown order, is not kept."""
    order = (
        await session.scalars(
            select(OrderRecord).where(OrderRecord.tenant == tenant, OrderRecord.order_id == notice.order_id)
        )
    ).one_or_none()
    if order is None:
        return None
    known = await session.scalars(
        select(OrderShipment).where(OrderShipment.order_pk == order.id, OrderShipment.shipment_id == notice.shipment_id)
    )
    if known.one_or_none() is not None:
        return None
    now = datetime.now(UTC)
    shipment = OrderShipment(
        order_pk=order.id,
        shipment_id=notice.shipment_id,
        notice=msgspec.to_builtins(notice),
        status="pending",
        results={},
        attempts=0,
        next_attempt_at=now,
        received_at=now,
    )
    session.add(shipment)
    await session.flush()
    return shipment


async def apply_shipment(
    session: AsyncSession, order: OrderRecord, shipment: OrderShipment, results: dict[str, Any]
) -> list[tuple[OrderState, OrderState]]:
    """Count the shipped units on the order's lines and move the order on; returns the transitions made."""
    notice = msgspec.convert(shipment.notice, ShipmentNotice)
    lines = {
        line.line_id: line
        for line in (await session.scalars(select(OrderLineRecord).where(OrderLineRecord.order_pk == order.id))).all()
    }
    for shipped in notice.lines:
        if (line := lines.get(shipped.line_id)) is not None:
            line.shipped += shipped.quantity
            line.state = "shipped" if line.shipped >= line.quantity else "partially_shipped"
    shipment.status, shipment.results, shipment.lease_until, shipment.next_attempt_at = "done", results, None, None
    observe_between(SHIPMENT_TURNAROUND, order.released_at, shipment.received_at)
    await settle_confirmation_timeout(session, order, notice.location_id, shipment.shipment_id)
    everything_shipped = all(line.shipped >= line.quantity for line in lines.values())
    transitions: list[tuple[OrderState, OrderState]] = []
    target: OrderState = "shipped" if everything_shipped else "partially_shipped"
    transitions.append(_move(session, order, target, shipment.shipment_id, results))
    if everything_shipped:  # every shipment was invoiced as it was followed up
        for line in lines.values():
            if line.quantity > 0:  # a line the channel cut to nothing stays cancelled
                line.state = "invoiced"
        transitions.append(_move(session, order, "invoiced", shipment.shipment_id, results))
    return transitions


def _move(
    session: AsyncSession, order: OrderRecord, target: OrderState, shipment_id: str, results: dict[str, Any]
) -> tuple[OrderState, OrderState]:
    current: OrderState = order.state  # type: ignore[assignment]
    check_transition(current, target)
    now = datetime.now(UTC)
    step, system = ("invoice", "erp") if target == "invoiced" else ("ship", "wms")
    record_step(session, order, step, system, "done", target, {"shipment_id": shipment_id, **results}, at=now)
    order.state, order.version, order.updated_at = target, order.version + 1, now
    return current, target
