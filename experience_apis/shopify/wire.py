"""Shopify's webhook bodies as they arrive (only the fields we map): the REST order resource of ``orders/*``,
the refund of ``refunds/create`` and the return of ``returns/request``.

Shopify's wire format lives here and in the mappers beside it (:mod:`experience_apis.shopify.order_mapping`,
:mod:`experience_apis.shopify.return_mapping`), nowhere else. Amounts are decimal strings; ``*_set`` members
carry them in the shop's and the customer's (presentment) currency. Older payloads lack ``current_quantity``
and the ``*_set`` members, so both are optional.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

__all__ = [
    "ShopifyAddress",
    "ShopifyAmount",
    "ShopifyCustomer",
    "ShopifyDiscountAllocation",
    "ShopifyLineItem",
    "ShopifyMoneySet",
    "ShopifyOrder",
    "ShopifyRefund",
    "ShopifyRefundLineItem",
    "ShopifyResourceRef",
    "ShopifyReturn",
    "ShopifyReturnFulfillmentLineItem",
    "ShopifyReturnLineItem",
    "ShopifyShippingLine",
    "ShopifyTaxLine",
]


class ShopifyAmount(msgspec.Struct):
    amount: Decimal
    currency_code: str


class ShopifyMoneySet(msgspec.Struct):
    shop_money: ShopifyAmount
    presentment_money: ShopifyAmount | None = None


class ShopifyTaxLine(msgspec.Struct):
    price: Decimal
    title: str = ""
    rate: Decimal | None = None
    price_set: ShopifyMoneySet | None = None


class ShopifyDiscountAllocation(msgspec.Struct):
    amount: Decimal
    amount_set: ShopifyMoneySet | None = None


class ShopifyLineItem(msgspec.Struct):
    id: int
    price: Decimal
    quantity: int
    sku: str | None = None
    title: str | None = None
    name: str | None = None
    variant_id: int | None = None
    current_quantity: int | None = None
    fulfillable_quantity: int | None = None
    requires_shipping: bool = True
    price_set: ShopifyMoneySet | None = None
    total_discount: Decimal | None = None
    total_discount_set: ShopifyMoneySet | None = None
    discount_allocations: list[ShopifyDiscountAllocation] = msgspec.field(default_factory=list)
    tax_lines: list[ShopifyTaxLine] = msgspec.field(default_factory=list)


class ShopifyShippingLine(msgspec.Struct):
    price: Decimal
    title: str | None = None
    discounted_price: Decimal | None = None
    price_set: ShopifyMoneySet | None = None
    discounted_price_set: ShopifyMoneySet | None = None
    is_removed: bool = False


class ShopifyAddress(msgspec.Struct):
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    zip: str | None = None
    province_code: str | None = None
    country_code: str | None = None
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    phone: str | None = None


class ShopifyCustomer(msgspec.Struct):
    id: int
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    tax_exempt: bool = False


class ShopifyRefundLineItem(msgspec.Struct):
    line_item_id: int
    quantity: int


class ShopifyRefund(msgspec.Struct):
    """A ``refunds/create`` body (and an entry of an order's ``refunds``)."""

    id: int
    order_id: int | None = None
    created_at: datetime | None = None
    note: str | None = None
    refund_line_items: list[ShopifyRefundLineItem] = msgspec.field(default_factory=list)


class ShopifyOrder(msgspec.Struct):
    id: int
    currency: str
    created_at: datetime
    financial_status: str | None = None
    name: str | None = None
    updated_at: datetime | None = None
    processed_at: datetime | None = None
    cancelled_at: datetime | None = None
    presentment_currency: str | None = None
    email: str | None = None
    tags: str | None = ""
    test: bool = False
    taxes_included: bool = False
    line_items: list[ShopifyLineItem] = msgspec.field(default_factory=list)
    shipping_lines: list[ShopifyShippingLine] = msgspec.field(default_factory=list)
    refunds: list[ShopifyRefund] = msgspec.field(default_factory=list)
    shipping_address: ShopifyAddress | None = None
    billing_address: ShopifyAddress | None = None
    customer: ShopifyCustomer | None = None
    total_price: Decimal | None = None
    total_tax: Decimal | None = None
    total_discounts: Decimal | None = None
    current_total_price_set: ShopifyMoneySet | None = None
    current_total_tax_set: ShopifyMoneySet | None = None
    current_total_discounts_set: ShopifyMoneySet | None = None
    total_price_set: ShopifyMoneySet | None = None
    payment_gateway_names: list[str] | None = None


class ShopifyResourceRef(msgspec.Struct):
    """Another resource named by its REST id (a number) and its GraphQL id (``gid://shopify/Order/1``).

    Either may be missing, and an id may come as a numeric string or a gid: the mapper reads whichever parses.
    """

    id: int | str | None = None
    admin_graphql_api_id: str | None = None


class ShopifyReturnFulfillmentLineItem(msgspec.Struct):
    """The fulfilled units a return line takes back; ``line_item`` is the order line they belong to."""

    id: int | str | None = None
    admin_graphql_api_id: str | None = None
    line_item: ShopifyResourceRef | None = None


class ShopifyReturnLineItem(msgspec.Struct):
    id: int | str | None = None
    admin_graphql_api_id: str | None = None
    fulfillment_line_item: ShopifyReturnFulfillmentLineItem | None = None
    quantity: int | None = None
    return_reason: str | None = None
    """Lowercase in webhooks (``size_too_small``), the GraphQL ``ReturnReason`` enum in upper case."""
    return_reason_note: str | None = None
    customer_note: str | None = None


class ShopifyReturn(msgspec.Struct):
    """A ``returns/request`` body: the return a customer asked for, its order and the lines coming back."""

    id: int | str | None = None
    admin_graphql_api_id: str | None = None
    status: str | None = None
    name: str | None = None
    order: ShopifyResourceRef | None = None
    return_line_items: list[ShopifyReturnLineItem] = msgspec.field(default_factory=list)
