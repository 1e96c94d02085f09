"""An order through the embedded product as the outside world drives it (a Shopify webhook in, a warehouse
shipping), for end-to-end tests that start where order to cash ends."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx

from omnigate.demo import DEMO_SHOP, DEMO_SHOPIFY_LOCATIONS, demo_inventory_item_id, seed_demo
from omnigate.runtime import EmbeddedProduct
from tests.emulators.shopify_admin import EmulatedOrder, EmulatedShop, ShopifyAdminEmulator
from tests.helpers import eventually
from tests.shopify_deliveries import deliver, storefront_order

__all__ = ["emulated_shopify", "order_of", "seeded_shop", "ship", "shipped_in_two_parcels"]


async def seeded_shop(product: EmbeddedProduct, gateway: httpx.AsyncClient) -> httpx.AsyncClient:
    """The demo tenant seeded in every system, all of its stock projected into the inventory process.

    Waits for every position the warehouse holds, not just the first: a test that reads a SKU's availability
    before its last location arrives would compare later answers with a partial count."""
    await seed_demo(product.settings)
    answer = await gateway.get("/wms/v1/inventory-positions")
    assert answer.status_code == 200, answer.text
    stocked: dict[str, set[str]] = {}
    for position in answer.json():
        stocked.setdefault(position["sku"], set()).add(position["location_id"])

    async def projected() -> dict[str, set[str]]:
        seen: dict[str, set[str]] = {}
        for sku in stocked:
            answer = await gateway.get("/inventory/v1/availability", params={"sku": sku})
            if answer.status_code == 200:
                seen[sku] = {position["location_id"] for position in answer.json()["positions"]}
        return seen

    await eventually(projected, lambda seen: all(stocked[sku] <= seen.get(sku, set()) for sku in stocked), within=60)
    return gateway


@contextlib.asynccontextmanager
async def emulated_shopify(
    shop: httpx.AsyncClient, order_id: int, lines: list[tuple[str, int, str]]
) -> AsyncIterator[EmulatedShop]:
    """The demo shop's Admin API as Shopify's GraphQL emulator holding the order a test's webhook announces
    (line items numbered like ``storefront_order``'s), and the Shopify system API switched to it."""
    emulator = ShopifyAdminEmulator()
    emulated = emulator.add_shop(DEMO_SHOP, "shpat_demo_emulated")
    emulated.inventory_items.update(f"gid://shopify/InventoryItem/{demo_inventory_item_id(i)}" for i in range(40))
    emulated.locations.update(f"gid://shopify/Location/{number}" for number in DEMO_SHOPIFY_LOCATIONS.values())
    items = {str(order_id * 100 + n): (sku, quantity) for n, (sku, quantity, _price) in enumerate(lines, start=1)}
    emulated.add_order(EmulatedOrder(number=order_id, lines=items))
    async with emulator.serving() as url:
        connection = {"shop_domain": DEMO_SHOP, "access_token": emulated.access_token, "backend": "graphql"}
        connected = await shop.put("/shopify/v1/shop", json={**connection, "admin_url": url})
        assert connected.status_code in (200, 201), connected.text
        yield emulated


async def order_of(shop: httpx.AsyncClient, shopify_order_id: int) -> dict[str, Any]:
    """The order made from a Shopify order, as the service portal shows it (``state`` None until it exists)."""
    answer = await shop.get("/portal/v1/orders", params={"source_id": str(shopify_order_id)})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    return found[0] if found else {"state": None}


async def ship(shop: httpx.AsyncClient, request: dict[str, Any], shipment_id: str, units: dict[str, int]) -> None:
    """The warehouse confirms a parcel of a fulfillment request: ``units`` per order line, UPS-tracked."""
    notice = {
        "tenant": "demo",
        "shipment_id": shipment_id,
        "order_id": request["order_id"],
        "location_id": request["location_id"],
        "lines": [
            {"line_id": line["line_id"], "sku": line["sku"], "quantity": units[line["line_id"]]}
            for line in request["lines"]
            if units.get(line["line_id"])
        ],
        "shipped_at": datetime.now(UTC).isoformat(),
        "packages": [
            {
                "tracking_number": f"1Z{shipment_id}",
                "carrier": "UPS",
                "tracking_url": f"https://ups.example/{shipment_id}",
            }
        ],
    }
    answer = await shop.post(f"/wms/v1/fulfillment-requests/{request['id']}/shipments", json=notice)
    assert answer.status_code == 201, answer.text


async def shipped_in_two_parcels(
    shop: httpx.AsyncClient,
    shopify_order_id: int,
    lines: list[tuple[str, int, str]],
    taxes: dict[str, str],
    discounts: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Shopify order delivered, released, shipped (one unit of every line, then the rest) and invoiced."""
    order = storefront_order(shopify_order_id, lines, taxes=taxes, discounts=discounts)
    await deliver(shop, order, webhook_id=f"wh-{shopify_order_id}")
    released = await eventually(lambda: order_of(shop, shopify_order_id), lambda o: o["state"] == "released", within=90)
    requests = [
        (await shop.get(f"/wms/v1/fulfillment-requests/{request_id}")).json()
        for request_id in released["fulfillment_requests"].values()
    ]
    first = {line["line_id"]: 1 for r in requests for line in r["lines"]}
    rest = {line["line_id"]: line["quantity"] - 1 for r in requests for line in r["lines"]}
    for index, request in enumerate(requests):
        await ship(shop, request, f"{shopify_order_id}-A{index}", first)
        if any(rest.get(line["line_id"]) for line in request["lines"]):
            await ship(shop, request, f"{shopify_order_id}-B{index}", rest)
    return await eventually(lambda: order_of(shop, shopify_order_id), lambda o: o["state"] == "invoiced", within=60)
