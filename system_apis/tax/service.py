"""Tax calculation and committed transactions. Never commits: the request transaction does.

Calculation has no side effect. A commit records the calculation for one order (at most one transaction
per order and tenant: committing an order again under another ``Idempotency-Key`` is a 409 naming the
transaction) and announces it as ``tax.transaction.committed`` on ``tax.events``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import msgspec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import (
    TaxCalculation,
    TaxCalculationRequest,
    TaxTransaction,
    TaxTransactionRequest,
    minor_units,
)
from canonical.events import EventEnvelope
from canonical.streams import TAX_EVENTS
from canonical.tax import TAX_TRANSACTION_COMMITTED
from service_kit.events.outbox import record_event
from service_kit.problems import BadRequest, Conflict, NotFound, Problem
from system_apis.tax.calculation import amount_problem, applicable_exemption, calculate, most_specific
from system_apis.tax.documents import transaction_document
from system_apis.tax.jurisdictions import ExemptionService, JurisdictionService
from system_apis.tax.models import TaxOutbox, TransactionLineRecord, TransactionRecord
from system_apis.tax.repository import TransactionRepository

__all__ = ["OrderAlreadyCommitted", "TaxService", "UnknownJurisdiction", "UnknownTransaction"]


class UnknownJurisdiction(Problem):
    """No jurisdiction contains the ship-to address: upstream this is a ``tax_rejection``."""

    status = 422
    code = "unknown_jurisdiction"
    title_text = "Unprocessable content"


class UnknownTransaction(NotFound):
    code = "unknown_transaction"


class OrderAlreadyCommitted(Conflict):
    code = "order_already_committed"


_ADDRESS_FIELDS = ("country_code", "region_code", "postal_code")


def _check_amounts(request: TaxCalculationRequest) -> None:
    """Amounts must be non-negative and in the currency's minor unit; line ids unique. 400 naming the field."""
    errors: list[dict[str, str]] = []
    try:
        minor_units(request.currency)
        known_currency = True
    except ValueError as exc:
        errors.append({"field": "currency", "source": "body", "message": str(exc)})
        known_currency = False

    def check(field: str, amount: Decimal) -> None:
        if known_currency and (problem := amount_problem(amount, request.currency)) is not None:
            errors.append({"field": field, "source": "body", "message": problem})

    seen: set[str] = set()
    for index, line in enumerate(request.lines):
        check(f"lines[{index}].amount", line.amount)
        if line.line_id in seen:
            errors.append({"field": f"lines[{index}].line_id", "source": "body", "message": "is a duplicate"})
        seen.add(line.line_id)
    if request.shipping is not None:
        check("shipping", request.shipping)
    if errors:
        fields = ", ".join(f"body '{e['field']}'" for e in errors)
        raise BadRequest(f"Invalid {fields}: {errors[0]['message']}", code="invalid_request", extra={"errors": errors})


