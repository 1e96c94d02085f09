"""Transfers between locations: units leave the source's on_hand when shipped and wait as in_transit at the
destination until received there, when they become on_hand. Never commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import StockDeltas, StockTransfer, TransferLine
from canonical.events import EventEnvelope
from canonical.streams import WMS_EVENTS
from canonical.warehouse import TRANSFER_RECEIVED, TRANSFER_SHIPPED
from service_kit.events.outbox import record_event
from system_apis.wms.errors import InvalidField, UnknownResource
from system_apis.wms.models import TransferRecord, WmsOutbox
from system_apis.wms.repository import TransferRepository
from system_apis.wms.schemas import TransferCreate
from system_apis.wms.stock import StockLedger

__all__ = ["TransferService"]


class TransferService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.transfers = TransferRepository(session)
        self.ledger = StockLedger(session)

    async def ship(self, tenant: str, request: TransferCreate) -> StockTransfer:
        if request.from_location_id == request.to_location_id:
            raise InvalidField("to_location_id", "must differ from from_location_id")
        await self.ledger.require_location(tenant, request.from_location_id, field="from_location_id")
        await self.ledger.require_location(tenant, request.to_location_id, field="to_location_id")
        units: dict[str, int] = {}
        for line in request.lines:
            units[line.sku] = units.get(line.sku, 0) + line.quantity
        now = datetime.now(UTC)
        record = TransferRecord(
            tenant=tenant,
            transfer_id=f"TR-{uuid.uuid4().hex[:12].upper()}",
            from_location=request.from_location_id,
            to_location=request.to_location_id,
            status="in_transit",
            lines=[{"sku": sku, "quantity": quantity} for sku, quantity in units.items()],
            reference=request.reference,
            shipped_at=now,
            received_at=None,
        )
        self.transfers.add(record)
        moves = [(record.from_location, sku, StockDeltas(on_hand=-q), "transfer_out", q) for sku, q in units.items()]
        moves += [
            (record.to_location, sku, StockDeltas(in_transit=q), "transfer_in_transit", q) for sku, q in units.items()
        ]
        for location, sku, deltas, reason, quantity in sorted(moves, key=lambda m: (m[0], m[1])):
            # one lock order (location, SKU), so two transfers in opposite directions never deadlock
            await self.ledger.move(
                tenant, location, sku, deltas, reason=reason, quantity=quantity, reference=record.transfer_id, now=now
            )
        transfer = _transfer(record)
        self._announce(TRANSFER_SHIPPED, transfer, sequence=1)
        return transfer

    async def receive(self, tenant: str, transfer_id: str) -> StockTransfer:
        """Receive every unit at the destination; receiving again changes nothing."""
        record = await self.transfers.get(tenant, transfer_id, for_update=True)
        if record is None:
            raise UnknownResource(f"transfer '{transfer_id}' does not exist", code="unknown_transfer")
        if record.status == "received":
            return _transfer(record)
        now = datetime.now(UTC)
        for line in sorted(record.lines, key=lambda line: str(line["sku"])):
            quantity = int(line["quantity"])
            await self.ledger.move(
                tenant,
                record.to_location,
                str(line["sku"]),
                StockDeltas(in_transit=-quantity, on_hand=quantity),
                reason="transfer_in",
                quantity=quantity,
                reference=record.transfer_id,
                now=now,
            )
        record.status, record.received_at = "received", now
        await self.session.flush()
        transfer = _transfer(record)
        self._announce(TRANSFER_RECEIVED, transfer, sequence=2)
        return transfer

    async def get(self, tenant: str, transfer_id: str) -> StockTransfer:
        record = await self.transfers.get(tenant, transfer_id)
        if record is None:
            raise UnknownResource(f"transfer '{transfer_id}' does not exist", code="unknown_transfer")
        return _transfer(record)

    async def find(self, tenant: str, *, status: str | None, location: str | None, limit: int) -> list[StockTransfer]:
        return [_transfer(r) for r in await self.transfers.find(tenant, status=status, location=location, limit=limit)]

    def _announce(self, event_type: str, transfer: StockTransfer, *, sequence: int) -> None:
        envelope = EventEnvelope.new(
            type=event_type,
            tenant=transfer.tenant,
            aggregate_type="stock_transfer",
            aggregate_id=transfer.id,
            sequence=sequence,
            payload=transfer,
        )
        record_event(self.session, WmsOutbox, stream=WMS_EVENTS, envelope=envelope)


def _transfer(record: TransferRecord) -> StockTransfer:
    return StockTransfer(
        id=record.transfer_id,
        tenant=record.tenant,
        from_location_id=record.from_location,
        to_location_id=record.to_location,
        status=record.status,  # type: ignore[arg-type]
        lines=msgspec.convert(record.lines, list[TransferLine]),
        shipped_at=record.shipped_at,
        received_at=record.received_at,
        reference=record.reference,
    )
