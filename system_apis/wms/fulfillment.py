"""Fulfillment requests (warehouse releases): a location is asked to ship order lines, and their units become
committed there until shipped or cancelled.

released → picked → partially_shipped → shipped, or cancelled (whole, or line by line, only before pick).
A shipment may be confirmed from released or picked (3PLs often confirm without reporting a pick); it may
not ship more of a line than was requested less what has already shipped or been cancelled. Each shipment
takes its units off on_hand and committed and is announced as ``wms.shipment.confirmed`` with its
:class:`canonical.ShipmentNotice`. Never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import Address, FulfillmentLine, FulfillmentRequest, ShipmentNotice, StockDeltas
from canonical.events import EventEnvelope
from canonical.streams import WMS_EVENTS
from canonical.warehouse import (
    FULFILLMENT_REQUEST_CANCELLED,
    FULFILLMENT_REQUEST_PICKED,
    FULFILLMENT_REQUEST_RELEASED,
    SHIPMENT_CONFIRMED,
)
from service_kit.events.outbox import record_event
from system_apis.wms.errors import InvalidField, InvalidTransition, UnknownFulfillmentRequest
from system_apis.wms.models import FulfillmentLineRecord, FulfillmentRequestRecord, ShipmentRecord, WmsOutbox
from system_apis.wms.repository import FulfillmentRepository, LocationRepository
from system_apis.wms.schemas import CancelRequest, FulfillmentRequestCreate
from system_apis.wms.stock import StockLedger

__all__ = ["FulfillmentService"]

_PICKED_OR_LATER = frozenset({"picked", "partially_shipped", "shipped"})


class FulfillmentService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.requests = FulfillmentRepository(session)
        self.locations = LocationRepository(session)
        self.ledger = StockLedger(session)

    async def release(self, tenant: str, request: FulfillmentRequestCreate) -> FulfillmentRequest:
        seen: set[str] = set()
        for index, line in enumerate(request.lines):
            if line.line_id in seen:
                raise InvalidField(f"lines[{index}].line_id", f"line '{line.line_id}' appears twice")
            seen.add(line.line_id)
        location = await self.locations.get(tenant, request.location_id)
        if location is None:
            raise InvalidField(
                "location_id", f"location '{request.location_id}' does not exist", code="unknown_location"
            )
        if not location.active:
            raise InvalidField("location_id", f"location '{request.location_id}' is inactive", code="location_inactive")
        now = datetime.now(UTC)
        record = FulfillmentRequestRecord(
            tenant=tenant,
            request_id=f"FR-{uuid.uuid4().hex[:12].upper()}",
            order_id=request.order_id,
            location_code=request.location_id,
            ship_to=msgspec.to_builtins(request.ship_to),
            status="released",
            version=1,
            created_at=now,
            updated_at=now,
            picked_at=None,
            cancelled_at=None,
        )
        self.requests.add(record)
        await self.session.flush()
        for position, line in enumerate(request.lines):
            self.requests.add(
                FulfillmentLineRecord(
                    request_pk=record.id,
                    position=position,
                    line_id=line.line_id,
                    sku=line.sku,
                    quantity=line.quantity,
                    shipped_quantity=0,
                    cancelled_quantity=0,
                )
            )
        units: dict[str, int] = {}
        for line in request.lines:
            units[line.sku] = units.get(line.sku, 0) + line.quantity
        await self._move(record, units, sign=1, reason="fulfillment_committed", now=now)
        return await self._announce(record, FULFILLMENT_REQUEST_RELEASED)

    async def get(self, tenant: str, request_id: str) -> FulfillmentRequest:
        return await self._view(await self._record(tenant, request_id))

    async def find(
        self, tenant: str, *, order_id: str | None, status: str | None, location: str | None, limit: int
    ) -> list[FulfillmentRequest]:
        records = await self.requests.find(tenant, order_id=order_id, status=status, location=location, limit=limit)
        return [await self._view(r) for r in records]

    async def pick(self, tenant: str, request_id: str) -> FulfillmentRequest:
        """Mark picked (from then on it cannot be cancelled); picking again changes nothing."""
        record = await self._record(tenant, request_id, for_update=True)
        if record.status in _PICKED_OR_LATER:
            return await self._view(record)
        if record.status != "released":
            raise InvalidTransition(f"fulfillment request {request_id} is {record.status}; it cannot be picked")
        record.status, record.picked_at = "picked", datetime.now(UTC)
        return await self._announce(record, FULFILLMENT_REQUEST_PICKED)

    async def cancel(self, tenant: str, request_id: str, change: CancelRequest) -> FulfillmentRequest:
        """Cancel all open units, or some lines; only while released. Releases their committed units."""
        record = await self._record(tenant, request_id, for_update=True)
        if record.status == "cancelled" and not change.lines:
            return await self._view(record)
        if record.status != "released":
            raise InvalidTransition(
                f"fulfillment request {request_id} is {record.status}; only a released request can be cancelled "
                "(nothing can be cancelled once picked)",
                code="already_picked" if record.status in _PICKED_OR_LATER else "invalid_transition",
            )
        lines = {line.line_id: line for line in await self.requests.lines(record.id)}
        cancelled: dict[str, int] = {}
        if change.lines is None:
            cancelled = {line_id: _open(line) for line_id, line in lines.items()}
        else:
            for index, item in enumerate(change.lines):
                target = lines.get(item.line_id)
                if target is None:
                    raise InvalidField(f"lines[{index}].line_id", f"no line '{item.line_id}' in {request_id}")
                open_units = _open(target) - cancelled.get(item.line_id, 0)
                quantity = open_units if item.quantity is None else item.quantity
                if quantity > open_units:
                    raise InvalidField(
                        f"lines[{index}].quantity", f"only {open_units} units of line '{item.line_id}' are open"
                    )
                cancelled[item.line_id] = cancelled.get(item.line_id, 0) + quantity
        units: dict[str, int] = {}
        for line_id, quantity in cancelled.items():
            lines[line_id].cancelled_quantity += quantity
            units[lines[line_id].sku] = units.get(lines[line_id].sku, 0) + quantity
        now = datetime.now(UTC)
        await self._move(
            record, {sku: q for sku, q in units.items() if q}, sign=-1, reason="fulfillment_cancelled", now=now
        )
        if all(_open(line) == 0 for line in lines.values()) and not any(
            line.shipped_quantity for line in lines.values()
        ):
            record.status, record.cancelled_at = "cancelled", now
        return await self._announce(record, FULFILLMENT_REQUEST_CANCELLED)

    async def ship(self, tenant: str, request_id: str, notice: ShipmentNotice) -> FulfillmentRequest:
        """Confirm a shipment; the same ``shipment_id`` again (same content) changes nothing."""
        record = await self._record(tenant, request_id, for_update=True)
        earlier = await self.requests.shipment(tenant, notice.shipment_id)
        if earlier is not None:
            if earlier.request_pk == record.id and earlier.notice == msgspec.to_builtins(notice):
                return await self._view(record)
            raise InvalidField(
                "shipment_id", f"shipment '{notice.shipment_id}' was already confirmed with other content",
                code="shipment_id_reused", status=409,
            )  # fmt: skip
        for field, expected, given in (
            ("tenant", tenant, notice.tenant),
            ("order_id", record.order_id, notice.order_id),
            ("location_id", record.location_code, notice.location_id),
        ):
            if given != expected:
                raise InvalidField(field, f"is '{given}', but fulfillment request {request_id} has '{expected}'")
        if record.status not in ("released", "picked", "partially_shipped"):
            raise InvalidTransition(f"fulfillment request {request_id} is {record.status}; nothing is left to ship")
        lines = {line.line_id: line for line in await self.requests.lines(record.id)}
        shipping: dict[str, int] = {}
        for index, shipped in enumerate(notice.lines):
            line = lines.get(shipped.line_id)
            if line is None:
                raise InvalidField(f"lines[{index}].line_id", f"no line '{shipped.line_id}' in {request_id}")
            if shipped.sku != line.sku:
                raise InvalidField(f"lines[{index}].sku", f"line '{line.line_id}' is SKU '{line.sku}'")
            shipping[line.line_id] = shipping.get(line.line_id, 0) + shipped.quantity
            if shipping[line.line_id] > _open(line):
                raise InvalidField(
                    f"lines[{index}].quantity",
                    f"line '{line.line_id}' has {_open(line)} units left to ship (requested {line.quantity}, "
                    f"shipped {line.shipped_quantity}, cancelled {line.cancelled_quantity})",
                    code="over_shipment",
                    status=409,
                )
        units: dict[str, int] = {}
        for line_id, quantity in shipping.items():
            lines[line_id].shipped_quantity += quantity
            units[lines[line_id].sku] = units.get(lines[line_id].sku, 0) + quantity
        now = datetime.now(UTC)
        await self._move(record, units, sign=-1, reason="shipment_confirmed", now=now, on_hand=True)
        record.status = "shipped" if all(_open(line) == 0 for line in lines.values()) else "partially_shipped"
        self.requests.add(
            ShipmentRecord(
                tenant=tenant,
                shipment_id=notice.shipment_id,
                request_pk=record.id,
                notice=msgspec.to_builtins(notice),
                recorded_at=now,
            )
        )
        return await self._announce(record, SHIPMENT_CONFIRMED, payload=notice)

    async def _record(self, tenant: str, request_id: str, *, for_update: bool = False) -> FulfillmentRequestRecord:
        record = await self.requests.get(tenant, request_id, for_update=for_update)
        if record is None:
            raise UnknownFulfillmentRequest(f"fulfillment request '{request_id}' does not exist")
        return record

    async def _move(
        self,
        record: FulfillmentRequestRecord,
        units: dict[str, int],
        *,
        sign: int,
        reason: str,
        now: datetime,
        on_hand: bool = False,
    ) -> None:
        for sku, quantity in sorted(units.items()):  # one lock order across requests
            deltas = StockDeltas(committed=sign * quantity, on_hand=sign * quantity if on_hand else 0)
            await self.ledger.move(
                record.tenant,
                record.location_code,
                sku,
                deltas,
                reason=reason,
                quantity=quantity,
                reference=record.request_id,
                now=now,
            )

    async def _announce(
        self, record: FulfillmentRequestRecord, event_type: str, *, payload: msgspec.Struct | None = None
    ) -> FulfillmentRequest:
        """Number the change and write its event; returns the request as it now stands."""
        if event_type != FULFILLMENT_REQUEST_RELEASED:
            record.version += 1
        record.updated_at = datetime.now(UTC)
        await self.session.flush()
        view = await self._view(record)
        envelope = EventEnvelope.new(
            type=event_type,
            tenant=record.tenant,
            aggregate_type="fulfillment_request",
            aggregate_id=record.request_id,
            sequence=record.version,
            payload=payload or view,
            correlation_id=record.order_id,
        )
        record_event(self.session, WmsOutbox, stream=WMS_EVENTS, envelope=envelope)
        return view

    async def _view(self, record: FulfillmentRequestRecord) -> FulfillmentRequest:
        lines: Sequence[FulfillmentLineRecord] = await self.requests.lines(record.id)
        shipments = await self.requests.shipments(record.id)
        return FulfillmentRequest(
            id=record.request_id,
            tenant=record.tenant,
            order_id=record.order_id,
            location_id=record.location_code,
            ship_to=msgspec.convert(record.ship_to, Address),
            status=record.status,  # type: ignore[arg-type]
            lines=[
                FulfillmentLine(
                    line_id=line.line_id,
                    sku=line.sku,
                    quantity=line.quantity,
                    shipped_quantity=line.shipped_quantity,
                    cancelled_quantity=line.cancelled_quantity,
                )
                for line in lines
            ],
            shipments=[msgspec.convert(s.notice, ShipmentNotice) for s in shipments],
            created_at=record.created_at,
            updated_at=record.updated_at,
            picked_at=record.picked_at,
            cancelled_at=record.cancelled_at,
        )


def _open(line: FulfillmentLineRecord) -> int:
    return line.quantity - line.shipped_quantity - line.cancelled_quantity
