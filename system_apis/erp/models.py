"""The ERP reference backend's own tables."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, DateTime, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_kit.database import service_metadata
from service_kit.events.outbox import OutboxMixin

__all__ = ["CustomerRecord", "ErpBase", "ErpOutbox", "ItemRecord"]


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


class ErpOutbox(OutboxMixin, ErpBase):
    __tablename__ = "erp_outbox"
