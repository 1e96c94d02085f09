"""Every query of the Shopify Admin system API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from system_apis.shopify.models import (
    InventoryItemLinkRecord,
    LocationLinkRecord,
    MutationRecord,
    ReferenceLevelRecord,
    ReferenceObjectRecord,
    ReferenceOrderRecord,
    ShopConnectionRecord,
)

__all__ = ["LinkRepository", "MutationRepository", "ReferenceShopRepository", "ShopRepository"]


class ShopRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str, *, for_update: bool = False) -> ShopConnectionRecord | None:
        query = select(ShopConnectionRecord).where(ShopConnectionRecord.tenant == tenant)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    def add(self, record: ShopConnectionRecord) -> None:
        self.session.add(record)

    async def using_backend(self, backend: str) -> Sequence[ShopConnectionRecord]:
        query = select(ShopConnectionRecord).where(ShopConnectionRecord.backend == backend)
        return (await self.session.scalars(query.order_by(ShopConnectionRecord.tenant))).all()


class LinkRepository:
    """SKU → inventory item and location code → location: our identifiers in Shopify's terms."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def items(self, tenant: str, skus: Sequence[str]) -> dict[str, str]:
        query = select(InventoryItemLinkRecord).where(
            InventoryItemLinkRecord.tenant == tenant, InventoryItemLinkRecord.sku.in_(list(skus))
        )
        return {r.sku: r.inventory_item_id for r in await self.session.scalars(query)}

    async def locations(self, tenant: str, codes: Sequence[str]) -> dict[str, str]:
        query = select(LocationLinkRecord).where(
            LocationLinkRecord.tenant == tenant, LocationLinkRecord.code.in_(list(codes))
        )
        return {r.code: r.location_id for r in await self.session.scalars(query)}

    async def list_items(self, tenant: str) -> Sequence[InventoryItemLinkRecord]:
        query = select(InventoryItemLinkRecord).where(InventoryItemLinkRecord.tenant == tenant)
        return (await self.session.scalars(query.order_by(InventoryItemLinkRecord.sku))).all()

    async def list_locations(self, tenant: str) -> Sequence[LocationLinkRecord]:
        query = select(LocationLinkRecord).where(LocationLinkRecord.tenant == tenant)
        return (await self.session.scalars(query.order_by(LocationLinkRecord.code))).all()

    async def put_item(self, tenant: str, sku: str, inventory_item_id: str) -> bool:
        """Link a SKU; returns whether the link is new."""
        record = await self.session.get(InventoryItemLinkRecord, (tenant, sku), with_for_update=True)
        if record is None:
            self.session.add(InventoryItemLinkRecord(tenant=tenant, sku=sku, inventory_item_id=inventory_item_id))
            return True
        record.inventory_item_id = inventory_item_id
        return False

    async def put_location(self, tenant: str, code: str, location_id: str) -> bool:
        record = await self.session.get(LocationLinkRecord, (tenant, code), with_for_update=True)
        if record is None:
            self.session.add(LocationLinkRecord(tenant=tenant, code=code, location_id=location_id))
            return True
        record.location_id = location_id
        return False


class MutationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, record: MutationRecord) -> None:
        self.session.add(record)

    async def page(
        self, tenant: str, *, before_id: int | None, limit: int, mutation: str | None, order_id: str | None
    ) -> Sequence[MutationRecord]:
        """Newest first."""
        query = select(MutationRecord).where(MutationRecord.tenant == tenant)
        if before_id is not None:
            query = query.where(MutationRecord.id < before_id)
        if mutation is not None:
            query = query.where(MutationRecord.mutation == mutation)
        if order_id is not None:
            query = query.where(MutationRecord.order_id == order_id)
        return (await self.session.scalars(query.order_by(MutationRecord.id.desc()).limit(limit))).all()


class ReferenceShopRepository:
    """The reference backend's model of the shop."""

    def __init__(self, session: AsyncSession, tenant: str) -> None:
        self.session = session
        self.tenant = tenant

    async def level(self, inventory_item_id: str, location_id: str, name: str) -> ReferenceLevelRecord | None:
        key = (self.tenant, inventory_item_id, location_id, name)
        return await self.session.get(ReferenceLevelRecord, key, with_for_update=True)

    def add_level(self, record: ReferenceLevelRecord) -> None:
        self.session.add(record)

    async def order(self, order_id: str) -> ReferenceOrderRecord:
        record = await self.session.get(ReferenceOrderRecord, (self.tenant, order_id), with_for_update=True)
        if record is None:
            record = ReferenceOrderRecord(tenant=self.tenant, order_id=order_id, cancelled_at=None, fulfilled={})
            self.session.add(record)
        return record

    async def new_object(self, kind: str, order_id: str | None, now: datetime) -> int:
        """A fresh number for an object the shop would create."""
        record = ReferenceObjectRecord(tenant=self.tenant, kind=kind, order_id=order_id, created_at=now)
        self.session.add(record)
        await self.session.flush()
        return record.id
