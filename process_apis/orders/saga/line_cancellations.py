"""Line cancellations after booking: the channel cuts units from an order's lines (a merchant's edit, a refund
with restock) and the units come off the backorder, the holds and the warehouse release before anyone picks.

Intake records each cut as a :class:`LineCancellation` and never calls a system. The worker withdraws it
between two steps, under the order's lease: it first fixes a plan from what the inventory process holds (a
backorder first, then holds by location), saves it, and then calls the WMS and the inventory process with keys
derived from the cancellation's id. Units a warehouse already picked, or that already shipped, cannot be
withdrawn: they go on the worklist as ``cancel_after_pick``. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import SalesOrder
from process_apis.orders.models import LineCancellation, OrderLineRecord, OrderRecord
from process_apis.orders.saga.states import OrderState
from process_apis.orders.saga.systems import LineCut, Reservation, Withdrawal
from process_apis.orders.saga.timeline import record_step
from process_apis.orders.worklist import Worklist

__all__ = [
    "CUTTABLE",
    "WITHDRAWABLE",
    "apply_withdrawal",
    "next_cancellation",
    "plan_withdrawal",
    "record_line_cuts",
]

WITHDRAWABLE: frozenset[OrderState] = frozenset(
    {"accepted", "reserved", "backordered", "released", "partially_shipped"}
)
"""Booked, and some units possibly not yet picked: the worker withdraws pending cuts in these states."""

CUTTABLE: frozenset[OrderState] = WITHDRAWABLE | {"validated", "tax_calculated"}
"""States in which intake records a cut; one made while the ERP order is being booked waits for the booking."""


async def record_line_cuts(
    session: AsyncSession, record: OrderRecord, order: SalesOrder, *, topic: str, whole_order_cancellable: bool
) -> dict[str, int] | None:
    """Record the units ``order`` (a newer version from the channel) cuts from the booked ``record``; returns
    line_id → units cut, or ``None`` (nothing recorded) when it cuts every line to nothing and
    ``whole_order_cancellable``: that is a cancellation of the order in all but name."""
    lines = await _lines(session, record)
    pending = await _pending_units(session, record)
    wanted = {line.line_id: line.quantity for line in order.lines}
    current = {line_id: line.quantity - pending.get(line_id, 0) for line_id, line in lines.items()}
    cuts = {line_id: units - wanted.get(line_id, 0) for line_id, units in current.items()}
    cuts = {line_id: units for line_id, units in cuts.items() if units > 0}
    added = sorted(line_id for line_id, units in wanted.items() if units > current.get(line_id, 0))
    if added:
        await Worklist(session).record(
            tenant=record.tenant,
            kind="order_edit_not_applied",
            system=record.channel,
            subject=f"order:{record.order_id}:edit",
            order_id=record.order_id,
            reason=(
                f"the channel added units to line(s) {', '.join(added)} after the order was booked; only cuts are "
                "applied then: add them to the ERP order and the warehouse release by hand"
            ),
            snapshot={"lines": {line_id: wanted[line_id] for line_id in added}, "state": record.state},
        )
    if cuts and whole_order_cancellable and all(wanted.get(line_id, 0) == 0 for line_id in current):
        return None
    now = datetime.now(UTC)
    detail: dict[str, Any] = {"channel_updated_at": order.updated_at.isoformat()}
    if cuts:
        session.add(
            LineCancellation(
                order_pk=record.id,
                units=cuts,
                plan=None,
                status="pending",
                outcome={},
                topic=topic,
                requested_at=now,
                done_at=None,
            )
        )
        record.lines_cancel_pending = True
        if record.next_attempt_at is None or record.next_attempt_at > now:
            record.next_attempt_at = now
        record_step(session, record, topic, record.channel, "done", record.state, {**detail, "cut": cuts})
    else:
        reason = "after booking only cuts to line quantities are applied; change anything else in the ERP"
        record_step(session, record, topic, record.channel, "ignored", record.state, {**detail, "reason": reason})
    record.channel_updated_at = order.updated_at
    record.updated_at = now
    return cuts


async def next_cancellation(session: AsyncSession, order_pk: int) -> LineCancellation | None:
    query = (
        select(LineCancellation)
        .where(LineCancellation.order_pk == order_pk, LineCancellation.status == "pending")
        .order_by(LineCancellation.id)
        .limit(1)
    )
    return (await session.scalars(query)).one_or_none()


def plan_withdrawal(units: dict[str, int], holdings: Reservation) -> list[LineCut]:
    """Which units come off where: a line's backorder first (nothing physical moves), then its holds in location
    order. Units neither held nor backordered are not in the plan (they were picked or shipped)."""
    plan: list[LineCut] = []
    for line_id, count in sorted(units.items()):
        left = count
        if waiting := min(left, holdings.backordered.get(line_id, 0)):
            plan.append((line_id, None, waiting))
            left -= waiting
        for location_id, held in sorted(holdings.held.items()):
            here = sum(n for held_line, _sku, n in held if held_line == line_id)
            if left and (take := min(left, here)):
                plan.append((line_id, location_id, take))
                left -= take
    return plan


async def apply_withdrawal(
    session: AsyncSession, record: OrderRecord, cancellation: LineCancellation, withdrawal: Withdrawal
) -> OrderState | None:
    """Take the withdrawn units off the order's lines and holds, put what could not be withdrawn on the worklist,
    and say where the order goes now (``None``: it stays where it is)."""
    lines = await _lines(session, record)
    withdrawn: dict[str, int] = {}
    for line_id, location_id, units in withdrawal.withdrawn:
        line = lines[line_id]
        withdrawn[line_id] = withdrawn.get(line_id, 0) + units
        if location_id is None:
            line.backordered = max(0, line.backordered - units)
        else:
            line.reserved = max(0, line.reserved - units)
            _release_hold(record, location_id, line_id, units)
    for line_id, units in withdrawn.items():
        line = lines[line_id]
        line.quantity -= units
        line.cancelled += units
        if line.quantity == 0:
            line.state = "cancelled"
        elif line.shipped >= line.quantity:
            line.state = "shipped"
    _cut_sales_order(record, {line_id: line.quantity for line_id, line in lines.items()})
    record.fulfillment_requests = {
        location: request
        for location, request in record.fulfillment_requests.items()
        if location not in withdrawal.emptied
    }
    kept = {line_id: units - withdrawn.get(line_id, 0) for line_id, units in cancellation.units.items()}
    kept = {line_id: units for line_id, units in kept.items() if units > 0}
    now = datetime.now(UTC)
    cancellation.status, cancellation.done_at = "done", now
    cancellation.outcome = {"withdrawn": withdrawn, "not_withdrawn": kept, "refused": withdrawal.refused}
    if kept:
        await Worklist(session).record(
            tenant=record.tenant,
            kind="cancel_after_pick",
            system="wms",
            subject=f"order:{record.order_id}:cut:{cancellation.id}",
            order_id=record.order_id,
            reason=(
                f"the channel cut {_units(kept)} after they were picked or shipped; "
                "stop the parcel or arrange a return or refund"
            ),
            snapshot={"not_withdrawn": kept, "refused": withdrawal.refused, "state": record.state},
        )
    return _where_next(record.state, list(lines.values()))


def _where_next(state: str, lines: Sequence[OrderLineRecord]) -> OrderState | None:
    if all(line.quantity == 0 for line in lines):
        return "cancelled"
    if state == "backordered" and not any(line.backordered for line in lines):
        return "reserved"
    if state in ("released", "partially_shipped") and all(line.shipped >= line.quantity for line in lines):
        return "shipped"
    return None


def _release_hold(record: OrderRecord, location_id: str, line_id: str, units: int) -> None:
    """Units cut from a hold not yet released to its location are not released there later."""
    held = record.unreleased.get(location_id)
    if not held:
        return
    left: list[list[Any]] = []
    for held_line, sku, count in held:
        if held_line == line_id:
            taken = min(units, int(count))
            units -= taken
            count = int(count) - taken
        if count:
            left.append([held_line, sku, count])
    unreleased = {location: list(lines) for location, lines in record.unreleased.items() if location != location_id}
    if left:
        unreleased[location_id] = left
    record.unreleased = unreleased


def _cut_sales_order(record: OrderRecord, quantities: dict[str, int]) -> None:
    """The order the steps work from is what is left to fulfil: later steps reserve and release only that."""
    order = dict(record.sales_order)
    lines = []
    for line in order["lines"]:
        quantity = quantities.get(line["line_id"], line["quantity"])
        fulfillable = line.get("fulfillable_quantity")
        lines.append(
            {
                **line,
                "quantity": quantity,
                "fulfillable_quantity": None if fulfillable is None else min(fulfillable, quantity),
            }
        )
    order["lines"] = lines
    record.sales_order = order


async def _lines(session: AsyncSession, record: OrderRecord) -> dict[str, OrderLineRecord]:
    query = select(OrderLineRecord).where(OrderLineRecord.order_pk == record.id).order_by(OrderLineRecord.id)
    return {line.line_id: line for line in (await session.scalars(query)).all()}


async def _pending_units(session: AsyncSession, record: OrderRecord) -> dict[str, int]:
    query = select(LineCancellation.units).where(
        LineCancellation.order_pk == record.id, LineCancellation.status == "pending"
    )
    pending: dict[str, int] = {}
    for units in (await session.scalars(query)).all():
        for line_id, count in units.items():
            pending[line_id] = pending.get(line_id, 0) + int(count)
    return pending


def _units(units: dict[str, int]) -> str:
    return ", ".join(f"{count} unit(s) of line {line_id}" for line_id, count in sorted(units.items()))
