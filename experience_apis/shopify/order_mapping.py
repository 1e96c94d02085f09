"""Shopify's order (an ``orders/*`` webhook body) to the canonical ``SalesOrder``: the one place it happens.

Amounts are taken in the shop's currency (what the ERP and the tax engine book); the customer's
presentment currency is kept beside them. Quantities are what is still ordered (``current_quantity``):
``quantity`` never drops after a refund or an edit. Anything that cannot be mapped raises
:class:`UnmappableOrder` naming every field at fault — a business exception for the worklist, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

import msgspec

from canonical.address import Address
from canonical.catalog import SKU_PATTERN
from canonical.customer import Customer
from canonical.money import ISO_4217_CODES, Money
from canonical.orders import FinancialStatus, OrderLine, SalesOrder
from experience_apis.shopify.wire import (
    ShopifyAddress,
    ShopifyCustomer,
    ShopifyLineItem,
    ShopifyMoneySet,
    ShopifyOrder,
)

__all__ = [
    "CHANNEL",
    "MappingProblem",
    "UnmappableOrder",
    "decode_order",
    "map_order",
    "order_id_for",
    "validation_problem",
]

CHANNEL = "shopify"
_SKU = re.compile(SKU_PATTERN)
_FINANCIAL_STATUSES: dict[str, FinancialStatus] = {
    "pending": "pending",
    "authorized": "authorized",
    "partially_paid": "partially_paid",
    "paid": "paid",
    "partially_refunded": "partially_refunded",
    "refunded": "refunded",
    "voided": "voided",
    "expired": "voided",  # an authorization that lapsed: nothing was captured
}


class MappingProblem(msgspec.Struct, frozen=True):
    field: str
    reason: str


class UnmappableOrder(Exception):
    """The payload is not an order we can accept as it stands; each problem names a field."""

    def __init__(self, problems: Iterable[MappingProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in self.problems))


def validation_problem(exc: msgspec.ValidationError) -> MappingProblem:
    """The field msgspec names (``$.line_items[0].id``; ``$`` for the document itself) and what is wrong."""
    reason, _, at = str(exc).partition(" - at `")
    return MappingProblem(at.rstrip("`") or "$", reason)


def decode_order(raw: bytes) -> ShopifyOrder:
    """The webhook body as Shopify's order; malformed JSON or wrong types are an :class:`UnmappableOrder`."""
    try:
        return msgspec.json.decode(raw, type=ShopifyOrder)
    except msgspec.ValidationError as exc:
        raise UnmappableOrder([validation_problem(exc)]) from None
    except msgspec.DecodeError as exc:
        raise UnmappableOrder([MappingProblem("$", f"not JSON: {exc}")]) from None


def order_id_for(external_id: int | str) -> str:
    """Our order id for a Shopify order: stable, so every delivery about one order finds the same record."""
    return f"shopify-{external_id}"


class _Amounts:
    """Reads amounts in the shop's currency, from ``*_set`` members where present."""

    def __init__(self, currency: str) -> None:
        self.currency = currency

    def of(self, plain: Decimal | None, money_set: ShopifyMoneySet | None) -> Money | None:
        if money_set is not None:
            return Money(money_set.shop_money.amount, money_set.shop_money.currency_code)
        return Money(plain, self.currency) if plain is not None else None

    def total(self, amounts: Iterable[Money | None]) -> Money:
        return sum((a for a in amounts if a is not None), Money.zero(self.currency))


def _refunded_quantities(order: ShopifyOrder) -> dict[int, int]:
    refunded: dict[int, int] = {}
    for refund in order.refunds:
        for item in refund.refund_line_items:
            refunded[item.line_item_id] = refunded.get(item.line_item_id, 0) + item.quantity
    return refunded


def _line(item: ShopifyLineItem, index: int, amounts: _Amounts, refunded: int) -> OrderLine | MappingProblem:
    where = f"line_items[{index}]"
    if not item.sku:
        return MappingProblem(f"{where}.sku", f"line {item.id} ({item.name or item.title}) has no SKU")
    if not _SKU.match(item.sku):
        return MappingProblem(f"{where}.sku", f"'{item.sku}' is not a valid SKU")
    quantity = item.current_quantity if item.current_quantity is not None else item.quantity - refunded
    if quantity < 0:
        return MappingProblem(f"{where}.quantity", f"refunds exceed the {item.quantity} ordered")
    discounts = [amounts.of(a.amount, a.amount_set) for a in item.discount_allocations]
    if not item.discount_allocations and (item.total_discount or item.total_discount_set):
        discounts = [amounts.of(item.total_discount, item.total_discount_set)]
    discount = amounts.total(discounts)
    tax = amounts.total(amounts.of(t.price, t.price_set) for t in item.tax_lines)
    unit_price = amounts.of(item.price, item.price_set)
    assert unit_price is not None
    fulfillable = None if item.fulfillable_quantity is None else min(item.fulfillable_quantity, quantity)
    return OrderLine(
        line_id=str(item.id),
        sku=item.sku,
        title=item.name or item.title or item.sku,
        quantity=quantity,
        unit_price=unit_price,
        discount=discount if discount.amount else None,
        tax=tax if item.tax_lines else None,
        fulfillable_quantity=fulfillable,
    )


