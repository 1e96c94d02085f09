"""Shopify webhook deliveries as Shopify sends them: real order payloads (API 2026-07) signed with the demo
shop's secret, for the tests of everything downstream of the intake."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from experience_apis.shopify.signatures import sign
from omnigate.demo import DEMO_SHOP
from tests.helpers import vendor_fixtures

__all__ = ["FIXTURES", "SECRET", "deliver", "delivery", "shopify_order", "shopify_return_request", "storefront_order"]

FIXTURES = vendor_fixtures("shopify")
SECRET = "demo-webhook-secret"


def shopify_order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = json.loads((FIXTURES / "rest-2026-07" / "order_7.json").read_text())["body"]["order"]
    order.update(changes)
    return order


def shopify_return_request(**changes: Any) -> dict[str, Any]:
    """A ``returns/request`` body shaped as Shopify documents it (REST ids beside their GraphQL ids, lowercase
    reasons, the order line inside the fulfillment line item): one unit of ``order_7``'s red iPod coming back."""
    order = shopify_order()
    red = order["line_items"][1]
    body: dict[str, Any] = {
        "id": 945000959,
        "admin_graphql_api_id": "gid://shopify/Return/945000959",
        "status": "requested",
        "order": {"id": order["id"], "admin_graphql_api_id": order["admin_graphql_api_id"]},
        "total_return_line_items": 1,
        "name": f"{order['name']}-R1",
        "return_line_items": [
            {
                "id": 677614678,
                "admin_graphql_api_id": "gid://shopify/ReturnLineItem/677614678",
                "fulfillment_line_item": {
                    "id": 1025578633,
                    "admin_graphql_api_id": "gid://shopify/FulfillmentLineItem/1025578633",
                    "line_item": {"id": red["id"], "admin_graphql_api_id": red["admin_graphql_api_id"]},
                },
                "quantity": 1,
                "return_reason": "size_too_small",
                "return_reason_note": "",
                "customer_note": "Smaller than the size chart says",
            }
        ],
        "exchange_line_items": [],
        "total_exchange_line_items": 0,
        "return_shipping_fees": [],
    }
    body.update(changes)
    return body


def delivery(body: bytes, *, topic: str = "orders/create", webhook_id: str = "wh-1", secret: str = SECRET,
             prefix: str = "X-", event_id: str | None = "ev-1", shop: str = DEMO_SHOP) -> dict[str, str]:  # fmt: skip
    headers = {
        f"{prefix}Shopify-Topic": topic,
        f"{prefix}Shopify-Hmac-Sha256": sign(body, secret),
        f"{prefix}Shopify-Shop-Domain": shop,
        f"{prefix}Shopify-Webhook-Id": webhook_id,
        f"{prefix}Shopify-API-Version": "2026-07",
        f"{prefix}Shopify-Triggered-At": "2026-11-23T09:00:00Z",
        "Content-Type": "application/json",
    }
    if event_id:
        headers[f"{prefix}Shopify-Event-Id"] = event_id
    return headers


async def deliver(gateway: httpx.AsyncClient, order: dict[str, Any], webhook_id: str = "wh-1") -> None:
    """POST ``order`` as a signed ``orders/create`` webhook through the gateway; fails the test unless accepted."""
    body = json.dumps(order).encode()
    answer = await gateway.post("/webhooks/shopify", content=body, headers=delivery(body, webhook_id=webhook_id))
    assert answer.status_code == 200, answer.text


_TOTALS = (
    "subtotal_price",
    "current_subtotal_price",
    "total_line_items_price",
    "total_price",
    "current_total_price",
    "total_discounts",
    "current_total_discounts",
    "total_tax",
    "current_total_tax",
)


