"""Orders enter the saga from channel events: a new order once, a newer version replacing an older one while
nothing has been booked from it and cutting line quantities after (see ``line_cancellations``), an older or
duplicate delivery never. Never commits."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import SalesOrder
from process_apis.orders.models import LineCancellation, OrderLineRecord, OrderRecord
from process_apis.orders.saga.line_cancellations import CUTTABLE, record_line_cuts
from process_apis.orders.saga.states import CANCELLABLE
from process_apis.orders.saga.timeline import record_step
from process_apis.orders.worklist import Worklist

__all__ = ["receive_order"]

_REPLACEABLE = frozenset({"received", "on_hold", "rejected"})
"""Before validation succeeds nothing was sent anywhere, so a newer version of the order simply replaces it."""

_NOTHING_TO_UNDO = frozenset({"received", "validated", "tax_calculated", "on_hold", "rejected"})
"""Nothing is held or released for the order yet: cancelling it calls no system."""


async def receive_order(
    session: AsyncSession, order: SalesOrder, *, topic: str, cancelled_at: datetime | None = None
) -> OrderRecord:
    """The saga's record of ``order``: created on first sight, replaced by a newer version while replaceable,
    cancelled when the channel cancelled it (``cancelled_at``) and nothing has shipped."""
    now = datetime.now(UTC)
    query = select(OrderRecord).where(
        OrderRecord.tenant == order.tenant,
        OrderRecord.channel == order.channel,
        OrderRecord.external_id == order.external_id,
    )
    record = (await session.scalars(query.with_for_update())).one_or_none()
    if record is None:
        record = OrderRecord(
            tenant=order.tenant,
            order_id=order.order_id,
            channel=order.channel,
            external_id=order.external_id,
            state="received",
            version=1,
            channel_updated_at=order.updated_at,
            sales_order=msgspec.to_builtins(order),
            unreleased={},
            fulfillment_requests={},
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(record)
        await session.flush()
        _replace_lines(session, record, order)
        _note(session, record, topic, "done", {"channel_updated_at": order.updated_at.isoformat()})
        if cancelled_at is not None:  # the cancellation is the first we hear of it: nothing to undo
            await _cancel(session, record, topic, cancelled_at, undo=False)
        return record
    if cancelled_at is not None:
        if record.state == "cancelled":
            _note(session, record, topic, "ignored", {"reason": "already cancelled"})
        elif record.state not in CANCELLABLE:
            _note(session, record, topic, "ignored", {"reason": f"the order is {record.state}: too late to cancel"})
            await Worklist(session).record(
                tenant=record.tenant,
                kind="cancel_after_shipment",
                system=record.channel,
                subject=f"order:{record.order_id}",
                order_id=record.order_id,
                reason=f"the channel cancelled the order after it was {record.state}; arrange a return or refund",
                snapshot={"state": record.state, "cancelled_at": cancelled_at.isoformat()},
            )
        else:
            record.channel_updated_at = max(record.channel_updated_at, order.updated_at)
            await _cancel(session, record, topic, cancelled_at, undo=record.state not in _NOTHING_TO_UNDO)
        return record
    if order.updated_at <= record.channel_updated_at:
        _note(session, record, topic, "ignored", {"reason": "an equal or newer version is already held"})
        return record
    if record.state in CUTTABLE:
        cancellable = record.state in CANCELLABLE
        if await record_line_cuts(session, record, order, topic=topic, whole_order_cancellable=cancellable) is None:
            record.channel_updated_at = order.updated_at
            await _cancel(session, record, topic, order.updated_at, undo=record.state not in _NOTHING_TO_UNDO)
        return record
    if record.state not in _REPLACEABLE:
        _note(session, record, topic, "ignored", {"reason": f"the order is {record.state}; change it in the ERP"})
        record.channel_updated_at = order.updated_at
        return record
    record.sales_order = msgspec.to_builtins(order)
    record.channel_updated_at = order.updated_at
    record.state, record.version, record.attempts = "received", record.version + 1, 0
    record.next_attempt_at, record.hold_reason, record.updated_at = now, None, now
    for line in (await session.scalars(select(OrderLineRecord).where(OrderLineRecord.order_pk == record.id))).all():
        await session.delete(line)
    await session.flush()
    _replace_lines(session, record, order)
    _note(session, record, topic, "done", {"replaced": True, "channel_updated_at": order.updated_at.isoformat()})
    return record


async def _cancel(
    session: AsyncSession, record: OrderRecord, topic: str, cancelled_at: datetime, *, undo: bool
) -> None:
    """Cancelled at once (no further step runs); the worker undoes holds and releases when ``undo``, which
    takes in any line cancellation still pending."""
    now = datetime.now(UTC)
    await session.execute(
        update(LineCancellation)
        .where(LineCancellation.order_pk == record.id, LineCancellation.status == "pending")
        .values(status="superseded", done_at=now)
    )
    record.lines_cancel_pending = False
    detail = {"cancelled_at": cancelled_at.isoformat(), "undo": undo}
    record_step(session, record, topic, record.channel, "done", "cancelled", detail, at=now)
    record.state, record.version, record.attempts, record.lease_until = "cancelled", record.version + 1, 0, None
    record.cancel_pending, record.next_attempt_at, record.updated_at = undo, now if undo else None, now


def _replace_lines(session: AsyncSession, record: OrderRecord, order: SalesOrder) -> None:
    for line in order.lines:
        session.add(
            OrderLineRecord(
                order_pk=record.id,
                line_id=line.line_id,
                sku=line.sku,
                quantity=line.quantity,
                state="received",
                reserved=0,
                backordered=0,
                shipped=0,
            )
        )


def _note(session: AsyncSession, record: OrderRecord, topic: str, outcome: str, detail: dict[str, object]) -> None:
    record_step(session, record, topic, record.channel, outcome, record.state, detail)
