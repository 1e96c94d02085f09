"""One behavioural suite for the Shopify Admin system API, run against the reference backend and against
the GraphQL backend talking to the local Shopify Admin emulator, through the gateway with a token."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.oauth.scopes import SCOPES
from omnigate.runtime import EmbeddedProduct
from tests.emulators.shopify_admin import EmulatedOrder, EmulatedShop, ShopifyAdminEmulator
from tests.helpers import fetch_token, onboard

SHOP = "contract-shop.myshopify.com"
TOKEN = "shpat_contract_token"
ITEMS = {"TSHIRT-BLK-M": "1001", "HOODIE-GRY-L": "1002"}
LOCATIONS = {"DC-EAST": "71000000001", "DC-WEST": "71000000002"}
ORDER = "5001"
LINES = {"601": ("TSHIRT-BLK-M", 2), "602": ("HOODIE-GRY-L", 1)}


@dataclass
class Shop:
    """The API under test, as a client of the gateway sees it, and the emulated shop behind it (graphql)."""

    api: httpx.AsyncClient
    backend: str
    emulated: EmulatedShop

    async def post(self, path: str, body: dict[str, Any], *, key: str | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        return await self.api.post(f"/shopify/v1{path}", json=body, headers=headers)

    async def log(self, **params: str) -> list[dict[str, Any]]:
        response = await self.api.get("/shopify/v1/mutations", params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def sent(self) -> list[dict[str, Any]]:
        """What reached Shopify: the emulator's record (graphql) — the reference backend sends nothing."""
        return self.emulated.mutations


@pytest.fixture(params=["reference", "graphql"])
async def shop(request: pytest.FixtureRequest, gateway: httpx.AsyncClient) -> AsyncIterator[Shop]:
    emulator = ShopifyAdminEmulator()
    emulated = emulator.add_shop(SHOP, TOKEN)
    emulated.inventory_items.update(f"gid://shopify/InventoryItem/{n}" for n in ITEMS.values())
    emulated.locations.update(f"gid://shopify/Location/{n}" for n in LOCATIONS.values())
    emulated.add_order(EmulatedOrder(number=int(ORDER), lines=dict(LINES)))
    async with emulator.serving() as url:
        connection = {"shop_domain": SHOP, "access_token": TOKEN, "backend": request.param}
        if request.param == "graphql":
            connection["admin_url"] = url
        response = await gateway.put("/shopify/v1/shop", json=connection)
        assert response.status_code == 201, response.text
        for sku, number in ITEMS.items():
            linked = await gateway.put(f"/shopify/v1/inventory-items/{sku}", json={"inventory_item_id": number})
            assert linked.status_code == 201, linked.text
        for code, number in LOCATIONS.items():
            linked = await gateway.put(f"/shopify/v1/locations/{code}", json={"location_id": number})
            assert linked.status_code == 201, linked.text
        yield Shop(api=gateway, backend=request.param, emulated=emulated)


def publish(quantity: int, *, expected: int | None = None, sku: str = "TSHIRT-BLK-M") -> dict[str, Any]:
    line: dict[str, Any] = {"sku": sku, "location": "DC-EAST", "quantity": quantity}
    if expected is not None:
        line["expected_quantity"] = expected
    return {"quantities": [line], "reason": "correction"}


