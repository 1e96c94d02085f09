"""Order to cash, end to end through the gateway on the embedded product (SQLite and PostgreSQL): a signed
Shopify ``orders/create`` webhook becomes one order, booked in the ERP with its tax committed, reserved and
released to the warehouses; the warehouse ships part, then the rest; the ERP invoices each shipment and Shopify
(the Admin GraphQL emulator, reached over HTTP by the Shopify system API's GraphQL backend) gets a fulfillment
with tracking for each; the shopper sees it shipped."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.emulators.shopify_admin import EmulatedShop
from tests.helpers import eventually
from tests.order_flow import emulated_shopify, order_of, ship
from tests.shopify_deliveries import deliver, delivery, storefront_order

ORDER = 5001
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
LINES = [("TSHIRT-BLK-M", 3, "24.00"), ("CAP-NVY-OS", 1, "19.99")]


@pytest.fixture
async def shopify(shop: httpx.AsyncClient) -> AsyncIterator[EmulatedShop]:
    async with emulated_shopify(shop, ORDER, LINES) as emulated:
        yield emulated


async def order_state(shop: httpx.AsyncClient) -> dict[str, Any]:
    return await order_of(shop, ORDER)


async def test_a_shopify_order_is_booked_released_shipped_in_two_parcels_and_invoiced(
    shop: httpx.AsyncClient, shopify: EmulatedShop
) -> None:
    order = storefront_order(ORDER, LINES, taxes={"CAP-NVY-OS": "1.77"})
    body = json.dumps(order).encode()
    traced = {**delivery(body, webhook_id="wh-5001"), "traceparent": f"00-{TRACE_ID}-b7ad6b7169203331-01"}
    assert (await shop.post("/webhooks/shopify", content=body, headers=traced)).status_code == 200
    for _ in range(2):  # Shopify delivers at least once
        await deliver(shop, order, webhook_id="wh-5001")

    released = await eventually(
        lambda: order_state(shop), lambda o: o["state"] in ("released", "on_hold", "rejected"), within=90
    )
    assert released["state"] == "released", released
    assert released["erp_order_ref"].startswith("SO-")
    orders = (await shop.get("/portal/v1/orders", params={"source_id": str(ORDER)})).json()
    assert len(orders) == 1, "three deliveries of one webhook make one order"
    requests = [
        (await shop.get(f"/wms/v1/fulfillment-requests/{request_id}")).json()
        for request_id in released["fulfillment_requests"].values()
    ]
    assert sum(line["quantity"] for r in requests for line in r["lines"]) == 4
    tax = (await shop.get("/tax/v1/transactions", params={"order_id": released["order_id"]})).json()
    assert tax, "the tax for the order was committed"

    # the warehouse ships one unit of every line first, then the rest
    first = {line["line_id"]: 1 for r in requests for line in r["lines"]}
    for index, request in enumerate(requests):
        await ship(shop, request, f"S1-{index}", first)
    partial = await eventually(lambda: order_state(shop), lambda o: o["state"] == "partially_shipped", within=60)
    assert sum(line["shipped"] for line in partial["lines"]) == len(first)
    rest = {line["line_id"]: line["quantity"] - 1 for r in requests for line in r["lines"]}
    for index, request in enumerate(requests):
        if any(rest.get(line["line_id"]) for line in request["lines"]):
            await ship(shop, request, f"S2-{index}", rest)

    done = await eventually(lambda: order_state(shop), lambda o: o["state"] == "invoiced", within=60)
    assert all(line["shipped"] == line["quantity"] for line in done["lines"])
    invoices = (await shop.get(f"/erp/v1/sales-orders/{done['erp_order_ref']}/invoices")).json()["invoices"]
    assert len(invoices) == len(done["shipments"]) >= 2
    invoiced = sum(Decimal(invoice["total"]["amount"]) for invoice in invoices)
    taxed = sum(Decimal(invoice["tax"]["amount"]) for invoice in invoices)
    assert (invoiced, taxed) == (Decimal("93.76"), Decimal("1.77")), "the invoices add up to the order, once each"

    sent = (await shop.get("/shopify/v1/mutations", params={"mutation": "fulfillmentCreate"})).json()["items"]
    assert len(sent) == len(done["shipments"]), "one Shopify fulfillment per shipment, none twice"
    tracking = [m["variables"]["fulfillment"]["trackingInfo"] for m in sent]
    tracked = {number for info in tracking for number in info.get("numbers", [info.get("number")])}
    assert tracked == {f"1Z{s['shipment_id']}" for s in done["shipments"]}
    assert {m["order_id"] for m in sent} == {f"gid://shopify/Order/{ORDER}"}
    received = [m for m in shopify.mutations if m["mutation"] == "fulfillmentCreate"]
    assert len(received) == len(done["shipments"]), "Shopify itself got each fulfillment once"
    infos = [m["variables"]["fulfillment"]["trackingInfo"] for m in received]
    assert {n for info in infos for n in info.get("numbers", [info.get("number")])} == tracked
    shopify_order = shopify.orders[f"gid://shopify/Order/{ORDER}"]
    assert (shopify_order.fulfillment_order_status(), shopify_order.remaining) == (
        "CLOSED",
        {str(ORDER * 100 + 1): 0, str(ORDER * 100 + 2): 0},
    ), "every unit fulfilled in Shopify"

    timeline = (await shop.get(f"/portal/v1/orders/{done['order_id']}/timeline")).json()["steps"]
    booking = [step for step in timeline if step["system"] in ("shopify", "erp", "tax", "inventory")]
    assert booking and {step["trace_id"] for step in booking} == {TRACE_ID}, "the saga's steps join the webhook's trace"
    assert all(step["trace_id"] for step in timeline), timeline

    status = (await shop.get(f"/storefront/v1/orders/{done['order_id']}")).json()
    assert status["status"] == "shipped"
    assert {parcel["tracking_number"] for parcel in status["parcels"]} == {
        f"1Z{s['shipment_id']}" for s in done["shipments"]
    }
