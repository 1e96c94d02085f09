"""Return receipts: units coming back to a location, by condition. Resellable units go back on hand
(``return_restock``); damaged units are on hand but counted as damaged (``return_damaged``), so they are
never sold. Never commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import ReturnReceipt, ReturnReceiptLine, StockDeltas
from canonical.events import EventEnvelope
from canonical.streams import WMS_EVENTS
from canonical.warehouse import RETURN_RECEIPT_RECORDED
from service_kit.events.outbox import record_event
from system_apis.wms.errors import UnknownResource
from system_apis.wms.models import ReturnReceiptRecord, WmsOutbox
from system_apis.wms.repository import ReturnReceiptRepository
from system_apis.wms.schemas import ReturnReceiptCreate
from system_apis.wms.stock import StockLedger

__all__ = ["ReturnReceiptService"]


class ReturnReceiptService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.receipts = ReturnReceiptRepository(session)
        self.ledger = StockLedger(session)

    async def receive(self, tenant: str, request: ReturnReceiptCreate) -> ReturnReceipt:
        await self.ledger.require_location(tenant, request.location_id, field="location_id")
        now = datetime.now(UTC)
        record = ReturnReceiptRecord(
            tenant=tenant,
            receipt_id=f"RR-{uuid.uuid4().hex[:12].upper()}",
            location_code=request.location_id,
            order_id=request.order_id,
            return_authorization_id=request.return_authorization_id,
            lines=msgspec.to_builtins(request.lines),
            received_at=now,
        )
        self.receipts.add(record)
        units: dict[tuple[str, str], int] = {}
        for line in request.lines:
            units[(line.sku, line.condition)] = units.get((line.sku, line.condition), 0) + line.quantity
        for (sku, condition), quantity in sorted(units.items()):
            resellable = condition == "resellable"
            await self.ledger.move(
                tenant,
                request.location_id,
                sku,
                StockDeltas(on_hand=quantity, damaged=0 if resellable else quantity),
                reason="return_restock" if resellable else "return_damaged",
                quantity=quantity,
                reference=record.receipt_id,
                now=now,
            )
        receipt = _receipt(record)
        envelope = EventEnvelope.new(
            type=RETURN_RECEIPT_RECORDED,
            tenant=tenant,
            aggregate_type="return_receipt",
            aggregate_id=receipt.id,
            sequence=1,
            payload=receipt,
            correlation_id=request.order_id,
        )
        record_event(self.session, WmsOutbox, stream=WMS_EVENTS, envelope=envelope)
        return receipt

    async def get(self, tenant: str, receipt_id: str) -> ReturnReceipt:
        record = await self.receipts.get(tenant, receipt_id)
        if record is None:
            raise UnknownResource(f"return receipt '{receipt_id}' does not exist", code="unknown_return_receipt")
        return _receipt(record)

    async def find(self, tenant: str, *, order_id: str | None, limit: int) -> list[ReturnReceipt]:
        return [_receipt(r) for r in await self.receipts.find(tenant, order_id=order_id, limit=limit)]


def _receipt(record: ReturnReceiptRecord) -> ReturnReceipt:
    return ReturnReceipt(
        id=record.receipt_id,
        tenant=record.tenant,
        location_id=record.location_code,
        lines=msgspec.convert(record.lines, list[ReturnReceiptLine]),
        received_at=record.received_at,
        order_id=record.order_id,
        return_authorization_id=record.return_authorization_id,
    )
