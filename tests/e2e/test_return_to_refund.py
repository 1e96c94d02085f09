"""Return to refund, end to end through the gateway on the embedded product (SQLite and PostgreSQL).

An order shipped in two parcels; a service agent starts a return of one tee in the portal, the warehouse
receives it damaged; a second return, of the cap, comes through a Shopify ``returns/request`` webhook and is
received resellable at the New York store. Each return
moves stock the right way, reverses its tax once, is credited once in the ERP and refunded once in Shopify,
with the same Decimal amounts everywhere, and shows on the order's timeline and to the shopper.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from omnigate.runtime import EmbeddedProduct
from tests.helpers import eventually
from tests.order_flow import seeded_shop, shipped_in_two_parcels
from tests.shopify_deliveries import delivery, shopify_return_request

ORDER = 5101
LINES = [("TSHIRT-BLK-M", 3, "24.00"), ("CAP-NVY-OS", 1, "19.99")]
POLICY = {"window_days": 30, "restocking_fee_percent": "10", "refund_shipping": "never"}


@pytest.fixture
async def shipped(product: EmbeddedProduct, gateway: httpx.AsyncClient) -> tuple[httpx.AsyncClient, dict[str, Any]]:
    """The order, shipped in two parcels and invoiced; the tenant's return policy set."""
    shop = await seeded_shop(product, gateway)
    assert (await shop.put("/returns/v1/policy", json=POLICY)).status_code == 200
    done = await shipped_in_two_parcels(shop, ORDER, LINES, taxes={"CAP-NVY-OS": "1.77"})
    return shop, done


def line_of(order: dict[str, Any], sku: str) -> str:
    return str(next(line["line_id"] for line in order["lines"] if line["sku"] == sku))


async def position(shop: httpx.AsyncClient, location: str, sku: str) -> dict[str, Any]:
    found = (await shop.get("/wms/v1/inventory-positions", params={"location_id": location, "sku": sku})).json()
    items = found["items"] if isinstance(found, dict) else found
    return next(p for p in items if p["location_id"] == location and p["sku"] == sku)


async def closed(shop: httpx.AsyncClient, rma: str) -> dict[str, Any]:
    return await eventually(lambda: _return(shop, rma), lambda r: r["status"] in ("closed", "on_hold"), within=60)


async def _return(shop: httpx.AsyncClient, rma: str) -> dict[str, Any]:
    answer = await shop.get(f"/portal/v1/returns/{rma}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def receive(
    shop: httpx.AsyncClient, rma: str, order: dict[str, Any], location: str, sku: str, condition: str
) -> None:
    receipt = {
        "location_id": location,
        "order_id": order["order_id"],
        "return_authorization_id": rma,
        "lines": [{"sku": sku, "quantity": 1, "condition": condition, "line_id": line_of(order, sku)}],
    }
    answer = await shop.post("/wms/v1/return-receipts", json=receipt, headers={"Idempotency-Key": f"receipt-{rma}"})
    assert answer.status_code == 201, answer.text


async def request_in_shopify(shop: httpx.AsyncClient, order: dict[str, Any], line_id: str) -> None:
    body = shopify_return_request(
        id=945000777,
        order={"id": ORDER, "admin_graphql_api_id": f"gid://shopify/Order/{ORDER}"},
        return_line_items=[
            {
                "id": 677614001,
                "fulfillment_line_item": {"id": 1025570001, "line_item": {"id": int(line_id)}},
                "quantity": 1,
                "return_reason": "color",
                "customer_note": "Wrong shade of navy",
            }
        ],
    )
    raw = json.dumps(body).encode()
    for _ in range(2):  # delivered twice, as Shopify may: one return
        answer = await shop.post(
            "/webhooks/shopify", content=raw, headers=delivery(raw, topic="returns/request", webhook_id="wh-r-5101")
        )
        assert answer.status_code == 200, answer.text


