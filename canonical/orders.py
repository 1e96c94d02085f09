"""Sales orders from any channel, in one currency, with lines that can be fulfilled separately."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from canonical.address import Address
from canonical.catalog import Sku
from canonical.customer import Customer
from canonical.money import CurrencyCode, Money
from canonical.tenancy import TenantId

__all__ = ["FinancialStatus", "OrderLine", "SalesOrder"]

FinancialStatus = Literal["pending", "authorized", "partially_paid", "paid", "partially_refunded", "refunded", "voided"]


class OrderLine(msgspec.Struct, kw_only=True):
    line_id: str
    sku: Sku
    title: str
    quantity: Annotated[int, msgspec.Meta(ge=0)]
    """Units still ordered (after refunds and edits: Shopify's ``current_quantity``)."""
    unit_price: Money
    discount: Money | None = None
    tax: Money | None = None
    fulfillable_quantity: Annotated[int, msgspec.Meta(ge=0)] | None = None


class SalesOrder(msgspec.Struct, kw_only=True):
    tenant: TenantId
    order_id: str
    channel: str
    external_id: str
    currency: CurrencyCode
    lines: Annotated[list[OrderLine], msgspec.Meta(min_length=1)]
    total: Money
    financial_status: FinancialStatus
    placed_at: datetime
    updated_at: datetime
    order_number: str | None = None
    customer: Customer | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    shipping: Money | None = None
    discounts: Money | None = None
    tax: Money | None = None
    tags: list[str] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        amounts = [self.total, self.shipping, self.discounts, self.tax]
        for line in self.lines:
            amounts += [line.unit_price, line.discount, line.tax]
        for money in amounts:
            if money is not None and money.currency != self.currency:
                raise ValueError(f"amount in {money.currency} on an order in {self.currency}")
