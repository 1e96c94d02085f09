"""The ERP reference backend's own tables."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_kit.database import UtcDateTime, service_metadata
from service_kit.events.outbox import OutboxMixin
from service_kit.idempotency import IdempotencyMixin

__all__ = [
    "CreditMemoRecord",
    "CustomerRecord",
    "ErpBase",
    "ErpIdempotencyKey",
    "ErpOutbox",
    "InvoiceRecord",
    "ItemRecord",
    "LegalEntityRecord",
    "PriceListRecord",
    "PriceRecord",
    "SalesOrderLineRecord",
    "SalesOrderRecord",
    "ShipmentRecord",
]

Amount = Numeric(18, 4)


class ErpBase(DeclarativeBase):
    metadata = service_metadata()


class ItemRecord(ErpBase):
    """One SKU of the item master; ``version`` numbers its changes (the event sequence)."""

    __tablename__ = "erp_item"
    __table_args__ = (UniqueConstraint("tenant", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    product_type: Mapped[str | None] = mapped_column(String(100))
    price_amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    tax_code: Mapped[str | None] = mapped_column(String(50))
    barcode: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean)
    returnable: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CustomerRecord(ErpBase):
    __tablename__ = "erp_customer"
    __table_args__ = (UniqueConstraint("tenant", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    customer_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    credit_limit_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    credit_limit_currency: Mapped[str | None] = mapped_column(String(3))
    tax_exempt: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    price_list: Mapped[str | None] = mapped_column(String(50))


class ErpOutbox(OutboxMixin, ErpBase):
    __tablename__ = "erp_outbox"


class ErpIdempotencyKey(IdempotencyMixin, ErpBase):
    __tablename__ = "erp_idempotency_key"


class LegalEntityRecord(ErpBase):
    """A company (NetSuite: subsidiary) of the tenant that sells, ships, invoices and credits in one currency."""

    __tablename__ = "erp_legal_entity"
    __table_args__ = (UniqueConstraint("tenant", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    country_code: Mapped[str] = mapped_column(String(2))
    is_default: Mapped[bool] = mapped_column(Boolean)
    guest_customer_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PriceListRecord(ErpBase):
    __tablename__ = "erp_price_list"
    __table_args__ = (UniqueConstraint("tenant", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str] = mapped_column(String(3))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PriceRecord(ErpBase):
    """The unit price of one SKU on one price list."""

    __tablename__ = "erp_price"
    __table_args__ = (UniqueConstraint("price_list_id", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("erp_price_list.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Amount)


class SalesOrderRecord(ErpBase):
    """A booked sales order; its reference is ``SO-`` and the zero-padded id. One per source order."""

    __tablename__ = "erp_sales_order"
    __table_args__ = (UniqueConstraint("tenant", "order_id"), UniqueConstraint("tenant", "channel", "external_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    legal_entity: Mapped[str] = mapped_column(String(20))
    order_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(50))
    external_id: Mapped[str] = mapped_column(String(100))
    order_number: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    total_amount: Mapped[Decimal] = mapped_column(Amount)
    shipping_amount: Mapped[Decimal | None] = mapped_column(Amount)
    invoiced_amount: Mapped[Decimal] = mapped_column(Amount)
    credited_amount: Mapped[Decimal] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(20))
    backend: Mapped[str] = mapped_column(String(20))
    backend_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    """Numbers the order's events (booked, shipments, invoices, credit memos)."""
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The canonical order as received, for audit."""
    booked_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SalesOrderLineRecord(ErpBase):
    __tablename__ = "erp_sales_order_line"
    __table_args__ = (UniqueConstraint("sales_order_id", "line_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("erp_sales_order.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    """1-based line number as sent to the backend (NetSuite's ``orderLine``)."""
    line_id: Mapped[str] = mapped_column(String(100))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Amount)
    discount: Mapped[Decimal] = mapped_column(Amount)
    tax: Mapped[Decimal] = mapped_column(Amount)
    shipped_quantity: Mapped[int] = mapped_column(Integer)
    invoiced_quantity: Mapped[int] = mapped_column(Integer)
    cancelled_quantity: Mapped[int] = mapped_column(Integer, default=0)
    """Units cut after booking; ``quantity - cancelled_quantity`` is what the order still ships and bills."""
    invoiced_discount: Mapped[Decimal] = mapped_column(Amount)
    invoiced_tax: Mapped[Decimal] = mapped_column(Amount)


class ShipmentRecord(ErpBase):
    __tablename__ = "erp_shipment"
    __table_args__ = (UniqueConstraint("tenant", "shipment_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    shipment_id: Mapped[str] = mapped_column(String(100))
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("erp_sales_order.id"), index=True)
    location_id: Mapped[str] = mapped_column(String(64))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    packages: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    shipped_at: Mapped[datetime] = mapped_column(UtcDateTime)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    backend_id: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[int | None] = mapped_column(Integer)


class InvoiceRecord(ErpBase):
    """The bill for one shipment; its number is ``INV-`` and the zero-padded id."""

    __tablename__ = "erp_invoice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    sales_order_id: Mapped[int] = mapped_column(ForeignKey("erp_sales_order.id"), index=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("erp_shipment.id"), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    subtotal: Mapped[Decimal] = mapped_column(Amount)
    tax: Mapped[Decimal] = mapped_column(Amount)
    shipping: Mapped[Decimal] = mapped_column(Amount)
    order_discount: Mapped[Decimal] = mapped_column(Amount)
    total: Mapped[Decimal] = mapped_column(Amount)
    credited: Mapped[Decimal] = mapped_column(Amount)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    backend_id: Mapped[str] = mapped_column(String(64))


class CreditMemoRecord(ErpBase):
    """Money given back against an invoice; its number is ``CM-`` and the zero-padded id."""

    __tablename__ = "erp_credit_memo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("erp_invoice.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(255))
    source_id: Mapped[str | None] = mapped_column(String(100))
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    backend_id: Mapped[str] = mapped_column(String(64))
