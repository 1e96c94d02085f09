"""Legal entities and price lists: who sells, in which currency, and at what price to whom."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from canonical import Money
from service_kit.problems import NotFound, Problem
from system_apis.erp.entity_schemas import (
    LegalEntity,
    LegalEntityList,
    LegalEntityWrite,
    PriceList,
    PriceListWrite,
    SkuPrice,
)
from system_apis.erp.models import LegalEntityRecord, PriceListRecord, PriceRecord
from system_apis.erp.repository import LegalEntityRepository, PriceListRepository

__all__ = ["LegalEntityService", "PriceListService"]


class UnknownLegalEntity(NotFound):
    code = "unknown_legal_entity"


class UnknownPriceList(NotFound):
    code = "unknown_price_list"


class InvalidPriceList(Problem):
    status = 422
    code = "invalid_price_list"
    title_text = "Unprocessable content"


class LegalEntityService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.entities = LegalEntityRepository(session)

    async def get(self, tenant: str, code: str) -> LegalEntity:
        record = await self.entities.get(tenant, code)
        if record is None:
            raise UnknownLegalEntity(f"legal entity '{code}' does not exist")
        return _legal_entity(record)

    async def list(self, tenant: str) -> LegalEntityList:
        return LegalEntityList(legal_entities=[_legal_entity(r) for r in await self.entities.list(tenant)])

    async def upsert(self, tenant: str, code: str, change: LegalEntityWrite) -> tuple[LegalEntity, bool]:
        record = await self.entities.get(tenant, code, for_update=True)
        created = record is None
        if record is None:
            record = LegalEntityRecord(tenant=tenant, code=code)
            self.entities.add(record)
        record.name = change.name
        record.currency = change.currency
        record.country_code = change.country_code
        record.is_default = change.is_default
        record.guest_customer_id = change.guest_customer_id
        record.updated_at = datetime.now(UTC)
        await self.session.flush()
        if change.is_default:
            await self.entities.clear_default(tenant, except_code=code)
        return _legal_entity(record), created


class PriceListService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.price_lists = PriceListRepository(session)

    async def get(self, tenant: str, code: str) -> PriceList:
        record = await self.price_lists.get(tenant, code)
        if record is None:
            raise UnknownPriceList(f"price list '{code}' does not exist")
        return _price_list(record, list((await self.price_lists.prices(record)).values()))

    async def upsert(self, tenant: str, code: str, change: PriceListWrite) -> tuple[PriceList, bool]:
        """Create or replace the list with exactly the given prices."""
        skus = [price.sku for price in change.prices]
        if len(set(skus)) != len(skus):
            raise InvalidPriceList("each SKU may appear once on a price list")
        for price in change.prices:
            if price.unit_price.currency != change.currency:
                raise InvalidPriceList(f"price of {price.sku} is in {price.unit_price.currency}, not {change.currency}")
            if price.unit_price.amount < 0:
                raise InvalidPriceList(f"price of {price.sku} is negative")
        record = await self.price_lists.get(tenant, code, for_update=True)
        created = record is None
        if record is None:
            record = PriceListRecord(tenant=tenant, code=code)
            self.price_lists.add(record)
        record.name = change.name
        record.currency = change.currency
        record.updated_at = datetime.now(UTC)
        await self.session.flush()
        prices = {
            p.sku: PriceRecord(price_list_id=record.id, sku=p.sku, amount=p.unit_price.amount) for p in change.prices
        }
        await self.price_lists.replace_prices(record, prices)
        await self.session.flush()
        return _price_list(record, list(prices.values())), created


def _legal_entity(record: LegalEntityRecord) -> LegalEntity:
    return LegalEntity(
        code=record.code,
        tenant=record.tenant,
        name=record.name,
        currency=record.currency,
        country_code=record.country_code,
        is_default=record.is_default,
        guest_customer_id=record.guest_customer_id,
        updated_at=record.updated_at,
    )


def _price_list(record: PriceListRecord, prices: list[PriceRecord]) -> PriceList:
    return PriceList(
        code=record.code,
        tenant=record.tenant,
        name=record.name,
        currency=record.currency,
        prices=[
            SkuPrice(sku=p.sku, unit_price=Money(amount=p.amount, currency=record.currency).quantize())
            for p in sorted(prices, key=lambda p: p.sku)
        ],
        updated_at=record.updated_at,
    )
