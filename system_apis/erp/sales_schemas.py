"""Request and list bodies of the sales-order, invoice and credit-memo routes; documents are canonical."""

from __future__ import annotations

from typing import Annotated

import msgspec

from canonical import BookedSalesOrder, CreditMemo, Invoice, Money, OrderRejectReason, PostedShipment

__all__ = [
    "CancelledUnits",
    "CreditMemoList",
    "CreditMemoRequest",
    "InvoiceList",
    "InvoiceRequest",
    "LineCancellationRequest",
    "SalesOrderConflict",
    "SalesOrderList",
    "SalesOrderRejection",
    "ShipmentList",
]

DocumentId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class InvoiceRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Invoice one posted shipment: exactly the quantities it shipped."""

    shipment_id: DocumentId


class CancelledUnits(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    line_id: DocumentId
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class LineCancellationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Units cut from a booked order's lines (before they ship): never more than a line has left to ship."""

    lines: Annotated[list[CancelledUnits], msgspec.Meta(min_length=1, max_length=500)]
    reason: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class CreditMemoRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Credit part or all of an invoice; the total credited never exceeds the invoice's total."""

    invoice_id: DocumentId
    amount: Money
    """Positive, in the invoice's currency, at most its minor unit (2 decimals for USD)."""
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    source_id: DocumentId | None = None
    """The caller's id for what it credits (a return or a refund), kept for reconciliation."""


class SalesOrderList(msgspec.Struct, kw_only=True):
    sales_orders: list[BookedSalesOrder]


class ShipmentList(msgspec.Struct, kw_only=True):
    shipments: list[PostedShipment]


class InvoiceList(msgspec.Struct, kw_only=True):
    invoices: list[Invoice]


class CreditMemoList(msgspec.Struct, kw_only=True):
    credit_memos: list[CreditMemo]


class SalesOrderRejection(msgspec.Struct, kw_only=True):
    """The 422 problem (``code: sales_order_rejected``) a refused booking answers: nothing was created."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    reasons: list[OrderRejectReason]
    """The same reasons ``validate`` lists."""
    trace_id: str | None = None


class SalesOrderConflict(msgspec.Struct, kw_only=True):
    """The 409 problem (``code: duplicate_sales_order``) for a source order booked before."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    erp_order_ref: str | None = None
    """The booking that already exists for this source order."""
    trace_id: str | None = None
