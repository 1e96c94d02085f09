"""Stored tax transactions and refunds as canonical documents, amounts in the currency's minor unit."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import msgspec

from canonical import (
    Address,
    TaxExemptionApplied,
    TaxJurisdictionRef,
    TaxRefund,
    TaxRefundLine,
    TaxShipping,
    TaxTransaction,
    TaxTransactionLine,
)
from system_apis.tax.calculation import round_to_currency
from system_apis.tax.models import RefundRecord, TransactionLineRecord, TransactionRecord

__all__ = ["refund_document", "transaction_document"]


def _rate(value: Decimal) -> Decimal:
    """``0.088750`` (as NUMERIC stores it) -> ``0.08875``; ``0.000000`` -> ``0``."""
    return value.normalize() if value else Decimal(0)


def _line(record: TransactionLineRecord, currency: str) -> TaxTransactionLine:
    def money(value: Decimal) -> Decimal:
        return round_to_currency(value, currency)

    return TaxTransactionLine(
        line_id=record.line_id,
        sku=record.sku,
        tax_code=record.tax_code,
        quantity=record.quantity,
        amount=money(record.amount),
        taxable_amount=money(record.taxable_amount),
        jurisdiction=record.jurisdiction_code,
        rate=_rate(record.rate),
        tax=money(record.tax),
        exempt=record.exempt,
        refunded_quantity=record.refunded_quantity,
        refunded_amount=money(record.refunded_amount),
        refunded_tax=money(record.refunded_tax),
    )


def refund_document(record: RefundRecord, transaction: TransactionRecord) -> TaxRefund:
    currency = transaction.currency
    return TaxRefund(
        refund_id=record.id,
        transaction_id=transaction.id,
        tenant=transaction.tenant,
        order_id=transaction.order_id,
        currency=currency,
        reference=record.reference,
        lines=msgspec.convert(record.lines, list[TaxRefundLine], strict=False),
        shipping_amount=round_to_currency(record.shipping_amount, currency),
        shipping_tax=round_to_currency(record.shipping_tax, currency),
        total_amount=round_to_currency(record.total_amount, currency),
        total_tax=round_to_currency(record.total_tax, currency),
        created_at=record.created_at,
    )


def transaction_document(
    record: TransactionRecord, lines: Sequence[TransactionLineRecord], refunds: Sequence[RefundRecord]
) -> TaxTransaction:
    currency = record.currency

    def money(value: Decimal) -> Decimal:
        return round_to_currency(value, currency)

    refunded_amount = sum((r.total_amount for r in refunds), Decimal(0))
    refunded_tax = sum((r.total_tax for r in refunds), Decimal(0))
    return TaxTransaction(
        transaction_id=record.id,
        tenant=record.tenant,
        order_id=record.order_id,
        document_reference=record.document_reference,
        status=record.status,  # type: ignore[arg-type]
        currency=currency,
        customer_id=record.customer_id,
        tax_date=record.tax_date,
        ship_to=msgspec.convert(record.ship_to, Address),
        jurisdiction=msgspec.convert(record.jurisdiction, TaxJurisdictionRef),
        exemption=None if record.exemption is None else msgspec.convert(record.exemption, TaxExemptionApplied),
        lines=[_line(line, currency) for line in lines],
        shipping=TaxShipping(
            amount=money(record.shipping_amount),
            taxable=record.shipping_taxable,
            rate=_rate(record.shipping_rate),
            tax=money(record.shipping_tax),
        ),
        total_amount=money(record.total_amount),
        total_taxable=money(record.total_taxable),
        total_tax=money(record.total_tax),
        refunded_amount=money(refunded_amount),
        refunded_tax=money(refunded_tax),
        refunds=[refund_document(r, record) for r in refunds],
        committed_at=record.committed_at,
    )
