"""Every ERP query."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from system_apis.erp.models import CustomerRecord, ItemRecord

__all__ = ["CustomerRepository", "ItemRepository"]


class ItemRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str, sku: str, *, for_update: bool = False) -> ItemRecord | None:
        query = select(ItemRecord).where(ItemRecord.tenant == tenant, ItemRecord.sku == sku)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def list_after(self, tenant: str, *, after_sku: str | None, limit: int) -> Sequence[ItemRecord]:
        """A page of items in SKU order (keyset pagination: stable under concurrent inserts)."""
        query = select(ItemRecord).where(ItemRecord.tenant == tenant)
        if after_sku is not None:
            query = query.where(ItemRecord.sku > after_sku)
        return (await self.session.scalars(query.order_by(ItemRecord.sku).limit(limit))).all()

    async def any_for(self, tenant: str) -> bool:
        return await self.session.scalar(select(ItemRecord.id).where(ItemRecord.tenant == tenant).limit(1)) is not None

    def add(self, item: ItemRecord) -> None:
        self.session.add(item)


class CustomerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str, customer_id: str, *, for_update: bool = False) -> CustomerRecord | None:
        query = select(CustomerRecord).where(CustomerRecord.tenant == tenant, CustomerRecord.customer_id == customer_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def list_after(self, tenant: str, *, after_id: str | None, limit: int) -> Sequence[CustomerRecord]:
        query = select(CustomerRecord).where(CustomerRecord.tenant == tenant)
        if after_id is not None:
            query = query.where(CustomerRecord.customer_id > after_id)
        return (await self.session.scalars(query.order_by(CustomerRecord.customer_id).limit(limit))).all()

    def add(self, customer: CustomerRecord) -> None:
        self.session.add(customer)
