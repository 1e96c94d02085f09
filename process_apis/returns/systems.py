"""What the return saga needs from other services, over their APIs: the order process (what was ordered and
shipped), the tax engine (reverse the tax), the ERP (credit memos) and the channel (Shopify refunds).

Every call that changes something carries a key derived from the RMA number (and the invoice), so a step re-run
after a crash gets the first answer: a retried step never refunds twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import msgspec

from canonical import Money, OrderView, SalesOrder
from process_apis.returns.crediting import BilledInvoice
from service_kit.http.paths import resource_path
from service_kit.http.system_calls import BusinessFailure, SystemCalls, decode
from service_kit.http.tax_reversals import reverse_committed_tax

__all__ = ["OrderFacts", "ReturnSystems", "TaxReversal"]


@dataclass(frozen=True)
class OrderFacts:
    """The order as sold (prices, discounts, ship-to) and as fulfilled (shipments, their invoices)."""

    view: OrderView
    sales_order: SalesOrder


class _Item(msgspec.Struct):
    product_type: str | None = None


class _TaxRefundLine(msgspec.Struct):
    line_id: str
    amount: Decimal
    tax: Decimal


class TaxReversal(msgspec.Struct):
    refund_id: str
    lines: list[_TaxRefundLine]
    shipping_amount: Decimal
    shipping_tax: Decimal


class _CreditMemo(msgspec.Struct):
    credit_memo_id: str
    amount: Money


class _InvoiceLine(msgspec.Struct):
    line_id: str
    quantity: int


class _Invoice(msgspec.Struct):
    invoice_id: str
    lines: list[_InvoiceLine]
    total: Money
    credited: Money
    posted_at: str


class _Invoices(msgspec.Struct):
    invoices: list[_Invoice]


class _ChannelRefund(msgspec.Struct):
    refund_id: str
    total: Money | None = None


class ReturnSystems(SystemCalls):
    async def order(self, tenant: str, order_id: str) -> OrderFacts:
        view = await self.call("orders", "GET", resource_path("/orders/v1/orders/{}", order_id), tenant)
        if view.status_code == 404:
            raise BusinessFailure("orders", "unknown_order", [{"code": "unknown_order", "order_id": order_id}])
        if not view.is_success:
            raise self.refused("orders", view)
        document = await self.call("orders", "GET", resource_path("/orders/v1/orders/{}/sales-order", order_id), tenant)
        if not document.is_success:
            raise self.refused("orders", document)
        sales_order = decode(document, SalesOrder)
        return OrderFacts(view=decode(view, OrderView), sales_order=await self._with_product_types(tenant, sales_order))

    async def _with_product_types(self, tenant: str, order: SalesOrder) -> SalesOrder:
        """Lines the channel sent without a product type get the ERP item master's (Shopify's order webhooks
        carry none), so a policy naming returnable product types can judge them."""
        types: dict[str, str | None] = {}
        for line in order.lines:
            if line.product_type is None and line.sku not in types:
                item = await self.call("erp", "GET", resource_path("/erp/v1/items/{}", line.sku), tenant)
                types[line.sku] = decode(item, _Item).product_type if item.is_success else None
        if not types:
            return order
        lines = [
            msgspec.structs.replace(line, product_type=types.get(line.sku)) if line.product_type is None else line
            for line in order.lines
        ]
        return msgspec.structs.replace(order, lines=lines)

    async def order_id_for_channel_order(self, tenant: str, channel_order_id: str) -> str:
        found = await self.call("orders", "GET", "/orders/v1/orders", tenant, params={"source_id": channel_order_id})
        if not found.is_success:
            raise self.refused("orders", found)
        orders = decode(found, list[OrderView])
        if not orders:
            raise BusinessFailure(
                "orders", "unknown_order", [{"code": "unknown_order", "channel_order_id": channel_order_id}]
            )
        return orders[0].order_id

    async def reverse_tax(
        self, tenant: str, order_id: str, rma: str, units: dict[str, int], shipping: Decimal | None
    ) -> TaxReversal:
        """Reverse the tax of returned units (and shipping) against the order's committed transaction."""
        body: dict[str, object] = {
            "lines": [{"line_id": line_id, "quantity": quantity} for line_id, quantity in sorted(units.items())],
            "reference": rma,
        }
        if shipping is not None and shipping > 0:
            body["shipping"] = str(shipping)
        refunded = await reverse_committed_tax(self, tenant, order_id, body, key=f"tax-refund:{rma}")
        return decode(refunded, TaxReversal)

    async def invoices(self, tenant: str, erp_order_ref: str) -> list[BilledInvoice]:
        """The order's ERP invoices in the order they were posted, with what is left to credit on each."""
        path = resource_path("/erp/v1/sales-orders/{}/invoices", erp_order_ref)
        found = await self.call("erp", "GET", path, tenant)
        if not found.is_success:
            raise self.refused("erp", found)
        invoices = sorted(
            decode(found, _Invoices).invoices, key=lambda invoice: (invoice.posted_at, invoice.invoice_id)
        )
        return [
            BilledInvoice(
                invoice_id=invoice.invoice_id,
                units={line.line_id: line.quantity for line in invoice.lines},
                remaining=invoice.total.amount - invoice.credited.amount,
            )
            for invoice in invoices
        ]

    async def credit_memo(self, tenant: str, rma: str, invoice_id: str, amount: Money) -> str:
        """Credit ``amount`` on the invoice in the ERP, by the invoice's legal entity, naming the RMA."""
        body = {
            "invoice_id": invoice_id,
            "amount": msgspec.to_builtins(amount),
            "reason": "return",
            "source_id": rma,
        }
        posted = await self.call(
            "erp", "POST", "/erp/v1/credit-memos", tenant, key=f"credit-memo:{rma}:{invoice_id}", json=body
        )
        if not posted.is_success:
            raise self.refused("erp", posted)
        return decode(posted, _CreditMemo).credit_memo_id

    async def channel_refund(
        self, tenant: str, order: SalesOrder, rma: str, units: dict[str, int], shipping: Money, amount: Money
    ) -> tuple[str, Money | None]:
        """Refund the customer in the channel (Shopify ``refundCreate``): the units, shipping and the money."""
        body: dict[str, object] = {
            "order_id": order.external_id,
            "currency": order.currency,
            "lines": [{"line_id": line_id, "quantity": quantity} for line_id, quantity in sorted(units.items())],
            "note": f"Omnigate return {rma}",
        }
        if shipping.amount > 0:
            body["shipping"] = msgspec.to_builtins(shipping)
        if amount.amount > 0:
            body["amount"] = msgspec.to_builtins(amount)
            body["gateway"] = order.payment_gateway or "manual"
        refunded = await self.call("shopify", "POST", "/shopify/v1/refunds", tenant, key=f"refund:{rma}", json=body)
        if not refunded.is_success:
            raise self.refused("shopify", refunded)
        answer = decode(refunded, _ChannelRefund)
        return answer.refund_id, answer.total