def fulfillment(quantity: int = 1, line: str = "601") -> dict[str, Any]:
    return {
        "order_id": ORDER,
        "lines": [{"line_id": line, "quantity": quantity}],
        "tracking": {
            "company": "UPS",
            "numbers": ["1Z999AA10123456784"],
            "url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        },
        "notify_customer": True,
    }


# -- inventory ------------------------------------------------------------------------------------------------


async def test_publishing_quantities_maps_skus_and_locations_and_logs_the_mutation(shop: Shop) -> None:
    response = await shop.post("/inventory-levels", publish(7))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["backend"] == shop.backend
    assert body["adjustment_group_id"].startswith("gid://shopify/InventoryAdjustmentGroup/")
    assert body["quantities"] == [
        {
            "sku": "TSHIRT-BLK-M",
            "location": "DC-EAST",
            "inventory_item_id": "gid://shopify/InventoryItem/1001",
            "location_id": "gid://shopify/Location/71000000001",
            "quantity": 7,
        }
    ]
    [logged] = await shop.log()
    assert (logged["mutation"], logged["backend"], logged["id"]) == (
        "inventorySetQuantities",
        shop.backend,
        body["mutation_id"],
    )
    assert logged["variables"]["input"] == {
        "name": "available",
        "reason": "correction",
        "quantities": [
            {
                "inventoryItemId": "gid://shopify/InventoryItem/1001",
                "locationId": "gid://shopify/Location/71000000001",
                "quantity": 7,
                "changeFromQuantity": None,
            }
        ],
    }
    assert uuid.UUID(logged["variables"]["idempotencyKey"])
    if shop.backend == "graphql":
        assert [m["variables"] for m in shop.sent()] == [logged["variables"]], "the log shows exactly what was sent"


async def test_compare_and_set_refuses_a_stale_expected_quantity_naming_the_field(shop: Shop) -> None:
    assert (await shop.post("/inventory-levels", publish(7))).status_code == 200

    stale = await shop.post("/inventory-levels", publish(9, expected=3))
    current = await shop.post("/inventory-levels", publish(9, expected=7))

    assert stale.status_code == 422, stale.text
    problem = stale.json()
    assert problem["code"] == "shopify_user_error"
    assert stale.headers["content-type"].startswith("application/problem+json")
    [error] = problem["errors"]
    assert error["field"] == "quantities[0].expected_quantity"
    assert error["shopify_code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert current.status_code == 200, current.text
    assert [m["mutation"] for m in await shop.log()] == ["inventorySetQuantities"] * 2, (
        "a refused mutation is not logged"
    )


async def test_an_unlinked_sku_or_location_is_422_and_nothing_is_sent(shop: Shop) -> None:
    body = {"quantities": [{"sku": "NOT-LINKED", "location": "STORE-NYC", "quantity": 1}]}
    response = await shop.post("/inventory-levels", body)

    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "unmapped_identifier"
    assert [e["field"] for e in problem["errors"]] == ["quantities[0].sku", "quantities[0].location"]
    assert await shop.log() == []
    assert shop.sent() == []


# -- fulfillments ---------------------------------------------------------------------------------------------


async def test_a_fulfillment_carries_tracking_and_the_fulfillment_order_lines(shop: Shop) -> None:
    response = await shop.post("/fulfillments", fulfillment(quantity=2))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["order_id"] == f"gid://shopify/Order/{ORDER}"
    assert body["fulfillment_id"].startswith("gid://shopify/Fulfillment/")
    assert body["status"] == "SUCCESS"
    assert body["tracking"]["numbers"] == ["1Z999AA10123456784"]
    [logged] = await shop.log(order_id=ORDER)
    sent = logged["variables"]["fulfillment"]
    assert sent["notifyCustomer"] is True
    assert sent["trackingInfo"] == {
        "company": "UPS",
        "number": "1Z999AA10123456784",
        "url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
    }
    [group] = sent["lineItemsByFulfillmentOrder"]
    assert group["fulfillmentOrderId"] in body["fulfillment_order_ids"]
    [item] = group["fulfillmentOrderLineItems"]
    assert item["quantity"] == 2
    assert item["id"].startswith("gid://shopify/FulfillmentOrderLineItem/")


async def test_a_cancelled_order_cannot_be_cancelled_again_nor_fulfilled(shop: Shop) -> None:
    cancel = {"reason": "customer", "refund": True, "restock": True, "staff_note": "customer changed their mind"}
    first = await shop.post(f"/orders/{ORDER}/cancel", cancel)
    again = await shop.post(f"/orders/{ORDER}/cancel", cancel)
    fulfill = await shop.post("/fulfillments", fulfillment())

    assert first.status_code == 200, first.text
    assert first.json()["order_id"] == f"gid://shopify/Order/{ORDER}"
    assert first.json()["job_id"].startswith("gid://shopify/Job/")
    assert (again.status_code, again.json()["errors"][0]["field"]) == (422, "order_id")
    assert (fulfill.status_code, fulfill.json()["errors"][0]["field"]) == (422, "order_id")
    [logged] = await shop.log()
    assert logged["variables"] == {
        "orderId": f"gid://shopify/Order/{ORDER}",
        "notifyCustomer": False,
        "refundMethod": {"originalPaymentMethodsRefund": True},
        "restock": True,
        "reason": "CUSTOMER",
        "staffNote": "customer changed their mind",
    }


# -- refunds --------------------------------------------------------------------------------------------------


async def test_a_refund_restocks_lines_and_returns_money(shop: Shop) -> None:
    body = {
        "order_id": ORDER,
        "currency": "USD",
        "lines": [{"line_id": "601", "quantity": 1, "restock": "return", "location": "DC-WEST"}],
        "amount": {"amount": "24.00", "currency": "USD"},
        "gateway": "shopify_payments",
        "note": "damaged in transit",
    }
    response = await shop.post("/refunds", body)

    assert response.status_code == 201, response.text
    assert response.json()["refund_id"].startswith("gid://shopify/Refund/")
    assert response.json()["total"] == {"amount": "24.00", "currency": "USD"}
    [logged] = await shop.log(mutation="refundCreate")
    sent = logged["variables"]["input"]
    assert sent["refundLineItems"] == [
        {
            "lineItemId": "gid://shopify/LineItem/601",
            "quantity": 1,
            "restockType": "RETURN",
            "locationId": "gid://shopify/Location/71000000002",
        }
    ]
    assert sent["transactions"] == [
        {"orderId": f"gid://shopify/Order/{ORDER}", "kind": "REFUND", "gateway": "shopify_payments", "amount": "24.00"}
    ]
    assert logged["variables"]["idempotencyKey"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"order_id": ORDER, "currency": "USD"}, "lines"),
        ({"order_id": ORDER, "currency": "USD", "amount": {"amount": "5.00", "currency": "USD"}}, "gateway"),
        (
            {"order_id": ORDER, "currency": "USD", "lines": [{"line_id": "601", "quantity": 1, "restock": "return"}]},
            "lines[0].location",
        ),
        ({"order_id": "not-an-id", "currency": "USD"}, "order_id"),
    ],
)
async def test_bad_refunds_are_400_problems_naming_the_field(shop: Shop, body: dict[str, Any], field: str) -> None:
    response = await shop.post("/refunds", body)

    assert response.status_code == 400, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await shop.log() == []


