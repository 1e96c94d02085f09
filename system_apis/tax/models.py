"""The tax reference backend's own tables: jurisdictions and their rates, exemption certificates, committed
transactions with their lines, and refunds.

Optional jurisdiction parts (region, postal prefix) are stored as ``''`` rather than NULL so the unique
constraint on (tenant, country, region, prefix) holds on every database (NULLs never collide)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_kit.database import UtcDateTime, service_metadata
from service_kit.events.outbox import OutboxMixin
from service_kit.idempotency import IdempotencyMixin

__all__ = [
    "ExemptionRecord",
    "JurisdictionRecord",
    "RefundRecord",
    "TaxBase",
    "TaxIdempotencyKey",
    "TaxOutbox",
    "TransactionLineRecord",
    "TransactionRecord",
]

_AMOUNT = Numeric(18, 4)
_RATE = Numeric(9, 6)


class TaxBase(DeclarativeBase):
    metadata = service_metadata()


class JurisdictionRecord(TaxBase):
    __tablename__ = "tax_jurisdiction"
    __table_args__ = (
        UniqueConstraint("tenant", "code"),
        UniqueConstraint("tenant", "country_code", "region_code", "postal_prefix", name="uq_tax_jurisdiction_scope"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    country_code: Mapped[str] = mapped_column(String(2))
    region_code: Mapped[str] = mapped_column(String(6))
    postal_prefix: Mapped[str] = mapped_column(String(16))
    rates: Mapped[dict[str, str]] = mapped_column(JSON)
    """Tax code -> rate as a decimal string (JSON numbers would pass through a float)."""
    shipping_taxable: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ExemptionRecord(TaxBase):
    __tablename__ = "tax_exemption"
    __table_args__ = (UniqueConstraint("tenant", "certificate_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    certificate_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    scope: Mapped[str] = mapped_column(String(6))
    """Country or subdivision code; ``''`` for everywhere."""
    valid_until: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TransactionRecord(TaxBase):
    """One committed order; ``version`` numbers its changes (the event sequence)."""

    __tablename__ = "tax_transaction"
    __table_args__ = (UniqueConstraint("tenant", "order_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    order_id: Mapped[str] = mapped_column(String(100))
    document_reference: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    tax_date: Mapped[date] = mapped_column(Date)
    ship_to: Mapped[dict[str, Any]] = mapped_column(JSON)
    jurisdiction: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The jurisdiction as it was when committed (a later rate change does not rewrite history)."""
    exemption: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    shipping_amount: Mapped[Decimal] = mapped_column(_AMOUNT)
    shipping_taxable: Mapped[bool] = mapped_column(Boolean)
    shipping_rate: Mapped[Decimal] = mapped_column(_RATE)
    shipping_tax: Mapped[Decimal] = mapped_column(_AMOUNT)
    shipping_refunded_amount: Mapped[Decimal] = mapped_column(_AMOUNT)
    shipping_refunded_tax: Mapped[Decimal] = mapped_column(_AMOUNT)
    total_amount: Mapped[Decimal] = mapped_column(_AMOUNT)
    total_taxable: Mapped[Decimal] = mapped_column(_AMOUNT)
    total_tax: Mapped[Decimal] = mapped_column(_AMOUNT)
    version: Mapped[int] = mapped_column(Integer)
    committed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TransactionLineRecord(TaxBase):
    __tablename__ = "tax_transaction_line"
    __table_args__ = (UniqueConstraint("transaction_id", "line_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("tax_transaction.id"))
    position: Mapped[int] = mapped_column(Integer)
    line_id: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    tax_code: Mapped[str] = mapped_column(String(50))
    quantity: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(_AMOUNT)
    taxable_amount: Mapped[Decimal] = mapped_column(_AMOUNT)
    jurisdiction_code: Mapped[str] = mapped_column(String(32))
    rate: Mapped[Decimal] = mapped_column(_RATE)
    tax: Mapped[Decimal] = mapped_column(_AMOUNT)
    exempt: Mapped[bool] = mapped_column(Boolean)
    refunded_quantity: Mapped[int] = mapped_column(Integer)
    refunded_amount: Mapped[Decimal] = mapped_column(_AMOUNT)
    refunded_tax: Mapped[Decimal] = mapped_column(_AMOUNT)


class RefundRecord(TaxBase):
    __tablename__ = "tax_refund"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    transaction_id: Mapped[str] = mapped_column(ForeignKey("tax_transaction.id"), index=True)
    reference: Mapped[str | None] = mapped_column(String(100))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """The reversed lines as :class:`canonical.TaxRefundLine` documents (amounts as strings)."""
    shipping_amount: Mapped[Decimal] = mapped_column(_AMOUNT)
    shipping_tax: Mapped[Decimal] = mapped_column(_AMOUNT)
    total_amount: Mapped[Decimal] = mapped_column(_AMOUNT)
    total_tax: Mapped[Decimal] = mapped_column(_AMOUNT)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TaxIdempotencyKey(IdempotencyMixin, TaxBase):
    __tablename__ = "tax_idempotency_key"


class TaxOutbox(OutboxMixin, TaxBase):
    __tablename__ = "tax_outbox"
