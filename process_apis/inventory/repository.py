"""Every query of the inventory process."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from process_apis.inventory.models import (
    AvailabilitySequence,
    Backorder,
    CatalogEntry,
    ChannelBuffer,
    Reservation,
    SourcingRule,
    StockPosition,
)

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

    async def lock_positions(self, tenant: str, skus: Sequence[str]) -> None:
        """Serialize reservations of these SKUs (row locks in a fixed order; SQLite's writer lock already does)."""
        query = (
            select(StockPosition.id)
            .where(StockPosition.tenant == tenant, StockPosition.sku.in_(sorted(set(skus))))
            .order_by(StockPosition.sku, StockPosition.location_id)
            .with_for_update()
        )
        await self.session.execute(query)

    async def holds_by_location(self, tenant: str, sku: str) -> dict[str, tuple[int, int]]:
        """Units held per location: ``(open, released)``."""
        query = (
            select(Reservation.location_id, Reservation.status, func.sum(Reservation.quantity))
            .where(Reservation.tenant == tenant, Reservation.sku == sku, Reservation.status != "closed")
            .group_by(Reservation.location_id, Reservation.status)
        )
        holds: dict[str, tuple[int, int]] = {}
        for location, status, total in (await self.session.execute(query)).all():
            open_units, released = holds.get(location, (0, 0))
            if status == "open":
                open_units += int(total)
            else:
                released += int(total)
            holds[location] = (open_units, released)
        return holds

    async def reservations_of(self, tenant: str, order_id: str, *, for_update: bool = False) -> Sequence[Reservation]:
        query = (
            select(Reservation)
            .where(Reservation.tenant == tenant, Reservation.order_id == order_id)
            .order_by(Reservation.id)
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).all()

    async def backorders_of(self, tenant: str, order_id: str) -> Sequence[Backorder]:
        query = (
            select(Backorder).where(Backorder.tenant == tenant, Backorder.order_id == order_id).order_by(Backorder.id)
        )
        return (await self.session.scalars(query)).all()

    async def sourcing_rule(self, tenant: str) -> SourcingRule | None:
        return await self.session.get(SourcingRule, tenant)

    async def channel_buffers(self, tenant: str, channel: str, skus: Sequence[str]) -> dict[str, int]:
        """Buffer units per SKU for ``channel``; a SKU's own row overrides the ``*`` row."""
        query = select(ChannelBuffer).where(
            ChannelBuffer.tenant == tenant, ChannelBuffer.channel == channel, ChannelBuffer.sku.in_([*skus, "*"])
        )
        rows = {row.sku: row.units for row in (await self.session.scalars(query)).all()}
        return {sku: rows.get(sku, rows.get("*", 0)) for sku in skus}

    async def next_availability_sequence(self, tenant: str, sku: str) -> int:
        """Called with the SKU's positions locked, so two changes never draw the same number."""
        record = await self.session.get(AvailabilitySequence, (tenant, sku), with_for_update=True)
        if record is None:
            record = AvailabilitySequence(tenant=tenant, sku=sku, sequence=0)
            self.session.add(record)
        record.sequence += 1
        return record.sequence

    async def channel_buffer(self, tenant: str, channel: str, sku: str) -> ChannelBuffer | None:
        return await self.session.get(ChannelBuffer, (tenant, channel, sku))

    def add(
        self, record: StockPosition | CatalogEntry | Reservation | Backorder | SourcingRule | ChannelBuffer
    ) -> None:
        self.session.add(record)