# -- every write --------------------------------------------------------------------------------------------


async def test_an_orders_fraud_risk_is_read_with_its_assessments(shop: Shop) -> None:
    shop.emulated.orders[f"gid://shopify/Order/{ORDER}"].risk = {
        "recommendation": "CANCEL",
        "assessments": [
            {
                "riskLevel": "HIGH",
                "provider": None,
                "facts": [
                    {"description": "Billing address matches the shipping address", "sentiment": "POSITIVE"},
                    {"description": "This order was placed from a proxy IP", "sentiment": "NEGATIVE"},
                ],
            }
        ],
    }

    risk = await shop.api.get(f"/shopify/v1/orders/{ORDER}/risk")
    unknown = await shop.api.get("/shopify/v1/orders/999999/risk")

    assert risk.status_code == 200, risk.text
    assert (risk.json()["order_id"], risk.json()["backend"]) == (f"gid://shopify/Order/{ORDER}", shop.backend)
    if shop.backend == "graphql":
        assert risk.json()["recommendation"] == "cancel"
        assert risk.json()["assessments"] == [
            {
                "risk_level": "high",
                "provider": None,
                "facts": ["This order was placed from a proxy IP", "Billing address matches the shipping address"],
            }
        ]
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "unknown_order"
    else:  # the reference backend runs no fraud analysis: every order is unassessed
        assert (risk.json()["recommendation"], risk.json()["assessments"]) == ("none", [])
    assert await shop.log() == [], "a query is not a mutation: nothing is logged"


