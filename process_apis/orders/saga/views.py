"""Reading orders in the saga, and the one thing a person may do to one: retry it. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import SalesOrder, ShipmentNotice, ShipmentView
from process_apis.orders.models import OrderLineRecord, OrderRecord, OrderShipment, OrderStep
from process_apis.orders.saga.states import ACTIONABLE
from process_apis.orders.saga.timeline import record_step
from process_apis.orders.schemas import OrderLineView, OrderTimeline, OrderView, TimelineEntry
from service_kit.problems import Conflict, NotFound

__all__ = ["NothingToRetry", "OrderBook", "UnknownOrder"]


class UnknownOrder(NotFound):
    code = "unknown_order"


class NothingToRetry(Conflict):
    code = "nothing_to_retry"


class OrderBook:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, tenant: str, *, source_id: str | None, state: str | None, limit: int) -> list[OrderView]:
        query = select(OrderRecord).where(OrderRecord.tenant == tenant)
        if source_id is not None:
            query = query.where(OrderRecord.external_id == source_id)
        if state is not None:
            query = query.where(OrderRecord.state == state)
        records = (await self.session.scalars(query.order_by(OrderRecord.id.desc()).limit(limit))).all()
        return [await self._view(record) for record in records]

    async def show(self, tenant: str, order_id: str) -> OrderView:
        return await self._view(await self._record(tenant, order_id))

    async def sales_order(self, tenant: str, order_id: str) -> SalesOrder:
        """The order as the channel sent it (latest version), in the canonical model."""
        return msgspec.convert((await self._record(tenant, order_id)).sales_order, SalesOrder)

    async def timeline(self, tenant: str, order_id: str) -> OrderTimeline:
        record = await self._record(tenant, order_id)
        steps = (
            await self.session.scalars(select(OrderStep).where(OrderStep.order_pk == record.id).order_by(OrderStep.id))
        ).all()
        return OrderTimeline(
            order_id=record.order_id,
            state=record.state,
            steps=[
                TimelineEntry(
                    at=step.at,
                    step=step.step,
                    system=step.system,
                    outcome=step.outcome,  # type: ignore[arg-type]
                    from_state=step.from_state,
                    to_state=step.to_state,
                    attempt=step.attempt,
                    trace_id=step.trace_id,
                    detail=step.detail,
                )
                for step in steps
            ],
        )

    async def retry(self, tenant: str, order_id: str) -> OrderView:
        """Put an order back in flow after its cause was fixed: from hold or rejection it starts over (every
        step replays what already happened), a step that ran out of retries is tried again now."""
        record = await self._record(tenant, order_id, for_update=True)
        now = datetime.now(UTC)
        stuck = (
            await self.session.scalars(
                select(OrderShipment).where(
                    OrderShipment.order_pk == record.id,
                    OrderShipment.status == "pending",
                    OrderShipment.next_attempt_at.is_(None),
                )
            )
        ).all()
        for shipment in stuck:  # a shipment whose follow-up gave up: try it again now
            shipment.attempts, shipment.next_attempt_at, shipment.last_error = 0, now, None
        if record.state in ("on_hold", "rejected"):
            from_state, record.state, record.version = record.state, "received", record.version + 1
        elif (
            (record.state in ACTIONABLE or record.cancel_pending or record.lines_cancel_pending)
            and record.next_attempt_at is None
        ) or stuck:
            from_state = record.state
        else:
            raise NothingToRetry(
                f"order '{order_id}' is {record.state} and waits for nothing a retry can give",
                extra={"order_id": order_id, "state": record.state},
            )
        record.attempts, record.next_attempt_at, record.lease_until = 0, now, None
        record.hold_reason, record.last_error, record.updated_at = None, None, now
        record_step(self.session, record, "retry", "orders", "done", record.state, {}, from_state=from_state, at=now)
        await self.session.flush()
        return await self._view(record)

    async def _record(self, tenant: str, order_id: str, *, for_update: bool = False) -> OrderRecord:
        query = select(OrderRecord).where(OrderRecord.tenant == tenant, OrderRecord.order_id == order_id)
        if for_update:
            query = query.with_for_update()
        record = (await self.session.scalars(query)).one_or_none()
        if record is None:
            raise UnknownOrder(f"there is no order '{order_id}'", extra={"order_id": order_id})
        return record

    async def _view(self, record: OrderRecord) -> OrderView:
        lines: Sequence[OrderLineRecord] = (
            await self.session.scalars(
                select(OrderLineRecord).where(OrderLineRecord.order_pk == record.id).order_by(OrderLineRecord.id)
            )
        ).all()
        order = msgspec.convert(record.sales_order, SalesOrder)
        shipments = [
            (shipment, msgspec.convert(shipment.notice, ShipmentNotice))
            for shipment in (
                await self.session.scalars(
                    select(OrderShipment).where(OrderShipment.order_pk == record.id).order_by(OrderShipment.id)
                )
            ).all()
        ]
        return OrderView(
            order_id=record.order_id,
            channel=record.channel,
            source_id=record.external_id,
            state=record.state,
            version=record.version,
            erp_order_ref=record.erp_order_ref,
            hold_reason=record.hold_reason,
            attempts=record.attempts,
            next_attempt_at=record.next_attempt_at,
            last_error=record.last_error,
            lines=[
                OrderLineView(
                    line_id=line.line_id,
                    sku=line.sku,
                    quantity=line.quantity,
                    state=line.state,
                    reserved=line.reserved,
                    backordered=line.backordered,
                    shipped=line.shipped,
                    cancelled=line.cancelled,
                )
                for line in lines
            ],
            fulfillment_requests=dict(record.fulfillment_requests),
            created_at=record.created_at,
            updated_at=record.updated_at,
            order_number=order.order_number,
            placed_at=order.placed_at,
            shipments=[
                ShipmentView(
                    shipment_id=shipment.shipment_id,
                    location_id=notice.location_id,
                    status=shipment.status,  # type: ignore[arg-type]
                    lines=notice.lines,
                    packages=notice.packages,
                    shipped_at=notice.shipped_at,
                    invoice_id=shipment.results.get("invoice_id"),
                )
                for shipment, notice in shipments
            ],
        )
