"""A WMS with three locations (a DC, a store and a 3PL node run by partner ``acme-3pl``), called through the
gateway as a back-office client of tenant ``demo``."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from omnigate.runtime import EmbeddedProduct
from service_kit.database import Database

ADDRESS = {"line1": "1 Main St", "city": "Edison", "region_code": "US-NJ", "postal_code": "08837", "country_code": "US"}
SHIP_TO = {"name": "Ada Lovelace", "line1": "12 Crown St", "city": "Brooklyn", "region_code": "US-NY",
           "postal_code": "11225", "country_code": "US"}  # fmt: skip


class Wms:
    """Small verbs over the gateway client, so each test reads as the warehouse story it checks."""

    def __init__(self, client: httpx.AsyncClient, product: EmbeddedProduct) -> None:
        self.client = client
        self.product = product

    async def post(self, path: str, body: Any = None, *, key: str | None = "auto", **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["Idempotency-Key"] = uuid.uuid4().hex if key == "auto" else key
        return await self.client.post(f"/wms/v1{path}", json=body, headers=headers, **kwargs)

    async def adjust(self, location: str, sku: str, reason: str, quantity: int, **fields: Any) -> httpx.Response:
        body = {"location_id": location, "sku": sku, "reason": reason, "quantity": quantity, **fields}
        return await self.post("/adjustments", body)

    async def position(self, location: str, sku: str) -> dict[str, Any]:
        answer = await self.client.get("/wms/v1/inventory-positions", params={"location": location, "sku": sku})
        assert answer.status_code == 200, answer.text
        [position] = answer.json() or [{"on_hand": 0, "committed": 0, "damaged": 0, "in_transit": 0}]
        return position  # type: ignore[no-any-return]

    async def release(self, lines: list[tuple[str, str, int]], *, order_id: str = "ORD-1", location: str = "DC-EAST",
                      key: str | None = "auto") -> httpx.Response:  # fmt: skip
        body = {
            "order_id": order_id,
            "location_id": location,
            "ship_to": SHIP_TO,
            "lines": [{"line_id": line_id, "sku": sku, "quantity": quantity} for line_id, sku, quantity in lines],
        }
        return await self.post("/fulfillment-requests", body, key=key)

    def notice(self, request: dict[str, Any], shipment_id: str, lines: list[tuple[str, str, int]],
               packages: int = 1) -> dict[str, Any]:  # fmt: skip
        return {
            "tenant": "demo",
            "shipment_id": shipment_id,
            "order_id": request["order_id"],
            "location_id": request["location_id"],
            "lines": [{"line_id": line_id, "sku": sku, "quantity": quantity} for line_id, sku, quantity in lines],
            "shipped_at": "2026-11-23T10:00:00Z",
            "packages": [
                {"tracking_number": f"1Z{shipment_id}{n}", "carrier": "UPS", "service": "Ground"}
                for n in range(packages)
            ],
        }

    async def table_count(self, table: str) -> int:
        from sqlalchemy import text

        database = Database(self.product.settings.database_url_for("wms"))
        try:
            async with database.transaction() as session:
                return int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
        finally:
            await database.dispose()


@pytest.fixture
async def wms(product: EmbeddedProduct, gateway: httpx.AsyncClient) -> Wms:
    for code, kind, operator in (("DC-EAST", "distribution_center", None), ("STORE-NYC", "store", None),
                                 ("3PL-ACME", "3pl", "acme-3pl")):  # fmt: skip
        body = {"name": code, "kind": kind, "address": ADDRESS, "ships_to_regions": ["US"], "operator": operator}
        answer = await gateway.put(f"/wms/v1/locations/{code}", json=body)
        assert answer.status_code == 201, answer.text
    return Wms(gateway, product)
