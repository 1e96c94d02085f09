"""An order through the embedded product as the outside world drives it (a Shopify webhook in, a warehouse
shipping), for end-to-end tests that start where order to cash ends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from omnigate.demo import seed_demo
from omnigate.runtime import EmbeddedProduct
from tests.helpers import eventually
from tests.shopify_deliveries import deliver, storefront_order

__all__ = ["order_of", "seeded_shop", "ship", "shipped_in_two_parcels"]


async def seeded_shop(product: EmbeddedProduct, gateway: httpx.AsyncClient) -> httpx.AsyncClient:
    """The demo tenant seeded in every system, its stock projected into the inventory process."""
    await seed_demo(product.settings)

    async def sellable() -> int:
        answer = await gateway.get("/inventory/v1/availability", params={"sku": "CAP-NVY-OS"})
        return int(answer.json()["available_to_sell"]) if answer.status_code == 200 else 0

    await eventually(sellable, lambda units: units > 0, within=60)
    return gateway


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