def storefront_order(
    order_id: int,
    lines: list[tuple[str, int, str]],
    *,
    taxes: dict[str, str] | None = None,
    discounts: dict[str, str] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """A Shopify ``orders/create`` body for the demo catalogue, shaped like the real payload (API 2026-07):
    a guest checkout shipped to New York, paid, one line item per ``(sku, quantity, unit price)``, with the
    sales tax Shopify charged per SKU in ``taxes`` (New York City: 8.875%, clothing exempt) and a discount code
    allocated to lines per SKU in ``discounts``."""
    taxes = taxes or {}
    discounts = discounts or {}
    order = shopify_order()
    template = order["line_items"][0]
    items = []
    for index, (sku, quantity, price) in enumerate(lines, start=1):
        money = {"amount": price, "currency_code": "USD"}
        items.append(
            {
                **template,
                "id": order_id * 100 + index,
                "admin_graphql_api_id": f"gid://shopify/LineItem/{order_id * 100 + index}",
                "sku": sku,
                "name": sku,
                "title": sku,
                "variant_title": None,
                "price": price,
                "price_set": {"shop_money": money, "presentment_money": money},
                "quantity": quantity,
                "current_quantity": quantity,
                "fulfillable_quantity": quantity,
                "total_discount": discounts.get(sku, "0.00"),
                "discount_allocations": [_allocation(discounts[sku])] if sku in discounts else [],
                "tax_lines": [_tax_line(taxes[sku])] if sku in taxes else [],
            }
        )
    discounted = sum((Decimal(amount) for amount in discounts.values()), Decimal(0))
    gross = sum(Decimal(price) * quantity for _sku, quantity, price in lines)
    subtotal = f"{gross - discounted:.2f}"
    tax = f"{sum(Decimal(amount) for amount in taxes.values()):.2f}"
    total = f"{Decimal(subtotal) + Decimal(tax):.2f}"
    address = {
        **order["shipping_address"],
        "address1": "120 Spring St",
        "city": "New York",
        "zip": "10012",
        "province": "New York",
        "province_code": "NY",
    }
    order.update(
        id=order_id,
        admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
        name=f"#{order_id}",
        order_number=order_id,
        customer=None,
        line_items=items,
        refunds=[],
        fulfillments=[],
        discount_applications=[_DISCOUNT_APPLICATION] if discounts else [],
        discount_codes=[{"code": "WELCOME", "amount": f"{discounted:.2f}", "type": "fixed_amount"}]
        if discounts
        else [],
        shipping_lines=[],
        shipping_address=address,
        billing_address=address,
        financial_status="paid",
        fulfillment_status=None,
        cancelled_at=None,
        cancel_reason=None,
        subtotal_price=subtotal,
        current_subtotal_price=subtotal,
        total_line_items_price=f"{gross:.2f}",
        total_price=total,
        current_total_price=total,
        total_discounts=f"{discounted:.2f}",
        current_total_discounts=f"{discounted:.2f}",
        total_tax=tax,
        current_total_tax=tax,
        tax_lines=[_tax_line(tax)] if taxes else [],
        total_outstanding="0.00",
        created_at="2026-11-23T09:00:00-05:00",
        processed_at="2026-11-23T09:00:00-05:00",
        updated_at="2026-11-23T09:00:00-05:00",
    )
    for key in _TOTALS:
        money = {"amount": order[key], "currency_code": "USD"}
        order[f"{key}_set"] = {"shop_money": money, "presentment_money": money}
    zero = {"amount": "0.00", "currency_code": "USD"}
    order["total_shipping_price_set"] = {"shop_money": zero, "presentment_money": zero}
    order.update(changes)
    return order


_DISCOUNT_APPLICATION = {
    "target_type": "line_item",
    "type": "discount_code",
    "value": "5.0",
    "value_type": "fixed_amount",
    "allocation_method": "across",
    "target_selection": "entitled",
    "code": "WELCOME",
}


def _discount_code(amount: Decimal) -> dict[str, Any]:
    return {"code": "WELCOME", "amount": f"{amount:.2f}", "type": "fixed_amount"}


def _allocation(amount: str) -> dict[str, Any]:
    money = {"amount": amount, "currency_code": "USD"}
    return {
        "amount": amount,
        "amount_set": {"shop_money": money, "presentment_money": money},
        "discount_application_index": 0,
    }


def _tax_line(amount: str) -> dict[str, Any]:
    money = {"amount": amount, "currency_code": "USD"}
    return {
        "channel_liable": False,
        "price": amount,
        "price_set": {"shop_money": money, "presentment_money": money},
        "rate": 0.08875,
        "title": "NY State and City Tax",
    }
