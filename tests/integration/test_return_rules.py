"""Return rules through the gateway on the embedded product (SQLite and PostgreSQL): the policy's window and
non-returnable items, units returned never exceeding units shipped even under concurrent requests, and a
warehouse receipt that differs from its RMA landing on the worklist until a person accepts it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from omnigate.runtime import EmbeddedProduct
from tests.helpers import eventually, vendor_fixtures
from tests.order_flow import seeded_shop, shipped_in_two_parcels
from tests.shopify_deliveries import delivery

TEES = [("TSHIRT-BLK-M", 3, "24.00"), ("CAP-NVY-OS", 1, "19.99")]


@pytest.fixture
async def shop(product: EmbeddedProduct, gateway: httpx.AsyncClient) -> httpx.AsyncClient:
    return await seeded_shop(product, gateway)


def line_of(order: dict[str, Any], sku: str) -> str:
    return str(next(line["line_id"] for line in order["lines"] if line["sku"] == sku))


def return_of(order: dict[str, Any], sku: str, quantity: int, reason: str = "unwanted") -> dict[str, Any]:
    return {
        "order_id": order["order_id"],
        "lines": [{"line_id": line_of(order, sku), "quantity": quantity, "reason": reason}],
    }


async def test_returns_outside_the_window_or_of_non_returnable_items_are_rejected_with_reasons(
    shop: httpx.AsyncClient,
) -> None:
    order = await shipped_in_two_parcels(shop, 6101, TEES, taxes={"CAP-NVY-OS": "1.77"})
    policy = {"window_days": 0, "non_returnable_skus": ["CAP-NVY-OS"]}
    assert (await shop.put("/returns/v1/policy", json=policy)).status_code == 200

    both = return_of(order, "TSHIRT-BLK-M", 1)
    both["lines"].append({"line_id": line_of(order, "CAP-NVY-OS"), "quantity": 1})
    refused = await shop.post("/portal/v1/returns", json=both)

    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "return_rejected"
    assert sorted(reason["code"] for reason in problem["reasons"]) == ["not_returnable", "outside_return_window"]
    recorded = (await shop.get(f"/portal/v1/returns/{problem['return_id']}")).json()
    assert recorded["status"] == "rejected", "a refused request is kept, with its reasons"
    unknown = await shop.post("/portal/v1/returns", json={**both, "order_id": "shopify-404"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_order"


async def test_concurrent_requests_never_return_more_units_than_shipped(shop: httpx.AsyncClient) -> None:
    order = await shipped_in_two_parcels(shop, 6102, TEES, taxes={"CAP-NVY-OS": "1.77"})

    answers = await asyncio.gather(
        *(shop.post("/portal/v1/returns", json=return_of(order, "TSHIRT-BLK-M", 1)) for _ in range(8))
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 3 + [422] * 5, [answer.text for answer in answers]
    refused = [answer.json() for answer in answers if answer.status_code == 422]
    assert {reason["code"] for problem in refused for reason in problem["reasons"]} == {"quantity_exceeds_shipped"}
    returns = (await shop.get("/portal/v1/returns", params={"order_id": order["order_id"]})).json()
    authorized = [r for r in returns if r["status"] == "authorized"]
    assert sum(line["quantity"] for r in authorized for line in r["lines"]) == 3
    too_many = await shop.post("/portal/v1/returns", json=return_of(order, "CAP-NVY-OS", 2))
    assert too_many.status_code == 422
    assert too_many.json()["reasons"][0] | {"message": ""} == {
        "code": "quantity_exceeds_shipped",
        "line_id": line_of(order, "CAP-NVY-OS"),
        "shipped": 1,
        "already_returned": 0,
        "requested": 2,
        "message": "",
    }


async def test_a_receipt_that_differs_from_the_rma_waits_on_the_worklist_then_refunds_what_came_back(
    shop: httpx.AsyncClient,
) -> None:
    order = await shipped_in_two_parcels(shop, 6103, TEES, taxes={"CAP-NVY-OS": "1.77"})
    rma = (await shop.post("/portal/v1/returns", json=return_of(order, "TSHIRT-BLK-M", 2))).json()["return_id"]
    location = order["shipments"][0]["location_id"]
    receipt = {
        "location_id": location,
        "order_id": order["order_id"],
        "return_authorization_id": rma,
        "lines": [
            {"sku": "TSHIRT-BLK-M", "quantity": 1, "condition": "resellable"},
            {"sku": "SCARF-WOL-OS", "quantity": 1, "condition": "resellable"},
        ],
    }
    answer = await shop.post("/wms/v1/return-receipts", json=receipt, headers={"Idempotency-Key": f"r-{rma}"})
    assert answer.status_code == 201, answer.text

    async def held() -> dict[str, Any]:
        return dict((await shop.get(f"/portal/v1/returns/{rma}")).json())

    waiting = await eventually(held, lambda r: r["status"] == "on_hold", within=30)
    assert "1 received of 2" in waiting["hold_reason"] and "SCARF-WOL-OS" in waiting["hold_reason"]

    async def worklist() -> list[dict[str, Any]]:
        page = await shop.get(
            "/portal/v1/exceptions", params={"kind": "receipt_mismatch", "order_id": order["order_id"]}
        )
        return list(page.json()["items"])

    items = await eventually(worklist, lambda found: len(found) == 1, within=30)
    assert items[0]["snapshot"]["return_id"] == rma

    retried = await shop.post(f"/portal/v1/returns/{rma}/retry")
    assert retried.status_code == 200, retried.text
    done = await eventually(held, lambda r: r["status"] in ("closed", "on_hold"), within=30)
    assert done["status"] == "closed", done
    assert done["refund"]["items"]["amount"] == "24.00", "one tee came back: one tee is refunded"
    again = await shop.post("/portal/v1/returns", json=return_of(order, "TSHIRT-BLK-M", 2))
    assert again.status_code == 201, "the unit that never came back may still be returned"


async def test_an_in_store_return_of_an_online_order_is_expected_at_the_store_and_started_once(
    shop: httpx.AsyncClient,
) -> None:
    order = await shipped_in_two_parcels(shop, 6104, TEES, taxes={"CAP-NVY-OS": "1.77"})
    at_the_till = {
        **return_of(order, "CAP-NVY-OS", 1, reason="color"),
        "source": "store",
        "receiving_location": "STORE-NYC",
        "reference": "NYC-POS-778",
    }

    first = await shop.post("/portal/v1/returns", json=at_the_till)
    again = await shop.post("/portal/v1/returns", json=at_the_till)

    assert first.status_code == 201, first.text
    assert (first.json()["source"], first.json()["receiving_location"]) == ("store", "STORE-NYC")
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["return_id"] == first.json()["return_id"], "the till's receipt number starts one return"

    reused = await shop.post("/portal/v1/returns", json={**at_the_till, **return_of(order, "TSHIRT-BLK-M", 2)})
    assert reused.status_code == 422, reused.text
    assert (reused.json()["code"], reused.json()["return_id"]) == ("idempotency_key_reused", first.json()["return_id"])
    returns = (await shop.get("/portal/v1/returns", params={"order_id": order["order_id"]})).json()
    assert [r["return_id"] for r in returns] == [first.json()["return_id"]], "the reused receipt made nothing"


async def test_a_policy_naming_returnable_product_types_judges_lines_by_the_item_masters_type(
    shop: httpx.AsyncClient,
) -> None:
    order = await shipped_in_two_parcels(shop, 6105, TEES, taxes={"CAP-NVY-OS": "1.77"})
    assert (await shop.put("/returns/v1/policy", json={"returnable_product_types": ["T-Shirts"]})).status_code == 200

    cap = await shop.post("/portal/v1/returns", json=return_of(order, "CAP-NVY-OS", 1))
    tee = await shop.post("/portal/v1/returns", json=return_of(order, "TSHIRT-BLK-M", 1))

    assert cap.status_code == 422 and [r["code"] for r in cap.json()["reasons"]] == ["not_returnable"]
    assert tee.status_code == 201, "a tee is a T-Shirt in the ERP item master, though Shopify's order does not say"


async def test_a_refund_made_in_shopifys_admin_becomes_a_return_and_omnigates_own_refund_echo_does_not(
    shop: httpx.AsyncClient,
) -> None:
    order = await shipped_in_two_parcels(shop, 6106, TEES, taxes={"CAP-NVY-OS": "1.77"})
    cap = int(line_of(order, "CAP-NVY-OS"))

    async def refund_webhook(refund_id: int, note: str) -> None:
        refund = json.loads((vendor_fixtures("shopify") / "rest-2026-07" / "refund_1.json").read_text())
        body = refund["body"]["refund"] | {
            "id": refund_id,
            "order_id": 6106,
            "note": note,
            "refund_line_items": [{"id": refund_id + 1, "line_item_id": cap, "quantity": 1, "restock_type": "return"}],
        }
        raw = json.dumps(body).encode()
        headers = delivery(raw, topic="refunds/create", webhook_id=f"wh-{refund_id}", event_id=f"ev-{refund_id}")
        answer = await shop.post("/webhooks/shopify", content=raw, headers=headers)
        assert answer.status_code == 200, answer.text

    async def from_shopify() -> list[dict[str, Any]]:
        found = (await shop.get("/portal/v1/returns", params={"order_id": order["order_id"]})).json()
        return [r for r in found if r["source"] == "shopify"]

    await refund_webhook(88001, "Omnigate return RMA-ABCDEFGHJK")  # what our own Shopify refunds say
    await refund_webhook(88003, "refunded at the counter")

    returns = await eventually(from_shopify, lambda found: bool(found) and found[0]["status"] != "requested")
    await asyncio.sleep(0.5)  # had the echo made a return, it would be recorded by now too
    returns = await from_shopify()
    assert len(returns) == 1, "the echo of a refund Omnigate made is not a new return"
    assert returns[0]["status"] == "authorized"
    rma = returns[0]["return_id"]
    receipt = {
        "location_id": "STORE-NYC",
        "order_id": order["order_id"],
        "return_authorization_id": rma,
        "lines": [{"sku": "CAP-NVY-OS", "quantity": 1, "condition": "resellable"}],
    }
    assert (
        await shop.post("/wms/v1/return-receipts", json=receipt, headers={"Idempotency-Key": rma})
    ).status_code == 201

    async def current() -> dict[str, Any]:
        return dict((await shop.get(f"/portal/v1/returns/{rma}")).json())

    done = await eventually(current, lambda r: r["status"] in ("closed", "on_hold"), within=30)
    assert done["status"] == "closed", done
    assert done["results"]["channel_refund_id"] == "88003", "Shopify already refunded: it is not refunded twice"
    assert done["results"]["credit_memos"], "the ERP is credited for the refund Shopify made"
    sent = (await shop.get("/shopify/v1/mutations", params={"mutation": "refundCreate"})).json()["items"]
    assert sent == []
