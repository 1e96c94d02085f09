"""Refund arithmetic through the real services (SQLite and PostgreSQL): three caps bought with a 5.00 discount
code come back one by one. Each return refunds the unit's price less its share of the discount and the tax on
that, rounded half up, and the last unit takes exactly what is left, so the three refunds, credit memos and
Shopify refunds add up to what was paid — not a cent more or less."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from omnigate.runtime import EmbeddedProduct
from tests.helpers import eventually
from tests.order_flow import seeded_shop, shipped_in_two_parcels

ORDER = 6201


@pytest.fixture
async def shop(product: EmbeddedProduct, gateway: httpx.AsyncClient) -> httpx.AsyncClient:
    return await seeded_shop(product, gateway)


async def test_three_returns_of_discounted_taxed_units_refund_exactly_what_was_paid(shop: httpx.AsyncClient) -> None:
    # 3 x 19.99 = 59.97, less 5.00 = 54.97, and 8.875% tax on that: 4.88 (paid 59.85)
    order = await shipped_in_two_parcels(
        shop, ORDER, [("CAP-NVY-OS", 3, "19.99")], taxes={"CAP-NVY-OS": "4.88"}, discounts={"CAP-NVY-OS": "5.00"}
    )
    cap = order["lines"][0]["line_id"]
    refunds: list[dict[str, Any]] = []
    for number in range(3):
        started = await shop.post(
            "/portal/v1/returns",
            json={"order_id": order["order_id"], "lines": [{"line_id": cap, "quantity": 1, "reason": "defective"}]},
        )
        assert started.status_code == 201, started.text
        rma = started.json()["return_id"]
        receipt = {
            "location_id": order["shipments"][0]["location_id"],
            "order_id": order["order_id"],
            "return_authorization_id": rma,
            "lines": [{"sku": "CAP-NVY-OS", "line_id": cap, "quantity": 1, "condition": "resellable"}],
        }
        answer = await shop.post("/wms/v1/return-receipts", json=receipt, headers={"Idempotency-Key": f"r{number}"})
        assert answer.status_code == 201, answer.text

        async def current(rma: str = rma) -> dict[str, Any]:
            return dict((await shop.get(f"/portal/v1/returns/{rma}")).json())

        done = await eventually(current, lambda r: r["status"] in ("closed", "on_hold"), within=60)
        assert done["status"] == "closed", done
        refunds.append(done["refund"])

    amounts = [(r["items"]["amount"], r["tax"]["amount"], r["total"]["amount"]) for r in refunds]
    assert amounts == [("18.32", "1.63", "19.95"), ("18.32", "1.63", "19.95"), ("18.33", "1.62", "19.95")]
    assert sum(Decimal(total) for _items, _tax, total in amounts) == Decimal("59.85"), "exactly what was paid"

    invoices = (await shop.get(f"/erp/v1/sales-orders/{order['erp_order_ref']}/invoices")).json()["invoices"]
    assert sorted((i["total"]["amount"], i["credited"]["amount"]) for i in invoices) == [
        ("19.95", "19.95"),
        ("39.90", "39.90"),
    ], "each invoice credited in full, never beyond"
    sent = (await shop.get("/shopify/v1/mutations", params={"mutation": "refundCreate"})).json()["items"]
    assert sorted(m["result"]["total"] for m in sent) == ["19.95", "19.95", "19.95"]
    more = await shop.post(
        "/portal/v1/returns", json={"order_id": order["order_id"], "lines": [{"line_id": cap, "quantity": 1}]}
    )
    assert more.status_code == 422 and more.json()["reasons"][0]["code"] == "quantity_exceeds_shipped"


async def test_a_return_handed_to_a_carrier_is_in_transit_until_the_store_receives_it(shop: httpx.AsyncClient) -> None:
    order = await shipped_in_two_parcels(shop, ORDER + 1, [("CAP-NVY-OS", 2, "19.99")], taxes={"CAP-NVY-OS": "3.55"})
    cap = order["lines"][0]["line_id"]
    started = await shop.post(
        "/portal/v1/returns",
        json={"order_id": order["order_id"], "lines": [{"line_id": cap, "quantity": 1, "reason": "defective"}]},
    )
    assert started.status_code == 201, started.text
    rma = started.json()["return_id"]
    tracking = {"carrier": "UPS", "tracking_number": "1ZRETURN0001"}

    shipped_back = await shop.post(f"/returns/v1/returns/{rma}/in-transit", json=tracking)
    again = await shop.post(f"/returns/v1/returns/{rma}/in-transit", json=tracking)

    assert (shipped_back.status_code, shipped_back.json()["status"]) == (200, "in_transit"), shipped_back.text
    assert (again.status_code, again.json()["code"]) == (409, "return_not_authorized")
    receipt = {
        "location_id": order["shipments"][0]["location_id"],
        "order_id": order["order_id"],
        "return_authorization_id": rma,
        "lines": [{"sku": "CAP-NVY-OS", "line_id": cap, "quantity": 1, "condition": "resellable"}],
    }
    answer = await shop.post("/wms/v1/return-receipts", json=receipt, headers={"Idempotency-Key": "in-transit-1"})
    assert answer.status_code == 201, answer.text

    async def current() -> dict[str, Any]:
        return dict((await shop.get(f"/portal/v1/returns/{rma}")).json())

    done = await eventually(current, lambda r: r["status"] in ("closed", "on_hold"), within=60)
    assert done["status"] == "closed", done
    ship_back = [step for step in done["steps"] if step["step"] == "ship_back"]
    assert [(s["system"], s["to_state"], s["detail"]["tracking_number"]) for s in ship_back] == [
        ("carrier", "in_transit", "1ZRETURN0001")
    ]


async def test_units_brought_back_to_a_store_without_an_rma_start_a_return_that_is_refunded(
    shop: httpx.AsyncClient,
) -> None:
    order = await shipped_in_two_parcels(shop, ORDER + 2, [("CAP-NVY-OS", 2, "19.99")], taxes={"CAP-NVY-OS": "3.55"})
    cap = order["lines"][0]["line_id"]
    walk_in = {
        "location_id": "STORE-NYC",
        "order_id": order["order_id"],
        "lines": [{"sku": "CAP-NVY-OS", "line_id": cap, "quantity": 1, "condition": "resellable"}],
    }
    unmatched = {"location_id": "STORE-NYC", "lines": [{"sku": "CAP-NVY-OS", "quantity": 1, "condition": "damaged"}]}
    await _receive_in_store(shop, (walk_in, "walk-in-1"), (walk_in, "walk-in-1"), (unmatched, "walk-in-2"))

    async def returns() -> list[dict[str, Any]]:
        return await _returns_of(shop, order["order_id"])

    [summary] = await eventually(returns, lambda found: bool(found) and found[0]["status"] == "closed", within=60)
    done = (await shop.get(f"/portal/v1/returns/{summary['return_id']}")).json()
    assert (done["source"], done["refund"]["total"]["amount"]) == ("store", "21.77"), done
    assert [step["step"] for step in done["steps"]][:3] == ["authorize", "receive", "inspect"]
    assert len(await returns()) == 1, "the redelivered receipt starts no second return"


async def test_units_a_store_names_only_by_sku_are_matched_to_the_orders_lines(shop: httpx.AsyncClient) -> None:
    """A store often scans only the SKU: the units go to the order's lines selling it, and are refunded as such; a
    SKU the order does not sell is refused, with the units on the worklist (they are in the store already)."""
    order = await shipped_in_two_parcels(shop, ORDER + 3, [("CAP-NVY-OS", 2, "19.99")], taxes={"CAP-NVY-OS": "3.55"})
    cap = order["lines"][0]["line_id"]
    by_sku = {
        "location_id": "STORE-NYC",
        "order_id": order["order_id"],
        "lines": [{"sku": "CAP-NVY-OS", "quantity": 2, "condition": "resellable"}],
    }
    not_sold = {**by_sku, "lines": [{"sku": "TSHIRT-BLK-M", "quantity": 1, "condition": "resellable"}]}
    await _receive_in_store(shop, (by_sku, "by-sku-1"), (by_sku, "by-sku-1"), (not_sold, "by-sku-2"))

    async def returns() -> list[dict[str, Any]]:
        return sorted(await _returns_of(shop, order["order_id"]), key=lambda found: found["status"])

    settled = await eventually(returns, lambda found: [r["status"] for r in found] == ["closed", "rejected"], within=60)
    done = (await shop.get(f"/portal/v1/returns/{settled[0]['return_id']}")).json()
    assert [(line["line_id"], line["sku"], line["quantity"]) for line in done["lines"]] == [(cap, "CAP-NVY-OS", 2)]
    assert done["refund"]["total"]["amount"] == "43.53", done["refund"]
    refused = (await shop.get(f"/portal/v1/returns/{settled[1]['return_id']}")).json()
    assert [reason["code"] for reason in refused["rejection"]] == ["unknown_line"], refused
    items = (await shop.get("/portal/v1/exceptions", params={"order_id": order["order_id"]})).json()["items"]
    assert [item["kind"] for item in items] == ["walk_in_return_rejected"], items


async def _receive_in_store(shop: httpx.AsyncClient, *receipts: tuple[dict[str, Any], str]) -> None:
    """Each receipt posted to the WMS under its Idempotency-Key, as a store's till would."""
    for body, key in receipts:
        answer = await shop.post("/wms/v1/return-receipts", json=body, headers={"Idempotency-Key": key})
        assert answer.status_code == 201, answer.text


async def _returns_of(shop: httpx.AsyncClient, order_id: str) -> list[dict[str, Any]]:
    found = await shop.get("/portal/v1/returns", params={"order_id": order_id})
    assert found.status_code == 200, found.text
    return list(found.json())
