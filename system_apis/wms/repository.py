"""Every WMS query."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from system_apis.wms.models import LocationRecord, PositionRecord

__all__ = ["LocationRepository", "PositionRepository"]


class LocationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str, code: str, *, for_update: bool = False) -> LocationRecord | None:
        query = select(LocationRecord).where(LocationRecord.tenant == tenant, LocationRecord.code == code)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def list(self, tenant: str) -> Sequence[LocationRecord]:
        query = select(LocationRecord).where(LocationRecord.tenant == tenant).order_by(LocationRecord.code)
        return (await self.session.scalars(query)).all()

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
