"""The Shopify Admin system API beyond the shared contract: throttling seen through the API, Shopify's
``userErrors`` on fulfillment orders, readiness per backend, and the seeded demo shop."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from omnigate.demo import DEMO_SHOP, seed_shopify
from omnigate.runtime import EmbeddedProduct
from service_kit.database import Database
from system_apis.shopify.connector import ShopifyConnector
from tests.emulators.shopify_admin import EmulatedOrder, EmulatedShop, ShopifyAdminEmulator

SHOP = "graphql-shop.myshopify.com"
TOKEN = "shpat_integration"
ITEM = "gid://shopify/InventoryItem/1001"
LOCATION = "gid://shopify/Location/71000000001"


@pytest.fixture
async def emulator() -> AsyncIterator[tuple[ShopifyAdminEmulator, str]]:
    emulator = ShopifyAdminEmulator()
    async with emulator.serving() as url:
        yield emulator, url


async def connect(gateway: httpx.AsyncClient, admin_url: str, *, backend: str = "graphql") -> None:
    body = {"shop_domain": SHOP, "access_token": TOKEN, "backend": backend, "admin_url": admin_url}
    assert (await gateway.put("/shopify/v1/shop", json=body)).status_code in (200, 201)
    assert (await gateway.put("/shopify/v1/inventory-items/TSHIRT-BLK-M", json={"inventory_item_id": ITEM})).is_success
    assert (await gateway.put("/shopify/v1/locations/DC-EAST", json={"location_id": LOCATION})).is_success


def stocked(emulator: ShopifyAdminEmulator, **bucket: float) -> EmulatedShop:
    shop = emulator.add_shop(SHOP, TOKEN, **bucket)
    shop.inventory_items.add(ITEM)
    shop.locations.add(LOCATION)
    return shop


async def post(gateway: httpx.AsyncClient, path: str, body: dict[str, Any]) -> httpx.Response:
    return await gateway.post(f"/shopify/v1{path}", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})


def publish(quantity: int) -> dict[str, Any]:
    return {"quantities": [{"sku": "TSHIRT-BLK-M", "location": "DC-EAST", "quantity": quantity}]}


def connector(product: EmbeddedProduct) -> ShopifyConnector:
    found: ShopifyConnector = product.apps["shopify"].state.shopify_connector
    return found


async def test_a_small_bucket_slows_publishing_down_instead_of_failing(
    gateway: httpx.AsyncClient, product: EmbeddedProduct, emulator: tuple[ShopifyAdminEmulator, str]
) -> None:
    server, url = emulator
    shop = stocked(server, maximum_available=30, restore_rate=50)  # three mutations at once; 12 need 1.8 s
    await connect(gateway, url)

    responses = await asyncio.gather(*(post(gateway, "/inventory-levels", publish(n)) for n in range(12)))

    assert [r.status_code for r in responses] == [200] * 12, [r.text for r in responses if r.status_code != 200]
    assert len(shop.mutations) == 12
    budget = connector(product).budgets.for_shop(SHOP)
    assert any(event.kind in ("paced", "throttled") for event in budget.events), "the client waited for the bucket"
    assert budget.status is not None
    assert (budget.status.maximum_available, budget.status.restore_rate) == (30, 50), "learned, not assumed"


async def test_throttling_past_patience_is_a_503_problem_and_logs_nothing(
    gateway: httpx.AsyncClient, emulator: tuple[ShopifyAdminEmulator, str]
) -> None:
    server, url = emulator
    shop = stocked(server)
    shop.answer_429, shop.retry_after = 1000, 0.01
    await connect(gateway, url)

    response = await post(gateway, "/inventory-levels", publish(1))

    assert response.status_code == 503, response.text
    assert response.json()["code"] == "shopify_throttled"
    assert "retry-after" in response.headers
    assert (await gateway.get("/shopify/v1/mutations")).json()["items"] == []


async def test_fulfilling_more_than_remains_names_the_line(
    gateway: httpx.AsyncClient, emulator: tuple[ShopifyAdminEmulator, str]
) -> None:
    server, url = emulator
    shop = stocked(server)
    shop.add_order(EmulatedOrder(number=5001, lines={"601": ("TSHIRT-BLK-M", 2)}))
    await connect(gateway, url)
    line = {"order_id": "5001", "lines": [{"line_id": "601", "quantity": 2}]}

    first = await post(gateway, "/fulfillments", line)
    again = await post(gateway, "/fulfillments", line)
    unknown = await post(gateway, "/fulfillments", {**line, "order_id": "999"})

    assert first.status_code == 201, first.text
    assert again.status_code == 422
    [error] = again.json()["errors"]
    assert (error["field"], error["shopify_code"]) == ("lines[0].quantity", "INSUFFICIENT_REMAINING_QUANTITY")
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "order_id")
    assert [m["mutation"] for m in shop.mutations] == ["fulfillmentCreate"]


async def test_a_refund_beyond_what_was_paid_is_shopifys_user_error(
    gateway: httpx.AsyncClient, emulator: tuple[ShopifyAdminEmulator, str]
) -> None:
    server, url = emulator
    shop = stocked(server)
    shop.add_order(EmulatedOrder(number=5002, lines={"701": ("TSHIRT-BLK-M", 1)}))
    await connect(gateway, url)
    body = {
        "order_id": "5002",
        "currency": "USD",
        "amount": {"amount": "500.00", "currency": "USD"},
        "gateway": "shopify_payments",
    }

    response = await post(gateway, "/refunds", body)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "amount"
    assert [m["mutation"] for m in shop.mutations] == ["refundCreate"], "Shopify received it and refused it"
    assert (await gateway.get("/shopify/v1/mutations")).json()["items"] == [], "a refused mutation is not logged"


async def test_ready_reflects_the_graphql_backend(
    gateway: httpx.AsyncClient, product: EmbeddedProduct, emulator: tuple[ShopifyAdminEmulator, str]
) -> None:
    server, url = emulator
    stocked(server)
    transport = httpx.ASGITransport(app=product.asgi["shopify"])  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://shopify.test") as service:
        await connect(gateway, url)
        ready = await service.get("/ready")

        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
        await connect(gateway, dead)
        connector(product)._probed.clear()
        not_ready = await service.get("/ready")

    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["shopify_backend"] == "ok"
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["shopify_backend"].startswith("failing: ShopifyUnavailable")


async def test_the_demo_shop_records_what_would_have_been_sent(
    product: EmbeddedProduct, gateway: httpx.AsyncClient
) -> None:
    database = Database(product.settings.database_url_for("shopify"))
    try:
        assert await seed_shopify(database)
        assert not await seed_shopify(database), "seeding twice changes nothing"
    finally:
        await database.dispose()

    shop = (await gateway.get("/shopify/v1/shop")).json()
    items = (await gateway.get("/shopify/v1/inventory-items")).json()
    published = await post(gateway, "/inventory-levels", publish(12))
    log = (await gateway.get("/shopify/v1/mutations")).json()["items"]
    ready = await gateway.get("/health")

    assert (shop["shop_domain"], shop["backend"]) == (DEMO_SHOP, "reference")
    assert len(items) == 20
    assert published.status_code == 200, published.text
    assert [entry["mutation"] for entry in log] == ["inventorySetQuantities"]
    assert log[0]["variables"]["input"]["quantities"][0]["quantity"] == 12
    assert ready.json()["checks"]["shopify"] == "ok"
