"""Shipments, invoices and credit memos as the ERP posts them, per legal entity, in exact Decimal amounts.

Invoices bill what shipped: one invoice per shipment, so a partial shipment invoices partially.
"""

from typing import Annotated

import msgspec

from canonical.catalog import Sku
from canonical.fulfillment import Package, ShippedLine
from canonical.money import CurrencyCode, Money
from canonical.tenancy import TenantId
from canonical.timestamps import Timestamp

__all__ = [
    "CREDIT_MEMO_POSTED",
    "INVOICE_POSTED",
    "SHIPMENT_POSTED",
    "CreditMemo",
    "Invoice",
    "InvoiceLine",
    "PostedShipment",
]

SHIPMENT_POSTED = "erp.shipment.posted"
"""Payload: :class:`PostedShipment`. Producer: the ERP system API."""
INVOICE_POSTED = "erp.invoice.posted"
"""Payload: :class:`Invoice`. Producer: the ERP system API."""
CREDIT_MEMO_POSTED = "erp.credit_memo.posted"
"""Payload: :class:`CreditMemo`. Producer: the ERP system API."""


class PostedShipment(msgspec.Struct, kw_only=True):
    """A shipment posted against a sales order (an item fulfillment); ``invoice_id`` once it is billed."""

    tenant: TenantId
    shipment_id: str
    erp_order_ref: str
    legal_entity: str
    location_id: str
    lines: list[ShippedLine]
    shipped_at: Timestamp
    posted_at: Timestamp
    backend_id: str
    packages: list[Package] = msgspec.field(default_factory=list)
    invoice_id: str | None = None


class InvoiceLine(msgspec.Struct, kw_only=True):
    """Billed units of one order line: ``amount`` = quantity x unit price - discount (tax apart)."""

    line_id: str
    sku: Sku
    quantity: Annotated[int, msgspec.Meta(gt=0)]
    unit_price: Money
    discount: Money
    tax: Money
    amount: Money


class Invoice(msgspec.Struct, kw_only=True):
    """The bill for one shipment (see the ERP's allocation rule for discounts, tax and shipping)."""

    tenant: TenantId
    invoice_id: str
    """The ERP's invoice number, e.g. ``INV-000042``."""
    erp_order_ref: str
    shipment_id: str
    legal_entity: str
    customer_id: str
    currency: CurrencyCode
    lines: list[InvoiceLine]
    subtotal: Money
    """Sum of the lines' ``amount`` (after discounts, before tax)."""
    tax: Money
    """Tax of the billed lines, plus (on the order's first invoice) tax the order carries beyond its lines."""
    shipping: Money
    """The order's whole shipping charge on its first invoice, zero on later ones."""
    order_discount: Money
    """Order-level discount not allocated to lines, subtracted on the first invoice, zero on later ones."""
    total: Money
    """subtotal + tax + shipping - order_discount."""
    credited: Money
    """Sum of the credit memos posted against it so far."""
    posted_at: Timestamp
    backend_id: str


class CreditMemo(msgspec.Struct, kw_only=True):
    """Money given back against an invoice (a refund or an allowance); never more than was invoiced."""

    tenant: TenantId
    credit_memo_id: str
    """The ERP's credit memo number, e.g. ``CM-000007``."""
    invoice_id: str
    erp_order_ref: str
    legal_entity: str
    customer_id: str
    amount: Money
    reason: str
    posted_at: Timestamp
    backend_id: str
    source_id: str | None = None
    """The caller's id for what it credits (a return or refund id), when it gave one."""
