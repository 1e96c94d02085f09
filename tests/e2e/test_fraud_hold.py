"""An order Shopify's fraud analysis recommends cancelling waits on hold, with the reasons on the worklist; nothing
is booked. A reviewer who accepts the risk tags the order in Shopify, the ``orders/updated`` that follows
releases it, and it is booked and released once. Shopify is its Admin GraphQL emulator; through the gateway on
the embedded product, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from process_apis.orders.saga.systems_http import RISK_ACCEPTED_TAG
from tests.emulators.shopify_admin import EmulatedShop
from tests.helpers import eventually
from tests.order_flow import emulated_shopify, order_of
from tests.shopify_deliveries import delivery, storefront_order

ORDER = 5701
LINES = [("CAP-NVY-OS", 1, "19.99")]
PROXY_IP = "This order was placed from a proxy IP"


@pytest.fixture
async def shopify(shop: httpx.AsyncClient) -> AsyncIterator[EmulatedShop]:
    async with emulated_shopify(shop, ORDER, LINES) as emulated:
        emulated.orders[f"gid://shopify/Order/{ORDER}"].risk = {
            "recommendation": "CANCEL",
            "assessments": [
                {"riskLevel": "HIGH", "provider": None, "facts": [{"description": PROXY_IP, "sentiment": "NEGATIVE"}]}
            ],
        }
        yield emulated


async def send(shop: httpx.AsyncClient, topic: str, webhook_id: str, **changes: Any) -> None:
    body = json.dumps(storefront_order(ORDER, LINES, **changes)).encode()
    answer = await shop.post(
        "/webhooks/shopify", content=body, headers=delivery(body, topic=topic, webhook_id=webhook_id)
    )
    assert answer.status_code == 200, answer.text


async def test_an_order_shopify_recommends_cancelling_waits_on_hold_until_a_reviewer_accepts_it(
    shop: httpx.AsyncClient, shopify: EmulatedShop
) -> None:
    await send(shop, "orders/create", "wh-create")

    held = await eventually(lambda: order_of(shop, ORDER), lambda o: o["state"] in ("on_hold", "rejected", "released"))
    assert (held["state"], held["erp_order_ref"]) == ("on_hold", None), held
    assert PROXY_IP in held["hold_reason"] and RISK_ACCEPTED_TAG in held["hold_reason"]
    items = (await shop.get("/portal/v1/exceptions", params={"order_id": held["order_id"]})).json()["items"]
    assert [(item["kind"], item["system"], item["status"]) for item in items] == [("fraud_hold", "shopify", "open")]
    booked = (await shop.get("/erp/v1/sales-orders", params={"source_id": held["order_id"]})).json()
    assert booked["sales_orders"] == [], "nothing is booked while the order is held"

    await send(shop, "orders/updated", "wh-tagged", tags=RISK_ACCEPTED_TAG, updated_at="2026-11-23T09:20:00-05:00")

    released = await eventually(lambda: order_of(shop, ORDER), lambda o: o["state"] == "released", within=30)
    booked = (await shop.get("/erp/v1/sales-orders", params={"source_id": released["order_id"]})).json()
    assert [s["erp_order_ref"] for s in booked["sales_orders"]] == [released["erp_order_ref"]]
    after = (await shop.get("/portal/v1/exceptions", params={"order_id": released["order_id"]})).json()["items"]
    assert [(item["kind"], item["status"]) for item in after] == [("fraud_hold", "resolved")]


async def test_an_order_whose_fraud_analysis_is_pending_waits_for_the_verdict(
    shop: httpx.AsyncClient, shopify: EmulatedShop
) -> None:
    shopify_order = shopify.orders[f"gid://shopify/Order/{ORDER}"]
    shopify_order.risk = {
        "recommendation": "NONE",
        "assessments": [{"riskLevel": "PENDING", "provider": None, "facts": []}],
    }
    await send(shop, "orders/create", "wh-create")

    async def validations() -> list[str]:
        order = await order_of(shop, ORDER)
        if order["state"] is None:
            return []
        steps = (await shop.get(f"/portal/v1/orders/{order['order_id']}/timeline")).json()["steps"]
        return [step["outcome"] for step in steps if step["step"] == "validate"]

    waiting = await eventually(validations, lambda outcomes: "retrying" in outcomes, within=30)
    assert "done" not in waiting, "not validated while Shopify's analysis is pending"
    shopify_order.risk = {
        "recommendation": "ACCEPT",
        "assessments": [{"riskLevel": "LOW", "provider": None, "facts": []}],
    }

    released = await eventually(lambda: order_of(shop, ORDER), lambda o: o["state"] == "released", within=30)
    assert released["erp_order_ref"].startswith("SO-")
