"""What the ERP answers when a channel order is offered to it: booked with a reference, or refused with
machine-readable reasons the order process turns into business exceptions."""

from typing import Annotated, Literal

import msgspec

from canonical.catalog import Sku
from canonical.money import CurrencyCode, Money
from canonical.tenancy import TenantId
from canonical.timestamps import Timestamp

__all__ = [
    "SALES_ORDER_BOOKED",
    "SALES_ORDER_CHANGED",
    "BookedOrderLine",
    "BookedSalesOrder",
    "OrderRejectReason",
    "RejectCode",
    "SalesOrderDecision",
    "SalesOrderStatus",
]

SALES_ORDER_BOOKED = "erp.sales_order.booked"
"""Payload: :class:`BookedSalesOrder`. Producer: the ERP system API."""

SALES_ORDER_CHANGED = "erp.sales_order.changed"
"""Payload: :class:`BookedSalesOrder` after units were cut from its lines. Producer: the ERP system API."""

RejectCode = Literal[
    "unknown_legal_entity",
    "currency_mismatch",
    "unknown_customer",
    "customer_on_credit_hold",
    "customer_blocked",
    "credit_limit_exceeded",
    "unknown_sku",
    "inactive_sku",
    "price_mismatch",
    "payment_not_authorized",
    "fraud_hold",
    "missing_tax_jurisdiction",
]
"""Why the ERP refuses a sales order; stable across releases (new codes may be added)."""

SalesOrderStatus = Literal["booked", "partially_shipped", "shipped"]


class OrderRejectReason(msgspec.Struct, frozen=True, kw_only=True):
    """One reason a sales order cannot be booked; ``line_id`` names the order line when it concerns one."""

    code: RejectCode
    message: str
    line_id: str | None = None


class SalesOrderDecision(msgspec.Struct, kw_only=True):
    """The answer of ``validate``: accepted, or every reason it is not (all of them, not the first)."""

    accepted: bool
    reasons: list[OrderRejectReason] = msgspec.field(default_factory=list)
    legal_entity: str | None = None
    """The legal entity that would book it, when one could be determined."""


class BookedOrderLine(msgspec.Struct, kw_only=True):
    """An order line as booked, with how much of it has shipped and been invoiced so far."""

    line_id: str
    sku: Sku
    quantity: Annotated[int, msgspec.Meta(ge=0)]
    unit_price: Money
    discount: Money | None = None
    tax: Money | None = None
    shipped_quantity: int = 0
    invoiced_quantity: int = 0
    cancelled_quantity: int = 0
    """Units cut after booking: the line ships and bills ``quantity - cancelled_quantity``."""


class BookedSalesOrder(msgspec.Struct, kw_only=True):
    """A sales order the ERP booked: ``erp_order_ref`` is what shipments, invoices and credit memos cite."""

    erp_order_ref: str
    """The ERP's own order number, e.g. ``SO-000123``."""
    tenant: TenantId
    legal_entity: str
    order_id: str
    """The order's Omnigate id (the source id the ERP dedupes on)."""
    channel: str
    external_id: str
    customer_id: str
    status: SalesOrderStatus
    currency: CurrencyCode
    lines: list[BookedOrderLine]
    total: Money
    invoiced_total: Money
    credited_total: Money
    booked_at: Timestamp
    backend: str
    """Which ERP holds it: ``reference`` or ``netsuite``."""
    backend_id: str
    """The record id in that ERP (the NetSuite internal id; the reference backend's own number)."""
    order_number: str | None = None
    shipping: Money | None = None
