"""Every query of the inventory process."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from process_apis.inventory.models import CatalogEntry, Reservation, StockPosition

__all__ = ["AvailabilityRepository"]


class AvailabilityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def catalog_entry(self, tenant: str, sku: str, *, for_update: bool = False) -> CatalogEntry | None:
        query = select(CatalogEntry).where(CatalogEntry.tenant == tenant, CatalogEntry.sku == sku)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def position(
        self, tenant: str, sku: str, location_id: str, *, for_update: bool = False
    ) -> StockPosition | None:
        query = select(StockPosition).where(
            StockPosition.tenant == tenant, StockPosition.sku == sku, StockPosition.location_id == location_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def positions(self, tenant: str, sku: str) -> Sequence[StockPosition]:
        query = (
            select(StockPosition)
            .where(StockPosition.tenant == tenant, StockPosition.sku == sku)
            .order_by(StockPosition.location_id)
        )
        return (await self.session.scalars(query)).all()

    async def open_reservations_by_location(self, tenant: str, sku: str) -> dict[str, int]:
        query = (
            select(Reservation.location_id, func.sum(Reservation.quantity))
            .where(Reservation.tenant == tenant, Reservation.sku == sku, Reservation.status == "open")
            .group_by(Reservation.location_id)
        )
        return {location: int(total) for location, total in (await self.session.execute(query)).all()}

    def add(self, record: StockPosition | CatalogEntry | Reservation) -> None:
        self.session.add(record)
