"""Every query of the sales-order register: orders and their lines, shipments, invoices, credit memos."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from system_apis.erp.models import (
    CreditMemoRecord,
    InvoiceRecord,
    SalesOrderLineRecord,
    SalesOrderRecord,
    ShipmentRecord,
)

__all__ = ["BillingRepository", "SalesOrderRepository"]


class SalesOrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str, order_pk: int, *, for_update: bool = False) -> SalesOrderRecord | None:
        query = select(SalesOrderRecord).where(SalesOrderRecord.tenant == tenant, SalesOrderRecord.id == order_pk)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def by_source(self, tenant: str, order_id: str, channel: str, external_id: str) -> SalesOrderRecord | None:
        """The order booked for this source order, by our id or by the channel's."""
        query = select(SalesOrderRecord).where(
            SalesOrderRecord.tenant == tenant,
            (SalesOrderRecord.order_id == order_id)
            | ((SalesOrderRecord.channel == channel) & (SalesOrderRecord.external_id == external_id)),
        )
        return (await self.session.scalars(query.limit(1))).first()

    async def by_order_id(self, tenant: str, order_id: str) -> SalesOrderRecord | None:
        query = select(SalesOrderRecord).where(SalesOrderRecord.tenant == tenant, SalesOrderRecord.order_id == order_id)
        return (await self.session.scalars(query)).one_or_none()

    async def lines(self, order: SalesOrderRecord, *, for_update: bool = False) -> Sequence[SalesOrderLineRecord]:
        query = select(SalesOrderLineRecord).where(SalesOrderLineRecord.sales_order_id == order.id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query.order_by(SalesOrderLineRecord.position))).all()

    async def open_value(self, tenant: str, customer_id: str, currency: str) -> Decimal:
        """What the customer's booked orders in ``currency`` still have to invoice (their credit exposure)."""
        query = select(func.coalesce(func.sum(SalesOrderRecord.total_amount - SalesOrderRecord.invoiced_amount), 0))
        query = query.where(
            SalesOrderRecord.tenant == tenant,
            SalesOrderRecord.customer_id == customer_id,
            SalesOrderRecord.currency == currency,
        )
        return Decimal(await self.session.scalar(query) or 0)

    def add(self, record: SalesOrderRecord | SalesOrderLineRecord) -> None:
        self.session.add(record)


class BillingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def shipment(self, tenant: str, shipment_id: str, *, for_update: bool = False) -> ShipmentRecord | None:
        query = select(ShipmentRecord).where(ShipmentRecord.tenant == tenant, ShipmentRecord.shipment_id == shipment_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def shipments_of(self, order: SalesOrderRecord) -> Sequence[ShipmentRecord]:
        query = select(ShipmentRecord).where(ShipmentRecord.sales_order_id == order.id).order_by(ShipmentRecord.id)
        return (await self.session.scalars(query)).all()

    async def invoice(self, tenant: str, invoice_pk: int, *, for_update: bool = False) -> InvoiceRecord | None:
        query = select(InvoiceRecord).where(InvoiceRecord.tenant == tenant, InvoiceRecord.id == invoice_pk)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def invoices_of(self, order: SalesOrderRecord) -> Sequence[InvoiceRecord]:
        query = select(InvoiceRecord).where(InvoiceRecord.sales_order_id == order.id).order_by(InvoiceRecord.id)
        return (await self.session.scalars(query)).all()

    async def shipment_by_pk(self, shipment_pk: int) -> ShipmentRecord | None:
        return await self.session.get(ShipmentRecord, shipment_pk)

    async def credit_memo(self, tenant: str, memo_pk: int) -> CreditMemoRecord | None:
        query = select(CreditMemoRecord).where(CreditMemoRecord.tenant == tenant, CreditMemoRecord.id == memo_pk)
        return (await self.session.scalars(query)).one_or_none()

    async def credit_memos_of(self, invoice: InvoiceRecord) -> Sequence[CreditMemoRecord]:
        query = select(CreditMemoRecord).where(CreditMemoRecord.invoice_id == invoice.id)
        return (await self.session.scalars(query.order_by(CreditMemoRecord.id))).all()

    def add(self, record: ShipmentRecord | InvoiceRecord | CreditMemoRecord) -> None:
        self.session.add(record)
