"""Every ERP query."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from system_apis.erp.models import CustomerRecord, ItemRecord, LegalEntityRecord, PriceListRecord, PriceRecord

__all__ = ["CustomerRepository", "ItemRepository", "LegalEntityRepository", "PriceListRepository"]


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

    async def get_many(self, tenant: str, skus: Sequence[str]) -> dict[str, ItemRecord]:
        query = select(ItemRecord).where(ItemRecord.tenant == tenant, ItemRecord.sku.in_(set(skus)))
        return {record.sku: record for record in await self.session.scalars(query)}

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


class LegalEntityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str, code: str, *, for_update: bool = False) -> LegalEntityRecord | None:
        query = select(LegalEntityRecord).where(LegalEntityRecord.tenant == tenant, LegalEntityRecord.code == code)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def default_for(self, tenant: str) -> LegalEntityRecord | None:
        """The tenant's default legal entity; when none is flagged, its only one."""
        records = (
            await self.session.scalars(
                select(LegalEntityRecord).where(LegalEntityRecord.tenant == tenant).order_by(LegalEntityRecord.code)
            )
        ).all()
        flagged = [record for record in records if record.is_default]
        if flagged:
            return flagged[0]
        return records[0] if len(records) == 1 else None

    async def list(self, tenant: str) -> Sequence[LegalEntityRecord]:
        query = select(LegalEntityRecord).where(LegalEntityRecord.tenant == tenant)
        return (await self.session.scalars(query.order_by(LegalEntityRecord.code))).all()

    async def clear_default(self, tenant: str, *, except_code: str) -> None:
        await self.session.execute(
            update(LegalEntityRecord)
            .where(LegalEntityRecord.tenant == tenant, LegalEntityRecord.code != except_code)
            .values(is_default=False)
        )

    def add(self, record: LegalEntityRecord) -> None:
        self.session.add(record)


class PriceListRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str, code: str, *, for_update: bool = False) -> PriceListRecord | None:
        query = select(PriceListRecord).where(PriceListRecord.tenant == tenant, PriceListRecord.code == code)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def prices(self, price_list: PriceListRecord, skus: Sequence[str] | None = None) -> dict[str, PriceRecord]:
        query = select(PriceRecord).where(PriceRecord.price_list_id == price_list.id)
        if skus is not None:
            query = query.where(PriceRecord.sku.in_(set(skus)))
        return {record.sku: record for record in await self.session.scalars(query.order_by(PriceRecord.sku))}

    async def replace_prices(self, price_list: PriceListRecord, prices: dict[str, PriceRecord]) -> None:
        await self.session.execute(delete(PriceRecord).where(PriceRecord.price_list_id == price_list.id))
        self.session.add_all(prices.values())

    def add(self, record: PriceListRecord) -> None:
        self.session.add(record)
