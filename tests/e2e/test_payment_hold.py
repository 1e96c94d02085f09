"""An order Shopify has not been paid for waits on hold; Shopify's ``orders/paid`` puts it back in flow and it is
booked and released once. Through the gateway on the embedded product, SQLite and PostgreSQL."""

from __future__ import annotations

import json

import httpx

from tests.helpers import eventually
from tests.order_flow import order_of
from tests.shopify_deliveries import delivery, storefront_order

ORDER = 5401
LINES = [("CAP-NVY-OS", 1, "19.99")]


async def send(shop: httpx.AsyncClient, topic: str, webhook_id: str, **changes: object) -> None:
    body = json.dumps(storefront_order(ORDER, LINES, taxes={"CAP-NVY-OS": "1.77"}, **changes)).encode()
    headers = delivery(body, topic=topic, webhook_id=webhook_id, event_id=webhook_id)
    answer = await shop.post("/webhooks/shopify", content=body, headers=headers)
    assert answer.status_code == 200, answer.text


async def test_an_unpaid_order_waits_on_hold_until_shopify_says_it_is_paid(shop: httpx.AsyncClient) -> None:
    await send(shop, "orders/create", "wh-create", financial_status="pending")

    held = await eventually(lambda: order_of(shop, ORDER), lambda o: o["state"] in ("on_hold", "rejected", "released"))
    assert held["state"] == "on_hold", held
    assert held["erp_order_ref"] is None
    found = (await shop.get("/portal/v1/exceptions", params={"order_id": held["order_id"]})).json()["items"]
    assert [(item["kind"], item["system"]) for item in found] == [("payment_not_authorized", "erp")]

    await send(shop, "orders/paid", "wh-paid", financial_status="paid", updated_at="2026-11-23T09:05:00-05:00")

    released = await eventually(lambda: order_of(shop, ORDER), lambda o: o["state"] == "released", within=30)
    booked = (await shop.get("/erp/v1/sales-orders", params={"source_id": released["order_id"]})).json()
    assert [s["erp_order_ref"] for s in booked["sales_orders"]] == [released["erp_order_ref"]]
    timeline = (await shop.get(f"/portal/v1/orders/{released['order_id']}/timeline")).json()["steps"]
    validations = [(s["step"], s["outcome"]) for s in timeline if s["step"] in ("validate", "orders/paid")]
    assert validations == [("validate", "exception"), ("orders/paid", "done"), ("validate", "done")]
    after = (await shop.get("/portal/v1/exceptions", params={"order_id": released["order_id"]})).json()["items"]
    assert [(i["kind"], i["status"], i["resolution"]) for i in after] == [
        ("payment_not_authorized", "resolved", "validate succeeded")
    ], "the hold's worklist item closes itself once the order goes on"
