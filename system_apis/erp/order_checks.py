"""Whether the ERP can book a sales order, with every reason it cannot (not just the first).

The rules, in the order the reasons are listed:

* legal entity: the one the order names, else the tenant's default; the order's currency must be its.
* customer: the order's customer (else the legal entity's guest account) must exist and be ``active``;
  ``credit_hold`` and ``blocked`` refuse new orders.
* credit: when the customer has a credit limit, its exposure - what its booked orders have not yet
  invoiced, plus this order's total - must stay within it (invoiced amounts are settled in the channel,
  which this API does not see, so they leave the exposure).
* When the backend is an ERP of record (NetSuite), the customer's standing is its: inactive, on credit hold,
  and its credit limit against the exposure it reports (balance and unbilled orders) plus this order.
* lines: every SKU must be in the item master and active, and its unit price must equal the customer's
  price list price (else the item's list price), to the currency's minor unit.
* payment: ``authorized``, ``paid``, ``partially_paid`` or ``partially_refunded``; ``pending``,
  ``voided`` and ``refunded`` orders are refused.
* fraud: an order on fraud hold is refused.
* tax jurisdiction: the ship-to address (else the billing address) must exist; for US and CA it needs a
  region (state / province) and a postal code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from canonical import Money, OrderRejectReason, SalesOrder
from system_apis.erp.adapters import CustomerStanding, ErpBackend
from system_apis.erp.documents import posted
from system_apis.erp.models import CustomerRecord, LegalEntityRecord
from system_apis.erp.repository import CustomerRepository, ItemRepository, LegalEntityRepository, PriceListRepository
from system_apis.erp.sales_repository import SalesOrderRepository

__all__ = ["OrderAssessment", "assess_order"]

_PAID_OR_AUTHORIZED = frozenset({"authorized", "paid", "partially_paid", "partially_refunded"})
_NEEDS_REGION = frozenset({"US", "CA"})


@dataclass
class OrderAssessment:
    reasons: list[OrderRejectReason] = field(default_factory=list)
    legal_entity: LegalEntityRecord | None = None
    customer: CustomerRecord | None = None

    @property
    def accepted(self) -> bool:
        return not self.reasons

    def refuse(self, code: str, message: str, line_id: str | None = None) -> None:
        self.reasons.append(OrderRejectReason(code=code, message=message, line_id=line_id))  # type: ignore[arg-type]


async def assess_order(
    session: AsyncSession, tenant: str, order: SalesOrder, backend: ErpBackend | None = None
) -> OrderAssessment:
    """Check ``order`` against the tenant's master data (and the backend's customer standing); read-only."""
    result = OrderAssessment()
    await _legal_entity(session, tenant, order, result)
    await _customer(session, tenant, order, result, backend)
    await _lines(session, tenant, order, result)
    if order.financial_status not in _PAID_OR_AUTHORIZED:
        result.refuse("payment_not_authorized", f"payment is '{order.financial_status}', not authorized or paid")
    if order.fraud_hold:
        result.refuse("fraud_hold", "the order is on fraud hold")
    _tax_jurisdiction(order, result)
    return result


async def _legal_entity(session: AsyncSession, tenant: str, order: SalesOrder, result: OrderAssessment) -> None:
    entities = LegalEntityRepository(session)
    if order.legal_entity is not None:
        entity = await entities.get(tenant, order.legal_entity)
        if entity is None:
            result.refuse("unknown_legal_entity", f"legal entity '{order.legal_entity}' does not exist")
            return
    else:
        entity = await entities.default_for(tenant)
        if entity is None:
            result.refuse("unknown_legal_entity", "the order names no legal entity and the tenant has no default")
            return
    result.legal_entity = entity
    if entity.currency != order.currency:
        result.refuse(
            "currency_mismatch", f"legal entity {entity.code} books in {entity.currency}, not {order.currency}"
        )


async def _customer(
    session: AsyncSession, tenant: str, order: SalesOrder, result: OrderAssessment, backend: ErpBackend | None
) -> None:
    if order.customer is not None:
        customer_id = order.customer.customer_id
    elif result.legal_entity is not None and result.legal_entity.guest_customer_id is not None:
        customer_id = result.legal_entity.guest_customer_id
    else:
        result.refuse("unknown_customer", "the order names no customer and there is no guest account to book it to")
        return
    customer = await CustomerRepository(session).get(tenant, customer_id)
    if customer is None:
        result.refuse("unknown_customer", f"customer '{customer_id}' does not exist")
        return
    result.customer = customer
    standing = await posted(backend.customer_standing(customer_id)) if backend is not None else None
    if standing is not None:
        _standing(customer_id, standing, order, result)
        return
    if customer.status == "credit_hold":
        result.refuse("customer_on_credit_hold", f"customer '{customer_id}' is on credit hold")
    elif customer.status == "blocked":
        result.refuse("customer_blocked", f"customer '{customer_id}' is blocked")
    if customer.credit_limit_amount is None:
        return
    if customer.credit_limit_currency != order.currency:
        result.refuse(
            "credit_limit_exceeded",
            f"customer '{customer_id}' has a credit limit in {customer.credit_limit_currency}, the order is in"
            f" {order.currency}",
        )
        return
    exposure = await SalesOrderRepository(session).open_value(tenant, customer_id, order.currency)
    if exposure + order.total.amount > customer.credit_limit_amount:
        limit = Money(customer.credit_limit_amount, order.currency).quantize()
        open_value = Money(exposure, order.currency).quantize()
        result.refuse(
            "credit_limit_exceeded",
            f"open orders {open_value.amount} + this order {order.total.amount} exceed the credit limit"
            f" {limit.amount} {order.currency}",
        )


def _standing(customer_id: str, standing: CustomerStanding, order: SalesOrder, result: OrderAssessment) -> None:
    """The ERP of record's word on the customer replaces our table's status and credit limit."""
    if not standing.exists:
        result.refuse("unknown_customer", f"the ERP has no customer '{customer_id}'")
        return
    if standing.inactive:
        result.refuse("customer_blocked", f"customer '{customer_id}' is inactive in the ERP")
    elif standing.credit_hold:
        result.refuse("customer_on_credit_hold", f"customer '{customer_id}' is on credit hold in the ERP")
    elif (
        standing.credit_checked
        and standing.credit_limit is not None
        and standing.exposure + order.total.amount > standing.credit_limit
    ):
        result.refuse(
            "credit_limit_exceeded",
            f"balance and unbilled orders {standing.exposure} + this order {order.total.amount} exceed the"
            f" ERP's credit limit {standing.credit_limit} {order.currency}",
        )


async def _lines(session: AsyncSession, tenant: str, order: SalesOrder, result: OrderAssessment) -> None:
    skus = [line.sku for line in order.lines]
    items = await ItemRepository(session).get_many(tenant, skus)
    list_prices: dict[str, Money] = {}
    price_list_code = result.customer.price_list if result.customer is not None else None
    if price_list_code is not None:
        price_lists = PriceListRepository(session)
        price_list = await price_lists.get(tenant, price_list_code)
        if price_list is not None:
            for sku, price in (await price_lists.prices(price_list, skus)).items():
                list_prices[sku] = Money(price.amount, price_list.currency)
    for line in order.lines:
        item = items.get(line.sku)
        if item is None:
            result.refuse("unknown_sku", f"SKU '{line.sku}' is not in the item master", line.line_id)
            continue
        if not item.active:
            result.refuse("inactive_sku", f"SKU '{line.sku}' is inactive", line.line_id)
            continue
        expected = list_prices.get(line.sku, Money(item.price_amount, item.currency)).quantize()
        offered = line.unit_price.quantize()
        if expected != offered:
            source = f"price list {price_list_code}" if line.sku in list_prices else "the list price"
            result.refuse(
                "price_mismatch",
                f"unit price {offered.amount} {offered.currency} of '{line.sku}' differs from {source}"
                f" {expected.amount} {expected.currency}",
                line.line_id,
            )


def _tax_jurisdiction(order: SalesOrder, result: OrderAssessment) -> None:
    address = order.shipping_address or order.billing_address
    if address is None:
        result.refuse("missing_tax_jurisdiction", "the order has neither a shipping nor a billing address")
        return
    if address.country_code in _NEEDS_REGION and (address.region_code is None or not address.postal_code):
        result.refuse(
            "missing_tax_jurisdiction",
            f"a {address.country_code} address needs a region code and a postal code to be taxed",
        )