def _address(address: ShopifyAddress | None, field: str) -> Address | MappingProblem | None:
    if address is None:
        return None
    missing = [name for name in ("address1", "city", "country_code") if not getattr(address, name)]
    if missing:
        return MappingProblem(field, f"address lacks {', '.join(missing)}")
    country = str(address.country_code).upper()
    region = f"{country}-{address.province_code.upper()}" if address.province_code else None
    name = address.name or " ".join(filter(None, [address.first_name, address.last_name])) or None
    try:
        return Address(
            line1=str(address.address1),
            line2=address.address2 or None,
            city=str(address.city),
            country_code=country,
            region_code=region,
            postal_code=address.zip or None,
            name=name,
            company=address.company or None,
            phone=address.phone or None,
        )
    except msgspec.ValidationError as exc:
        return MappingProblem(field, str(exc))


def _customer(customer: ShopifyCustomer | None, tenant: str) -> Customer | None:
    if customer is None:
        return None
    email = customer.email if customer.email and "@" in customer.email else None
    return Customer(
        customer_id=f"shopify-{customer.id}",
        tenant=tenant,
        email=email,
        first_name=customer.first_name,
        last_name=customer.last_name,
        tax_exempt=customer.tax_exempt,
    )


def map_order(order: ShopifyOrder, *, tenant: str) -> SalesOrder:
    """The canonical order for ``tenant``, or :class:`UnmappableOrder` with every problem found."""
    problems: list[MappingProblem] = []
    if order.currency not in ISO_4217_CODES:
        raise UnmappableOrder([MappingProblem("currency", f"'{order.currency}' is not an ISO 4217 currency")])
    amounts = _Amounts(order.currency)
    refunded = _refunded_quantities(order)
    lines: list[OrderLine] = []
    for index, item in enumerate(order.line_items):
        mapped = _line(item, index, amounts, refunded.get(item.id, 0))
        if isinstance(mapped, MappingProblem):
            problems.append(mapped)
        else:
            lines.append(mapped)
    if not order.line_items:
        problems.append(MappingProblem("line_items", "the order has no line items"))
    status = _FINANCIAL_STATUSES.get(order.financial_status or "pending")
    if status is None:
        problems.append(MappingProblem("financial_status", f"unknown financial status '{order.financial_status}'"))
    shipping_address = _address(order.shipping_address, "shipping_address")
    billing_address = _address(order.billing_address, "billing_address")
    needs_shipping = any(item.requires_shipping for item in order.line_items)
    if needs_shipping and shipping_address is None:
        problems.append(MappingProblem("shipping_address", "the order has items to ship but no address"))
    for address in (shipping_address, billing_address):
        if isinstance(address, MappingProblem):
            problems.append(address)
    if problems:
        raise UnmappableOrder(problems)
    assert status is not None and not isinstance(shipping_address, MappingProblem)
    assert not isinstance(billing_address, MappingProblem)
    shipping = amounts.total(
        amounts.of(line.discounted_price, line.discounted_price_set) or amounts.of(line.price, line.price_set)
        for line in order.shipping_lines
        if not line.is_removed
    )
    total = amounts.of(order.total_price, order.current_total_price_set or order.total_price_set)
    try:
        return SalesOrder(
            tenant=tenant,
            order_id=order_id_for(order.id),
            channel=CHANNEL,
            external_id=str(order.id),
            currency=order.currency,
            lines=lines,
            total=total or amounts.total(()),
            financial_status=status,
            placed_at=order.processed_at or order.created_at,
            updated_at=order.updated_at or order.created_at,
            order_number=order.name,
            customer=_customer(order.customer, tenant),
            shipping_address=shipping_address,
            billing_address=billing_address,
            shipping=shipping if order.shipping_lines else None,
            discounts=amounts.of(order.total_discounts, order.current_total_discounts_set),
            tax=amounts.of(order.total_tax, order.current_total_tax_set),
            tags=[tag.strip() for tag in (order.tags or "").split(",") if tag.strip()],
            presentment_currency=order.presentment_currency or order.currency,
            payment_gateway=next(iter(order.payment_gateway_names or ()), None) or None,
        )
    except (ValueError, msgspec.ValidationError) as exc:  # the canonical model's own checks
        raise UnmappableOrder([MappingProblem("$", str(exc))]) from None
