"""Sales orders from any channel, in one currency, with lines that can be fulfilled separately.

Amounts are positive magnitudes: a discount of 5.00 is ``Money("5.00", ...)`` subtracted by whoever
totals, never a negative amount. Refunds are separate records, not negative order amounts.
"""

from typing import Annotated, Literal

import msgspec

from canonical.address import Address
from canonical.catalog import Sku
from canonical.customer import Customer
from canonical.money import ISO_4217_CODES, CurrencyCode, Money
from canonical.tenancy import TenantId
from canonical.timestamps import Timestamp

__all__ = ["FinancialStatus", "OrderLine", "SalesOrder"]

FinancialStatus = Literal["pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided"]


class OrderLine(msgspec.Struct, kw_only=True):
    """One SKU on an order; ``line_id`` is what shipments and returns refer back to."""

    line_id: str
    sku: Sku
    title: str
    quantity: Annotated[int, msgspec.Meta(ge=0)]
    """Units still ordered, after refunds and edits (Shopify's ``current_quantity``)."""
    unit_price: Money
    discount: Money | None = None
    """Total discount on the line (all units), a positive amount."""
    tax: Money | None = None
    """Total tax on the line (all units)."""
    fulfillable_quantity: Annotated[int, msgspec.Meta(ge=0)] | None = None
    """Units still to ship; None when the channel does not say."""
    product_type: str | None = None
    """The product's type (Shopify ``product_type``), which return policies may name as non-returnable."""

    def __post_init__(self) -> None:
        if self.fulfillable_quantity is not None and self.fulfillable_quantity > self.quantity:
            raise ValueError(
                f"line {self.line_id}: fulfillable_quantity {self.fulfillable_quantity} exceeds quantity"
                f" {self.quantity}"
            )


class SalesOrder(msgspec.Struct, kw_only=True):
    """An order as accepted from a channel: every amount in the order's one currency."""

    tenant: TenantId
    order_id: str
    """Our id; ``external_id`` is the channel's (e.g. the Shopify order id)."""
    channel: str
    external_id: str
    currency: CurrencyCode
    lines: Annotated[list[OrderLine], msgspec.Meta(min_length=1)]
    total: Money
    financial_status: FinancialStatus
    placed_at: Timestamp
    updated_at: Timestamp
    order_number: str | None = None
    """What the customer sees, e.g. "#1001"."""
    customer: Customer | None = None
    shipping_address: Address | None = None
    """None for orders with nothing to ship (gift cards, digital goods)."""
    billing_address: Address | None = None
    shipping: Money | None = None
    discounts: Money | None = None
    """Total of order and line discounts, a positive amount."""
    tax: Money | None = None
    """Total tax, lines and shipping."""
    tags: list[str] = msgspec.field(default_factory=list)
    presentment_currency: CurrencyCode | None = None
    """The currency the customer saw and paid in, when the channel converts (amounts here are in ``currency``)."""
    fraud_hold: bool = False
    """Held by the channel's risk analysis or a reviewer: the ERP refuses to book it until released."""
    legal_entity: str | None = None
    """The ERP legal entity (company / subsidiary) that sells it; None means the tenant's default one."""
    payment_gateway: str | None = None
    """The payment gateway that captured the money (Shopify's first ``payment_gateway_names``); refunds go
    back through it."""

    def __post_init__(self) -> None:
        if self.currency not in ISO_4217_CODES:
            raise ValueError(f"unknown ISO 4217 currency {self.currency!r}")
        if self.presentment_currency is not None and self.presentment_currency not in ISO_4217_CODES:
            raise ValueError(f"unknown ISO 4217 currency {self.presentment_currency!r}")
        amounts: list[tuple[str, Money | None]] = [
            ("total", self.total),
            ("shipping", self.shipping),
            ("discounts", self.discounts),
            ("tax", self.tax),
        ]
        for line in self.lines:
            amounts += [
                (f"line {line.line_id} unit_price", line.unit_price),
                (f"line {line.line_id} discount", line.discount),
                (f"line {line.line_id} tax", line.tax),
            ]
        for name, money in amounts:
            if money is None:
                continue
            if money.currency != self.currency:
                raise ValueError(f"{name} is in {money.currency} on an order in {self.currency}")
            if money.amount < 0:
                raise ValueError(f"{name} is negative")
        line_ids = [line.line_id for line in self.lines]
        if len(set(line_ids)) != len(line_ids):
            raise ValueError("line_id values must be unique within an order")
        if self.customer is not None and self.customer.tenant != self.tenant:
            raise ValueError("customer belongs to another tenant")