class TaxService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.transactions = TransactionRepository(session)

    async def calculate(self, tenant: str, request: TaxCalculationRequest) -> TaxCalculation:
        """The tax on ``request``; 422 ``unknown_jurisdiction`` when no jurisdiction holds the address."""
        _check_amounts(request)
        address = request.ship_to
        jurisdiction = most_specific(
            await JurisdictionService(self.session).in_country(tenant, address.country_code), address
        )
        if jurisdiction is None:
            raise UnknownJurisdiction(
                "no tax jurisdiction covers the ship-to address "
                + ", ".join(f"{name}={getattr(address, name)!r}" for name in _ADDRESS_FIELDS),
                extra={
                    "fields": [f"ship_to.{name}" for name in _ADDRESS_FIELDS],
                    "address": {name: getattr(address, name) for name in _ADDRESS_FIELDS},
                },
            )
        tax_date = request.tax_date or datetime.now(UTC).date()
        exemption = None
        if request.customer_id is not None:
            exemptions = await ExemptionService(self.session).list_exemptions(tenant, customer_id=request.customer_id)
            exemption = applicable_exemption(exemptions, jurisdiction, tax_date)
        return calculate(request, jurisdiction, exemption, tax_date)

    async def record_transaction(self, tenant: str, request: TaxTransactionRequest) -> TaxTransaction:
        """Record the tax for ``request.order_id``; 409 if that order already has a transaction."""
        existing = await self.transactions.for_order(tenant, request.order_id)
        if existing is not None:
            raise _already_committed(existing)
        calculation = await self.calculate(tenant, request)
        now = datetime.now(UTC)
        record = TransactionRecord(
            id=f"txn_{uuid.uuid4().hex}",
            tenant=tenant,
            order_id=request.order_id,
            document_reference=request.document_reference,
            status="committed",
            currency=calculation.currency,
            customer_id=calculation.customer_id,
            tax_date=calculation.tax_date,
            ship_to=msgspec.to_builtins(request.ship_to),
            jurisdiction=msgspec.to_builtins(calculation.jurisdiction),
            exemption=None if calculation.exemption is None else msgspec.to_builtins(calculation.exemption),
            shipping_amount=calculation.shipping.amount,
            shipping_taxable=calculation.shipping.taxable,
            shipping_rate=calculation.shipping.rate,
            shipping_tax=calculation.shipping.tax,
            shipping_refunded_amount=Decimal(0),
            shipping_refunded_tax=Decimal(0),
            total_amount=calculation.total_amount,
            total_taxable=calculation.total_taxable,
            total_tax=calculation.total_tax,
            version=1,
            committed_at=now,
        )
        try:
            async with self.session.begin_nested():
                self.transactions.add(record)
                await self.session.flush()
        except IntegrityError:  # a concurrent commit of the same order won the unique constraint
            winner = await self.transactions.for_order(tenant, request.order_id)
            if winner is None:
                raise
            raise _already_committed(winner) from None
        lines = [
            TransactionLineRecord(
                transaction_id=record.id,
                position=position,
                line_id=line.line_id,
                sku=line.sku,
                tax_code=line.tax_code,
                quantity=line.quantity,
                amount=line.amount,
                taxable_amount=line.taxable_amount,
                jurisdiction_code=line.jurisdiction,
                rate=line.rate,
                tax=line.tax,
                exempt=line.exempt,
                refunded_quantity=0,
                refunded_amount=Decimal(0),
                refunded_tax=Decimal(0),
            )
            for position, line in enumerate(calculation.lines)
        ]
        for line_record in lines:
            self.transactions.add(line_record)
        await self.session.flush()
        transaction = transaction_document(record, lines, [])
        record_event(
            self.session,
            TaxOutbox,
            stream=TAX_EVENTS,
            envelope=EventEnvelope.new(
                type=TAX_TRANSACTION_COMMITTED,
                tenant=tenant,
                aggregate_type="tax_transaction",
                aggregate_id=record.id,
                sequence=record.version,
                payload=transaction,
                correlation_id=request.order_id,
            ),
        )
        return transaction

    async def get(self, tenant: str, transaction_id: str) -> TaxTransaction:
        record = await self.transactions.get(tenant, transaction_id)
        if record is None:
            raise UnknownTransaction(f"there is no tax transaction '{transaction_id}'")
        return await self._document(record)

    async def for_order(self, tenant: str, order_id: str) -> list[TaxTransaction]:
        """The order's transaction (a list, so an order without one is an empty answer, not a 404)."""
        record = await self.transactions.for_order(tenant, order_id)
        return [] if record is None else [await self._document(record)]

    async def _document(self, record: TransactionRecord) -> TaxTransaction:
        return transaction_document(
            record, await self.transactions.lines(record.id), await self.transactions.refunds(record.id)
        )


def _already_committed(existing: TransactionRecord) -> OrderAlreadyCommitted:
    return OrderAlreadyCommitted(
        f"order '{existing.order_id}' is already committed as tax transaction '{existing.id}'",
        extra={"transaction_id": existing.id, "order_id": existing.order_id},
    )
