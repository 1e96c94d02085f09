"""ERP business rules for the item master and customers. Never commits: the request transaction does."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from canonical import Customer, Money, ProductCatalogItem
from canonical.events import CATALOG_ITEM_UPSERTED, EventEnvelope
from canonical.streams import ERP_EVENTS
from service_kit.events.outbox import record_event
from service_kit.problems import NotFound, Problem
from system_apis.erp.models import CustomerRecord, ErpOutbox, ItemRecord
from system_apis.erp.repository import CustomerRepository, ItemRepository, PriceListRepository
from system_apis.erp.schemas import CustomerPage, CustomerWrite, ItemPage, ItemWrite

__all__ = ["CatalogService", "CustomerService", "UnknownCustomer", "UnknownPriceList", "UnknownSku"]


class UnknownSku(NotFound):
    code = "unknown_sku"


class UnknownCustomer(NotFound):
    code = "unknown_customer"


class UnknownPriceList(Problem):
    status = 422
    code = "unknown_price_list"
    title_text = "Unprocessable content"


class CatalogService:
    """The item master: every change is versioned and announced as ``catalog.item.upserted``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.items = ItemRepository(session)

    async def get_item(self, tenant: str, sku: str) -> ProductCatalogItem:
        record = await self.items.get(tenant, sku)
        if record is None:
            raise UnknownSku(f"SKU '{sku}' is not in the item master")
        return _item(record)

    async def list_items(self, tenant: str, *, cursor: str | None, limit: int) -> ItemPage:
        records = await self.items.list_after(tenant, after_sku=cursor, limit=limit + 1)
        page = records[:limit]
        next_cursor = page[-1].sku if len(records) > limit else None
        return ItemPage(items=[_item(r) for r in page], next_cursor=next_cursor)

    async def upsert_item(self, tenant: str, sku: str, change: ItemWrite) -> tuple[ProductCatalogItem, bool]:
        """Create or replace an item; returns it and whether it was created. Unchanged items emit nothing."""
        record = await self.items.get(tenant, sku, for_update=True)
        created = record is None
        values = {
            "title": change.title,
            "product_type": change.product_type,
            "price_amount": change.price.amount,
            "currency": change.price.currency,
            "tax_code": change.tax_code,
            "barcode": change.barcode,
            "active": change.active,
            "returnable": change.returnable,
        }
        now = datetime.now(UTC)
        if record is None:
            record = ItemRecord(tenant=tenant, sku=sku, version=1, updated_at=now, **values)
            self.items.add(record)
        elif any(getattr(record, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(record, key, value)
            record.version += 1
            record.updated_at = now
        else:
            return _item(record), False
        await self.session.flush()
        item = _item(record)
        record_event(
            self.session,
            ErpOutbox,
            stream=ERP_EVENTS,
            envelope=EventEnvelope.new(
                type=CATALOG_ITEM_UPSERTED,
                tenant=tenant,
                aggregate_type="item",
                aggregate_id=sku,
                sequence=record.version,
                payload=item,
            ),
        )
        return item, created

    async def has_items(self, tenant: str) -> bool:
        return await self.items.any_for(tenant)


class CustomerService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.customers = CustomerRepository(session)

    async def get_customer(self, tenant: str, customer_id: str) -> Customer:
        record = await self.customers.get(tenant, customer_id)
        if record is None:
            raise UnknownCustomer(f"customer '{customer_id}' does not exist")
        return _customer(record)

    async def list_customers(self, tenant: str, *, cursor: str | None, limit: int) -> CustomerPage:
        records = await self.customers.list_after(tenant, after_id=cursor, limit=limit + 1)
        page = records[:limit]
        next_cursor = page[-1].customer_id if len(records) > limit else None
        return CustomerPage(customers=[_customer(r) for r in page], next_cursor=next_cursor)

    async def upsert_customer(self, tenant: str, customer_id: str, change: CustomerWrite) -> tuple[Customer, bool]:
        if (
            change.price_list is not None
            and await PriceListRepository(self.session).get(tenant, change.price_list) is None
        ):
            raise UnknownPriceList(f"price list '{change.price_list}' does not exist")
        record = await self.customers.get(tenant, customer_id, for_update=True)
        created = record is None
        if record is None:
            record = CustomerRecord(tenant=tenant, customer_id=customer_id)
            self.customers.add(record)
        record.email = change.email
        record.first_name = change.first_name
        record.last_name = change.last_name
        record.status = change.status
        record.credit_limit_amount = change.credit_limit.amount if change.credit_limit else None
        record.credit_limit_currency = change.credit_limit.currency if change.credit_limit else None
        record.tax_exempt = change.tax_exempt
        record.price_list = change.price_list
        record.updated_at = datetime.now(UTC)
        await self.session.flush()
        return _customer(record), created


def _item(record: ItemRecord) -> ProductCatalogItem:
    return ProductCatalogItem(
        tenant=record.tenant,
        sku=record.sku,
        title=record.title,
        product_type=record.product_type,
        price=Money(amount=record.price_amount, currency=record.currency).quantize(),
        tax_code=record.tax_code,
        barcode=record.barcode,
        active=record.active,
        returnable=record.returnable,
        updated_at=_utc(record.updated_at),
    )


def _customer(record: CustomerRecord) -> Customer:
    credit_limit = None
    if record.credit_limit_amount is not None and record.credit_limit_currency is not None:
        credit_limit = Money(amount=record.credit_limit_amount, currency=record.credit_limit_currency).quantize()
    return Customer(
        customer_id=record.customer_id,
        tenant=record.tenant,
        email=record.email,
        first_name=record.first_name,
        last_name=record.last_name,
        status=record.status,  # type: ignore[arg-type]
        credit_limit=credit_limit,
        tax_exempt=record.tax_exempt,
        price_list=record.price_list,
    )


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
