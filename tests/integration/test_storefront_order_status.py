"""A shopper's order status through the gateway: the order made from a Shopify order, in the words a shopper
understands, with nothing internal (no ERP reference, no hold reason)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import eventually
from tests.shopify_deliveries import deliver, shopify_order


@pytest.mark.parametrize("version", ["v1", "v2"])
async def test_a_received_order_shows_as_processing_with_its_lines(portal: httpx.AsyncClient, version: str) -> None:
    await deliver(portal, shopify_order())

    async def status() -> httpx.Response:
        return await portal.get(f"/storefront/{version}/orders/shopify-450789469")

    answer = await eventually(status, lambda response: response.status_code == 200)
    body: dict[str, Any] = answer.json()

    assert body["status"] == "processing"
    assert body["order_number"] == shopify_order()["name"]
    assert body["placed_at"] is not None
    assert [(line["sku"], line["quantity"], line["shipped"]) for line in body["lines"]] == [
        (line["sku"], line["current_quantity"], 0) for line in shopify_order()["line_items"]
    ]
    assert body["parcels"] == []
    assert "erp_order_ref" not in body and "hold_reason" not in body


async def test_an_unknown_order_is_a_404_problem(portal: httpx.AsyncClient) -> None:
    answer = await portal.get("/storefront/v1/orders/shopify-1")

    assert answer.status_code == 404
    assert answer.json()["code"] == "unknown_order"