async def test_a_retry_with_the_same_key_never_sends_the_mutation_twice(shop: Shop) -> None:
    first = await shop.post("/fulfillments", fulfillment(), key="ship-5001-1")
    retry = await shop.post("/fulfillments", fulfillment(), key="ship-5001-1")
    other_body = await shop.post("/fulfillments", fulfillment(quantity=2), key="ship-5001-1")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert other_body.status_code == 422
    assert other_body.json()["code"] == "idempotency_key_reused"
    assert len(await shop.log()) == 1
    if shop.backend == "graphql":
        assert [m["mutation"] for m in shop.sent()] == ["fulfillmentCreate"]


async def test_concurrent_retries_send_exactly_one_mutation(shop: Shop) -> None:
    body = {"reason": "fraud", "refund": True, "restock": True}
    responses = await asyncio.gather(*(shop.post(f"/orders/{ORDER}/cancel", body, key="cancel-5001") for _ in range(5)))

    assert [r.status_code for r in responses] == [200] * 5, [r.text for r in responses]
    assert len({r.json()["job_id"] for r in responses}) == 1
    assert len(await shop.log()) == 1
    if shop.backend == "graphql":
        assert [m["mutation"] for m in shop.sent()] == ["orderCancel"]


async def test_a_write_without_an_idempotency_key_is_refused(shop: Shop) -> None:
    response = await shop.api.post("/shopify/v1/inventory-levels", json=publish(1))

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/inventory-levels",
            {"quantities": [{"sku": "TSHIRT-BLK-M", "location": "DC-EAST", "quantity": -1}]},
            "quantities[0].quantity",
        ),
        ("/inventory-levels", {"quantities": []}, "quantities"),
        ("/fulfillments", {"order_id": ORDER, "lines": []}, "lines"),
        ("/fulfillments", {"order_id": ORDER, "lines": [{"line_id": "601", "quantity": 0}]}, "lines[0].quantity"),
        ("/orders/5001/cancel", {"reason": "bored"}, "reason"),
    ],
)
async def test_bad_input_is_a_400_problem_naming_the_field(
    shop: Shop, path: str, body: dict[str, Any], field: str
) -> None:
    response = await shop.post(path, body)

    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == "invalid_request"
    assert field in [e["field"] for e in problem["errors"]]
    assert shop.sent() == []


async def test_another_tenant_sees_nothing_and_changes_nothing(shop: Shop, product: EmbeddedProduct) -> None:
    assert (await shop.post("/inventory-levels", publish(7))).status_code == 200
    scopes = [scope for scope in SCOPES if scope.startswith("shopify:")]
    other = await onboard(product.settings, scopes=scopes, tenants=["other-brand"])
    token = await fetch_token(shop.api, other.client_id, other.client_secret)
    headers = {"Authorization": f"Bearer {token}"}

    log = await shop.api.get("/shopify/v1/mutations", headers=headers)
    connection = await shop.api.get("/shopify/v1/shop", headers=headers)
    write = await shop.api.post(
        "/shopify/v1/inventory-levels", json=publish(1), headers={**headers, "Idempotency-Key": "x"}
    )

    assert (log.status_code, log.json()["items"]) == (200, [])
    assert (connection.status_code, connection.json()["code"]) == (409, "shop_not_connected")
    assert (write.status_code, write.json()["code"]) == (409, "shop_not_connected")
    assert len(await shop.log()) == 1


async def test_the_shop_connection_never_shows_its_access_token(shop: Shop) -> None:
    response = await shop.api.get("/shopify/v1/shop")

    assert response.status_code == 200
    body = response.json()
    assert body["shop_domain"] == SHOP
    assert body["backend"] == shop.backend
    assert body["graphql_endpoint"].endswith("/admin/api/2026-07/graphql.json")
    assert TOKEN not in response.text