async def test_a_portal_return_and_a_shopify_return_are_restocked_credited_and_refunded_once_each(
    shipped: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    shop, order = shipped
    tee, cap = line_of(order, "TSHIRT-BLK-M"), line_of(order, "CAP-NVY-OS")
    tee_at_dc = await position(shop, order["shipments"][0]["location_id"], "TSHIRT-BLK-M")
    cap_at_store = await position(shop, "STORE-NYC", "CAP-NVY-OS")

    # a service agent starts a return of one tee; the warehouse receives it damaged
    started = await shop.post(
        "/portal/v1/returns",
        json={"order_id": order["order_id"], "lines": [{"line_id": tee, "quantity": 1, "reason": "unwanted"}]},
        headers={"Idempotency-Key": "agent-1"},
    )
    assert started.status_code == 201, started.text
    first = started.json()
    assert first["status"] == "authorized" and first["return_id"].startswith("RMA-")
    again = await shop.post(
        "/portal/v1/returns",
        json={"order_id": order["order_id"], "lines": [{"line_id": tee, "quantity": 1, "reason": "unwanted"}]},
        headers={"Idempotency-Key": "agent-1"},
    )
    assert again.status_code == 200 and again.json()["return_id"] == first["return_id"]
    await receive(shop, first["return_id"], order, tee_at_dc["location_id"], "TSHIRT-BLK-M", "damaged")
    first = await closed(shop, first["return_id"])
    assert first["status"] == "closed", first
    assert [step["to_state"] for step in first["steps"]] == [
        "authorized", "received", "inspected", "written_off", "refund_calculated", "refunded", "closed",
    ]  # fmt: skip
    assert all(step["trace_id"] for step in first["steps"]), "every step, the worker's too, is in a trace"
    # 24.00 of tee, tax-exempt clothing, less the 10% restocking fee
    assert first["refund"]["items"]["amount"] == "24.00"
    assert first["refund"]["restocking_fee"]["amount"] == "2.40"
    assert first["refund"]["total"]["amount"] == "21.60"

    # the shopper asks Shopify to return the cap (a returns/request webhook) and brings it to the New York store
    await request_in_shopify(shop, order, cap)

    async def from_shopify() -> list[dict[str, Any]]:
        found = await shop.get("/portal/v1/returns", params={"order_id": order["order_id"]})
        return [r for r in found.json() if r["source"] == "shopify"]

    second = (await eventually(from_shopify, lambda found: len(found) == 1, within=60))[0]
    second = await eventually(lambda: _return(shop, second["return_id"]), lambda r: r["status"] != "requested")
    assert second["status"] == "authorized", second
    assert [(line["line_id"], line["quantity"], line["reason"]) for line in second["lines"]] == [(cap, 1, "color")]
    await receive(shop, second["return_id"], order, "STORE-NYC", "CAP-NVY-OS", "resellable")
    second = await closed(shop, second["return_id"])
    assert second["status"] == "closed", second
    assert "restocked" in [step["to_state"] for step in second["steps"]]
    # 19.99 and its 1.77 tax back, less 10% of 19.99 (2.00, half up)
    refund = second["refund"]
    assert (refund["items"]["amount"], refund["tax"]["amount"], refund["restocking_fee"]["amount"]) == (
        "19.99",
        "1.77",
        "2.00",
    )
    assert refund["total"]["amount"] == "19.76"

    # stock: the damaged tee is on hand but damaged; the cap is sellable again at the store
    tee_after = await position(shop, tee_at_dc["location_id"], "TSHIRT-BLK-M")
    cap_after = await position(shop, "STORE-NYC", "CAP-NVY-OS")
    assert tee_after["damaged"] == tee_at_dc["damaged"] + 1
    assert cap_after["on_hand"] == cap_at_store["on_hand"] + 1
    assert cap_after["damaged"] == cap_at_store["damaged"]

    # the ERP: one credit memo per return, naming it, with the same amounts
    memos: list[dict[str, Any]] = []
    invoices = (await shop.get(f"/erp/v1/sales-orders/{order['erp_order_ref']}/invoices")).json()["invoices"]
    for invoice in invoices:
        memos += (await shop.get(f"/erp/v1/invoices/{invoice['invoice_id']}/credit-memos")).json()["credit_memos"]
    credited: dict[str, Decimal] = {}
    for memo in memos:
        credited[memo["source_id"]] = credited.get(memo["source_id"], Decimal(0)) + Decimal(memo["amount"]["amount"])
    assert credited == {first["return_id"]: Decimal("21.60"), second["return_id"]: Decimal("19.76")}

    # the tax engine: each return's tax reversed once
    transaction = (await shop.get("/tax/v1/transactions", params={"order_id": order["order_id"]})).json()
    refunds = transaction["transactions"][0]["refunds"]
    assert sorted((r["reference"], r["total_amount"], r["total_tax"]) for r in refunds) == sorted(
        [(first["return_id"], "24.00", "0.00"), (second["return_id"], "19.99", "1.77")]
    )

    # Shopify: one refund per return, with the same money
    sent = (await shop.get("/shopify/v1/mutations", params={"mutation": "refundCreate"})).json()["items"]
    assert len(sent) == 2, "one Shopify refund per return, none twice"
    amounts = sorted(Decimal(str(t["amount"])) for m in sent for t in m["variables"]["input"].get("transactions", []))
    assert amounts == [Decimal("19.76"), Decimal("21.60")]

    # the order's timeline tells the returns; the shopper sees the refund
    timeline = (await shop.get(f"/portal/v1/orders/{order['order_id']}/timeline")).json()
    told = {(s["detail"].get("return_id"), s["step"]) for s in timeline["steps"] if s["system"] == "returns"}
    assert (first["return_id"], "return_closed") in told and (second["return_id"], "return_closed") in told
    status = (await shop.get(f"/storefront/v1/returns/{second['return_id']}")).json()
    assert status["status"] == "refunded" and status["refund_total"]["amount"] == "19.76"
