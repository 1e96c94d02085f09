"""Refunds reverse part or all of a committed transaction, never more than was committed.

A refund of units (``quantity``) reverses the line's amount and tax in proportion, rounded half up to the
currency's minor unit; the refund that returns a line's last unit reverses exactly what is left, so the
rounding of partial refunds never leaves a cent behind or takes one too many. A refund of an ``amount``
(a price adjustment) reverses tax in the same proportion. Each refund is announced as ``tax.refund.recorded``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import TaxRefund, TaxRefundLine, TaxRefundRequest
from canonical.events import EventEnvelope
from canonical.streams import TAX_EVENTS
from canonical.tax import TAX_REFUND_RECORDED
from service_kit.events.outbox import record_event
from service_kit.problems import BadRequest, Conflict
from system_apis.tax.calculation import amount_problem, round_to_currency
from system_apis.tax.documents import refund_document
from system_apis.tax.models import RefundRecord, TaxOutbox, TransactionLineRecord, TransactionRecord
from system_apis.tax.repository import TransactionRepository
from system_apis.tax.service import UnknownTransaction

__all__ = ["RefundExceedsCommitted", "RefundService"]

_ZERO = Decimal(0)


class RefundExceedsCommitted(Conflict):
    """The refund would reverse more than is left of the transaction (after earlier refunds)."""

    code = "refund_exceeds_committed"


def _invalid(errors: list[dict[str, str]]) -> BadRequest:
    fields = ", ".join(f"body '{e['field']}'" for e in errors)
    return BadRequest(f"Invalid {fields}: {errors[0]['message']}", code="invalid_request", extra={"errors": errors})


def _proportion(total: Decimal, part: Decimal, whole: Decimal, currency: str) -> Decimal:
    return round_to_currency(total * part / whole, currency) if whole else _ZERO


class RefundService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.transactions = TransactionRepository(session)

    async def refund(self, tenant: str, transaction_id: str, request: TaxRefundRequest) -> TaxRefund:
        transaction = await self.transactions.get(tenant, transaction_id, for_update=True)
        if transaction is None:
            raise UnknownTransaction(f"there is no tax transaction '{transaction_id}'")
        lines = {line.line_id: line for line in await self.transactions.lines(transaction.id)}
        _check(request, lines, transaction.currency)
        currency = transaction.currency
        reversed_lines: list[TaxRefundLine] = []
        if request.full:
            for line in lines.values():
                if line.amount - line.refunded_amount or line.tax - line.refunded_tax:
                    reversed_lines.append(_reverse(line, line.quantity - line.refunded_quantity, None, currency))
            shipping = transaction.shipping_amount - transaction.shipping_refunded_amount
        else:
            for wanted in request.lines:
                reversed_lines.append(_reverse(lines[wanted.line_id], wanted.quantity, wanted.amount, currency))
            shipping = request.shipping or _ZERO
        shipping_tax = _reverse_shipping(transaction, shipping)
        if not reversed_lines and not shipping and not shipping_tax:
            raise RefundExceedsCommitted(
                f"tax transaction '{transaction.id}' is already refunded in full",
                code="already_refunded",
                extra={"transaction_id": transaction.id},
            )
        total_amount = sum((line.amount for line in reversed_lines), shipping)
        total_tax = sum((line.tax for line in reversed_lines), shipping_tax)
        record = RefundRecord(
            id=f"rfd_{uuid.uuid4().hex}",
            tenant=tenant,
            transaction_id=transaction.id,
            reference=request.reference,
            lines=msgspec.to_builtins(reversed_lines),
            shipping_amount=shipping,
            shipping_tax=shipping_tax,
            total_amount=total_amount,
            total_tax=total_tax,
            created_at=datetime.now(UTC),
        )
        self.transactions.add(record)
        transaction.version += 1
        transaction.status = "refunded" if _fully_refunded(transaction, lines.values()) else "partially_refunded"
        await self.session.flush()
        refund = refund_document(record, transaction)
        record_event(
            self.session,
            TaxOutbox,
            stream=TAX_EVENTS,
            envelope=EventEnvelope.new(
                type=TAX_REFUND_RECORDED,
                tenant=tenant,
                aggregate_type="tax_transaction",
                aggregate_id=transaction.id,
                sequence=transaction.version,
                payload=refund,
                correlation_id=transaction.order_id,
            ),
        )
        return refund


def _check(request: TaxRefundRequest, lines: dict[str, TransactionLineRecord], currency: str) -> None:
    """Shape errors are 400 naming the field; exceeding what is left is a 409 (see :func:`_reverse`)."""
    errors: list[dict[str, str]] = []

    def amount_error(field: str, amount: Decimal) -> None:
        if (problem := amount_problem(amount, currency)) is not None:
            errors.append({"field": field, "source": "body", "message": problem})

    if request.full and (request.lines or request.shipping):
        errors.append({"field": "full", "source": "body", "message": "a full refund takes no lines or shipping"})
    if not request.full and not request.lines and not request.shipping:
        errors.append({"field": "lines", "source": "body", "message": "name lines or shipping, or set full"})
    seen: set[str] = set()
    for index, wanted in enumerate(request.lines):
        field = f"lines[{index}]"
        if wanted.line_id not in lines:
            errors.append(
                {"field": f"{field}.line_id", "source": "body", "message": "is not a line of this transaction"}
            )
        elif wanted.line_id in seen:
            errors.append({"field": f"{field}.line_id", "source": "body", "message": "is a duplicate"})
        seen.add(wanted.line_id)
        if (wanted.quantity is None) == (wanted.amount is None):
            errors.append({"field": field, "source": "body", "message": "give either quantity or amount"})
        if wanted.amount is not None:
            amount_error(f"{field}.amount", wanted.amount)
            if wanted.amount == 0:
                errors.append({"field": f"{field}.amount", "source": "body", "message": "must be more than 0"})
    if request.shipping is not None:
        amount_error("shipping", request.shipping)
    if errors:
        raise _invalid(errors)


def _exceeds(line: TransactionLineRecord, what: str, asked: Any, left: Any, currency: str) -> RefundExceedsCommitted:
    if isinstance(asked, Decimal):
        asked, left = round_to_currency(asked, currency), round_to_currency(left, currency)
    return RefundExceedsCommitted(
        f"line '{line.line_id}': {what} {asked} is more than the {left} left to refund",
        extra={
            "line_id": line.line_id,
            "remaining_quantity": line.quantity - line.refunded_quantity,
            "remaining_amount": str(round_to_currency(line.amount - line.refunded_amount, currency)),
        },
    )


def _reverse(line: TransactionLineRecord, quantity: int | None, amount: Decimal | None, currency: str) -> TaxRefundLine:
    """Reverse ``quantity`` units or ``amount`` of the line and update its refunded counters."""
    left_quantity = line.quantity - line.refunded_quantity
    left_amount = line.amount - line.refunded_amount
    left_tax = line.tax - line.refunded_tax
    if quantity is not None:
        if quantity > left_quantity:
            raise _exceeds(line, "quantity", quantity, left_quantity, currency)
        last = quantity == left_quantity
        amount = left_amount if last else _proportion(line.amount, Decimal(quantity), Decimal(line.quantity), currency)
        if amount > left_amount:
            raise _exceeds(line, "amount", amount, left_amount, currency)
    else:
        assert amount is not None
        if amount > left_amount:
            raise _exceeds(line, "amount", amount, left_amount, currency)
        last = amount == left_amount
    tax = left_tax if last else min(_proportion(line.tax, amount, line.amount, currency), left_tax)
    line.refunded_quantity += quantity or 0
    line.refunded_amount += amount
    line.refunded_tax += tax
    return TaxRefundLine(
        line_id=line.line_id,
        sku=line.sku,
        quantity=quantity or 0,
        amount=round_to_currency(amount, currency),
        tax=round_to_currency(tax, currency),
    )


def _reverse_shipping(transaction: TransactionRecord, amount: Decimal) -> Decimal:
    left_amount = transaction.shipping_amount - transaction.shipping_refunded_amount
    left_tax = transaction.shipping_tax - transaction.shipping_refunded_tax
    if amount > left_amount:
        left = round_to_currency(left_amount, transaction.currency)
        raise RefundExceedsCommitted(
            f"shipping {round_to_currency(amount, transaction.currency)} is more than the {left} left to refund",
            extra={"remaining_shipping": str(left)},
        )
    if amount == left_amount:
        tax = left_tax
    else:
        tax = min(
            _proportion(transaction.shipping_tax, amount, transaction.shipping_amount, transaction.currency), left_tax
        )
    transaction.shipping_refunded_amount += amount
    transaction.shipping_refunded_tax += tax
    return tax


def _fully_refunded(transaction: TransactionRecord, lines: Sequence[TransactionLineRecord] | Any) -> bool:
    shipping_left = transaction.shipping_amount - transaction.shipping_refunded_amount
    shipping_tax_left = transaction.shipping_tax - transaction.shipping_refunded_tax
    return (
        not shipping_left
        and not shipping_tax_left
        and all(line.amount == line.refunded_amount and line.tax == line.refunded_tax for line in lines)
    )
