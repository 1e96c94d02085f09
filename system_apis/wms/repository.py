"""Every WMS query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from system_apis.wms.models import (
    AdjustmentRecord,
    FulfillmentLineRecord,
    FulfillmentRequestRecord,
    LocationRecord,
    PartnerDeliveryRecord,
    PartnerRecord,
    PositionRecord,
    ReturnReceiptRecord,
    ShipmentRecord,
    TransferRecord,
)

__all__ = [
    "AdjustmentRepository",
    "FulfillmentRepository",
    "LocationRepository",
    "PartnerRepository",
    "PositionRepository",
    "ReturnReceiptRepository",
    "TransferRepository",
]


class LocationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str, code: str, *, for_update: bool = False) -> LocationRecord | None:
        query = select(LocationRecord).where(LocationRecord.tenant == tenant, LocationRecord.code == code)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def list(
        self, tenant: str, *, kind: str | None = None, operator: str | None = None
    ) -> Sequence[LocationRecord]:
        query = select(LocationRecord).where(LocationRecord.tenant == tenant)
        if kind is not None:
            query = query.where(LocationRecord.kind == kind)
        if operator is not None:
            query = query.where(LocationRecord.operator == operator)
        return (await self.session.scalars(query.order_by(LocationRecord.code))).all()

    def add(self, location: LocationRecord) -> None:
        self.session.add(location)


class PositionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str, location: str, sku: str, *, for_update: bool = False) -> PositionRecord | None:
        query = select(PositionRecord).where(
            PositionRecord.tenant == tenant,
            PositionRecord.location_code == location,
            PositionRecord.sku == sku,
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def find(self, tenant: str, *, sku: str | None, location: str | None, limit: int) -> Sequence[PositionRecord]:
        query = select(PositionRecord).where(PositionRecord.tenant == tenant)
        if sku is not None:
            query = query.where(PositionRecord.sku == sku)
        if location is not None:
            query = query.where(PositionRecord.location_code == location)
        query = query.order_by(PositionRecord.sku, PositionRecord.location_code).limit(limit)
        return (await self.session.scalars(query)).all()

    def add(self, position: PositionRecord) -> None:
        self.session.add(position)


class AdjustmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, entry: AdjustmentRecord) -> None:
        self.session.add(entry)

    async def get(self, tenant: str, entry_id: int) -> AdjustmentRecord | None:
        query = select(AdjustmentRecord).where(AdjustmentRecord.tenant == tenant, AdjustmentRecord.id == entry_id)
        return (await self.session.scalars(query)).one_or_none()

    async def find(
        self,
        tenant: str,
        *,
        sku: str | None = None,
        location: str | None = None,
        reason: str | None = None,
        reference: str | None = None,
        since: datetime | None = None,
        after_id: int | None = None,
        limit: int = 100,
    ) -> Sequence[AdjustmentRecord]:
        query = select(AdjustmentRecord).where(AdjustmentRecord.tenant == tenant)
        for column, value in (
            (AdjustmentRecord.sku, sku),
            (AdjustmentRecord.location_code, location),
            (AdjustmentRecord.reason, reason),
            (AdjustmentRecord.reference, reference),
        ):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(AdjustmentRecord.recorded_at >= since)
        if after_id is not None:
            query = query.where(AdjustmentRecord.id > after_id)
        return (await self.session.scalars(query.order_by(AdjustmentRecord.id).limit(limit))).all()


class TransferRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, transfer: TransferRecord) -> None:
        self.session.add(transfer)

    async def get(self, tenant: str, transfer_id: str, *, for_update: bool = False) -> TransferRecord | None:
        query = select(TransferRecord).where(TransferRecord.tenant == tenant, TransferRecord.transfer_id == transfer_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def find(
        self, tenant: str, *, status: str | None, location: str | None, limit: int
    ) -> Sequence[TransferRecord]:
        query = select(TransferRecord).where(TransferRecord.tenant == tenant)
        if status is not None:
            query = query.where(TransferRecord.status == status)
        if location is not None:
            query = query.where((TransferRecord.from_location == location) | (TransferRecord.to_location == location))
        return (await self.session.scalars(query.order_by(TransferRecord.id).limit(limit))).all()


class FulfillmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, record: FulfillmentRequestRecord | FulfillmentLineRecord | ShipmentRecord) -> None:
        self.session.add(record)

    async def get(self, tenant: str, request_id: str, *, for_update: bool = False) -> FulfillmentRequestRecord | None:
        query = select(FulfillmentRequestRecord).where(
            FulfillmentRequestRecord.tenant == tenant, FulfillmentRequestRecord.request_id == request_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def find(
        self, tenant: str, *, order_id: str | None, status: str | None, location: str | None, limit: int
    ) -> Sequence[FulfillmentRequestRecord]:
        query = select(FulfillmentRequestRecord).where(FulfillmentRequestRecord.tenant == tenant)
        for column, value in (
            (FulfillmentRequestRecord.order_id, order_id),
            (FulfillmentRequestRecord.status, status),
            (FulfillmentRequestRecord.location_code, location),
        ):
            if value is not None:
                query = query.where(column == value)
        return (await self.session.scalars(query.order_by(FulfillmentRequestRecord.id).limit(limit))).all()

    async def lines(self, request_pk: int) -> Sequence[FulfillmentLineRecord]:
        query = select(FulfillmentLineRecord).where(FulfillmentLineRecord.request_pk == request_pk)
        return (await self.session.scalars(query.order_by(FulfillmentLineRecord.position))).all()

    async def shipments(self, request_pk: int) -> Sequence[ShipmentRecord]:
        query = select(ShipmentRecord).where(ShipmentRecord.request_pk == request_pk)
        return (await self.session.scalars(query.order_by(ShipmentRecord.id))).all()

    async def shipment(self, tenant: str, shipment_id: str) -> ShipmentRecord | None:
        query = select(ShipmentRecord).where(ShipmentRecord.tenant == tenant, ShipmentRecord.shipment_id == shipment_id)
        return (await self.session.scalars(query)).one_or_none()


class ReturnReceiptRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, record: ReturnReceiptRecord) -> None:
        self.session.add(record)

    async def get(self, tenant: str, receipt_id: str) -> ReturnReceiptRecord | None:
        query = select(ReturnReceiptRecord).where(
            ReturnReceiptRecord.tenant == tenant, ReturnReceiptRecord.receipt_id == receipt_id
        )
        return (await self.session.scalars(query)).one_or_none()

    async def find(self, tenant: str, *, order_id: str | None, limit: int) -> Sequence[ReturnReceiptRecord]:
        query = select(ReturnReceiptRecord).where(ReturnReceiptRecord.tenant == tenant)
        if order_id is not None:
            query = query.where(ReturnReceiptRecord.order_id == order_id)
        return (await self.session.scalars(query.order_by(ReturnReceiptRecord.id).limit(limit))).all()


class PartnerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, record: PartnerRecord | PartnerDeliveryRecord) -> None:
        self.session.add(record)

    async def get(self, code: str, *, for_update: bool = False) -> PartnerRecord | None:
        query = select(PartnerRecord).where(PartnerRecord.code == code)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def list(self, tenant: str | None = None) -> Sequence[PartnerRecord]:
        query = select(PartnerRecord)
        if tenant is not None:
            query = query.where(PartnerRecord.tenant == tenant)
        return (await self.session.scalars(query.order_by(PartnerRecord.code))).all()

    async def delivery(self, partner: str, delivery_id: str) -> PartnerDeliveryRecord | None:
        query = select(PartnerDeliveryRecord).where(
            PartnerDeliveryRecord.partner == partner, PartnerDeliveryRecord.delivery_id == delivery_id
        )
        return (await self.session.scalars(query)).one_or_none()
