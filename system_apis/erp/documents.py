"""Document numbers, the problems the sales routes answer with, and how register rows read as canonical
documents. Shared by :mod:`sales` and :mod:`billing`."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Sequence
from decimal import Decimal
from typing import TypeVar

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import (
    BookedOrderLine,
    BookedSalesOrder,
    CreditMemo,
    Invoice,
    InvoiceLine,
    Money,
    OrderRejectReason,
    Package,
    PostedShipment,
    ShippedLine,
)
from canonical.events import EventEnvelope
from canonical.streams import ERP_EVENTS
from service_kit.events.outbox import record_event
from service_kit.problems import Conflict, NotFound, Problem, ServiceUnavailable, UpstreamProblem
from system_apis.erp.adapters import BackendFailed, BackendRejected, BackendUnavailable
from system_apis.erp.models import (
    CreditMemoRecord,
    ErpOutbox,
    InvoiceRecord,
    SalesOrderLineRecord,
    SalesOrderRecord,
    ShipmentRecord,
)

__all__ = [
    "CREDIT_MEMO",
    "INVOICE",
    "SALES_ORDER",
    "DocumentConflict",
    "SalesOrderRejected",
    "Unprocessable",
    "announce",
    "booked_order",
    "credit_memo",
    "document_number",
    "document_pk",
    "invoice",
    "money",
    "posted",
    "shipment",
]

T = TypeVar("T")
SALES_ORDER, INVOICE, CREDIT_MEMO = "SO", "INV", "CM"
_NUMBER = re.compile(r"^(?P<prefix>[A-Z]+)-(?P<number>\d{6,12})$")


def document_number(prefix: str, pk: int) -> str:
    """``SO-000123``: the prefix and the row id, zero-padded to six digits."""
    return f"{prefix}-{pk:06d}"


def document_pk(prefix: str, number: str) -> int | None:
    """The row id a document number names, or None when it is not one of ``prefix``'s numbers."""
    match = _NUMBER.match(number)
    if match is None or match["prefix"] != prefix:
        return None
    return int(match["number"])


class Unprocessable(Problem):
    status = 422
    code = "unprocessable"
    title_text = "Unprocessable content"


class SalesOrderRejected(Unprocessable):
    code = "sales_order_rejected"

    def __init__(self, reasons: list[OrderRejectReason]) -> None:
        codes = ", ".join(dict.fromkeys(reason.code for reason in reasons))
        super().__init__(f"the ERP refused the sales order: {codes}", extra={"reasons": msgspec.to_builtins(reasons)})


class DocumentConflict(Conflict):
    code = "conflict"


class DocumentNotFound(NotFound):
    code = "not_found"


async def posted(call: Awaitable[T]) -> T:
    """Await a backend posting; its failures become problems (never a 500, never a vendor detail)."""
    try:
        return await call
    except BackendRejected as exc:
        raise SalesOrderRejected(exc.reasons) from exc
    except BackendUnavailable as exc:
        raise ServiceUnavailable(
            f"the ERP backend is unavailable: {exc}", code="erp_unavailable", headers={"Retry-After": "5"}
        ) from exc
    except BackendFailed as exc:
        raise UpstreamProblem(502, f"the ERP backend refused the posting: {exc}", code="erp_backend_error") from exc


def money(amount: Decimal, currency: str) -> Money:
    return Money(amount=amount, currency=currency).quantize()


def announce(session: AsyncSession, order: SalesOrderRecord, event_type: str, payload: msgspec.Struct) -> None:
    """Record an event about the order in the outbox, in the request's transaction."""
    order.version += 1
    record_event(
        session,
        ErpOutbox,
        stream=ERP_EVENTS,
        envelope=EventEnvelope.new(
            type=event_type,
            tenant=order.tenant,
            aggregate_type="sales_order",
            aggregate_id=document_number(SALES_ORDER, order.id),
            sequence=order.version,
            payload=payload,
        ),
    )


def booked_order(order: SalesOrderRecord, lines: Sequence[SalesOrderLineRecord]) -> BookedSalesOrder:
    currency = order.currency
    return BookedSalesOrder(
        erp_order_ref=document_number(SALES_ORDER, order.id),
        tenant=order.tenant,
        legal_entity=order.legal_entity,
        order_id=order.order_id,
        channel=order.channel,
        external_id=order.external_id,
        order_number=order.order_number,
        customer_id=order.customer_id,
        status=order.status,  # type: ignore[arg-type]
        currency=currency,
        lines=[
            BookedOrderLine(
                line_id=line.line_id,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=money(line.unit_price, currency),
                discount=money(line.discount, currency) if line.discount else None,
                tax=money(line.tax, currency) if line.tax else None,
                shipped_quantity=line.shipped_quantity,
                invoiced_quantity=line.invoiced_quantity,
                cancelled_quantity=line.cancelled_quantity,
            )
            for line in lines
        ],
        total=money(order.total_amount, currency),
        shipping=money(order.shipping_amount, currency) if order.shipping_amount is not None else None,
        invoiced_total=money(order.invoiced_amount, currency),
        credited_total=money(order.credited_amount, currency),
        booked_at=order.booked_at,
        backend=order.backend,
        backend_id=order.backend_id,
    )


def shipment(record: ShipmentRecord, order: SalesOrderRecord) -> PostedShipment:
    return PostedShipment(
        tenant=record.tenant,
        shipment_id=record.shipment_id,
        erp_order_ref=document_number(SALES_ORDER, order.id),
        legal_entity=order.legal_entity,
        location_id=record.location_id,
        lines=msgspec.convert(record.lines, list[ShippedLine]),
        packages=msgspec.convert(record.packages, list[Package]),
        shipped_at=record.shipped_at,
        posted_at=record.posted_at,
        backend_id=record.backend_id,
        invoice_id=document_number(INVOICE, record.invoice_id) if record.invoice_id is not None else None,
    )


def invoice(record: InvoiceRecord, order: SalesOrderRecord, shipment_id: str) -> Invoice:
    currency = record.currency
    return Invoice(
        tenant=record.tenant,
        invoice_id=document_number(INVOICE, record.id),
        erp_order_ref=document_number(SALES_ORDER, order.id),
        shipment_id=shipment_id,
        legal_entity=order.legal_entity,
        customer_id=order.customer_id,
        currency=currency,
        lines=msgspec.convert(record.lines, list[InvoiceLine]),
        subtotal=money(record.subtotal, currency),
        tax=money(record.tax, currency),
        shipping=money(record.shipping, currency),
        order_discount=money(record.order_discount, currency),
        total=money(record.total, currency),
        credited=money(record.credited, currency),
        posted_at=record.posted_at,
        backend_id=record.backend_id,
    )


def credit_memo(record: CreditMemoRecord, invoice_record: InvoiceRecord, order: SalesOrderRecord) -> CreditMemo:
    return CreditMemo(
        tenant=record.tenant,
        credit_memo_id=document_number(CREDIT_MEMO, record.id),
        invoice_id=document_number(INVOICE, invoice_record.id),
        erp_order_ref=document_number(SALES_ORDER, order.id),
        legal_entity=order.legal_entity,
        customer_id=order.customer_id,
        amount=money(record.amount, record.currency),
        reason=record.reason,
        source_id=record.source_id,
        posted_at=record.posted_at,
        backend_id=record.backend_id,
    )
