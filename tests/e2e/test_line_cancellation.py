"""A merchant cuts lines from a released order in Shopify (an order edit: ``current_quantity`` drops, ``quantity``
does not). Before the warehouse picks, the units come off the warehouse release, the holds and the ERP order,
and go back on sale; after it picks, the cut lands on the worklist and the units still ship. Through the gateway on the
embedded product, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from tests.helpers import eventually
from tests.order_flow import order_of, ship
from tests.shopify_deliveries import deliver, delivery, storefront_order

CAPS, SOCKS, BEANIES = "CAP-NVY-OS", "SOCKS-BLK-3PK", "BEANIE-RED-OS"
EDITED_AT = "2026-11-23T09:30:00-05:00"


async def sellable(shop: httpx.AsyncClient, sku: str) -> int:
    answer = await shop.get("/inventory/v1/availability", params={"sku": sku})
    return int(answer.json()["available_to_sell"])


async def released(shop: httpx.AsyncClient, order_id: int, lines: list[tuple[str, int, str]]) -> dict[str, Any]:
    await deliver(shop, storefront_order(order_id, lines), webhook_id=f"wh-{order_id}")
    return await eventually(lambda: order_of(shop, order_id), lambda o: o["state"] in ("released", "on_hold"))


async def edit(shop: httpx.AsyncClient, order_id: int, lines: list[tuple[str, int, str]], kept: dict[str, int]) -> None:
    """Shopify's ``orders/updated`` after an order edit: each line keeps its ``quantity``, ``current_quantity``
    and ``fulfillable_quantity`` drop to what is ``kept``."""
    order = storefront_order(order_id, lines, updated_at=EDITED_AT)
    for item in order["line_items"]:
        item["current_quantity"] = item["fulfillable_quantity"] = kept[item["sku"]]
    body = json.dumps(order).encode()
    headers = delivery(body, topic="orders/updated", webhook_id=f"wh-{order_id}-edit", event_id=f"ev-{order_id}-edit")
    answer = await shop.post("/webhooks/shopify", content=body, headers=headers)
    assert answer.status_code == 200, answer.text


async def requests_of(shop: httpx.AsyncClient, order_id: str) -> list[dict[str, Any]]:
    answer = await shop.get("/wms/v1/fulfillment-requests", params={"order_id": order_id})
    assert answer.status_code == 200, answer.text
    requests: list[dict[str, Any]] = answer.json()
    return requests


def cancelled_units(requests: list[dict[str, Any]]) -> dict[str, int]:
    units: dict[str, int] = {}
    for request in requests:
        for line in request["lines"]:
            units[line["sku"]] = units.get(line["sku"], 0) + line["cancelled_quantity"]
    return units


async def test_lines_cut_before_pick_leave_the_warehouse_release_and_the_holds_once(shop: httpx.AsyncClient) -> None:
    lines = [(CAPS, 3, "19.99"), (SOCKS, 2, "14.00")]
    caps_on_sale = await sellable(shop, CAPS)
    order = await released(shop, 5601, lines)
    assert order["state"] == "released", order

    await edit(shop, 5601, lines, kept={CAPS: 1, SOCKS: 0})

    cut = await eventually(
        lambda: order_of(shop, 5601), lambda o: all(line["cancelled"] for line in o["lines"]), within=30
    )
    assert cut["state"] == "released"
    assert [(line["sku"], line["quantity"], line["cancelled"], line["state"]) for line in cut["lines"]] == [
        (CAPS, 1, 2, "released"),
        (SOCKS, 0, 2, "cancelled"),
    ]
    requests = await requests_of(shop, cut["order_id"])
    assert cancelled_units(requests) == {CAPS: 2, SOCKS: 2}, "each cut unit cancelled at its warehouse once"
    assert set(cut["fulfillment_requests"].values()) == {r["id"] for r in requests if r["status"] != "cancelled"}
    holds = (await shop.get(f"/inventory/v1/reservations/{cut['order_id']}")).json()["reservations"]
    assert {sku: sum(r["quantity"] for r in holds if r["sku"] == sku) for sku in (CAPS, SOCKS)} == {CAPS: 1, SOCKS: 0}
    await eventually(lambda: sellable(shop, CAPS), lambda units: units == caps_on_sale - 1, within=30)
    booked = (await shop.get(f"/erp/v1/sales-orders/{cut['erp_order_ref']}")).json()
    assert [(line["sku"], line["cancelled_quantity"]) for line in booked["lines"]] == [(CAPS, 2), (SOCKS, 2)]
    [committed] = (await shop.get("/tax/v1/transactions", params={"order_id": cut["order_id"]})).json()["transactions"]
    assert [(r["reference"], len(r["lines"])) for r in committed["refunds"]] == [
        (f"cancel-lines:{cut['order_id']}:1", 2)
    ]
    assert Decimal(committed["refunded_tax"]) > 0, "the tax committed for the cut units is reversed"
    shopper = (await shop.get(f"/storefront/v1/orders/{cut['order_id']}")).json()
    assert [(line["quantity"], line["cancelled"]) for line in shopper["lines"]] == [(1, 2), (0, 2)]
    timeline = (await shop.get(f"/portal/v1/orders/{cut['order_id']}/timeline")).json()["steps"]
    assert [(s["step"], s["outcome"]) for s in timeline if s["step"] in ("orders/updated", "cancel_lines")] == [
        ("orders/updated", "done"),
        ("cancel_lines", "done"),
    ]

    [open_request] = [r for r in requests if r["status"] != "cancelled"]
    await ship(
        shop, open_request, "5601-A", {line["line_id"]: 1 for line in open_request["lines"] if line["sku"] == CAPS}
    )
    done = await eventually(lambda: order_of(shop, 5601), lambda o: o["state"] == "invoiced", within=60)
    assert [(line["sku"], line["shipped"], line["state"]) for line in done["lines"]] == [
        (CAPS, 1, "invoiced"),
        (SOCKS, 0, "cancelled"),
    ]
    booked = (await shop.get(f"/erp/v1/sales-orders/{done['erp_order_ref']}")).json()
    assert (booked["status"], booked["invoiced_total"]["amount"]) == ("shipped", "19.99"), "one cap billed"


async def test_a_cut_after_the_warehouse_picked_lands_on_the_worklist(shop: httpx.AsyncClient) -> None:
    lines = [(BEANIES, 2, "22.00")]
    order = await released(shop, 5602, lines)
    assert order["state"] == "released", order
    [request_id] = order["fulfillment_requests"].values()
    picked = await shop.post(f"/wms/v1/fulfillment-requests/{request_id}/pick")
    assert picked.status_code == 200, picked.text

    await edit(shop, 5602, lines, kept={BEANIES: 1})

    async def worklist() -> list[dict[str, Any]]:
        answer = await shop.get("/portal/v1/exceptions", params={"order_id": order["order_id"]})
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    [item] = await eventually(worklist, lambda items: bool(items), within=30)
    assert (item["kind"], item["system"], item["status"]) == ("cancel_after_pick", "wms", "open")
    assert item["snapshot"]["not_withdrawn"] == {order["lines"][0]["line_id"]: 1}
    after = await order_of(shop, 5602)
    assert [(line["quantity"], line["cancelled"]) for line in after["lines"]] == [(2, 0)], "both units still ship"
    request = (await shop.get(f"/wms/v1/fulfillment-requests/{request_id}")).json()
    assert (request["status"], request["lines"][0]["cancelled_quantity"]) == ("picked", 0)
