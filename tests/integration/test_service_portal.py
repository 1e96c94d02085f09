"""The service portal through the gateway: an agent finds the order made from a Shopify order, reads its
timeline, and works the exception worklist; the order process's problems reach the agent unchanged."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import eventually
from tests.shopify_deliveries import deliver, shopify_order


async def test_an_agent_finds_the_order_by_its_shopify_id_and_reads_its_timeline(portal: httpx.AsyncClient) -> None:
    await deliver(portal, shopify_order())

    async def by_source() -> list[dict[str, Any]]:
        return list((await portal.get("/portal/v1/orders", params={"source_id": "450789469"})).json())

    [found] = await eventually(by_source, lambda orders: len(orders) == 1)
    shown = await portal.get(f"/portal/v1/orders/{found['order_id']}")
    timeline = await portal.get(f"/portal/v1/orders/{found['order_id']}/timeline")

    assert found["order_id"] == "shopify-450789469"
    assert shown.status_code == 200
    assert shown.json()["lines"] == found["lines"]
    assert timeline.status_code == 200
    first = timeline.json()["steps"][0]
    assert (first["step"], first["system"], first["outcome"]) == ("orders/create", "shopify", "done")
    assert first["trace_id"] and len(first["trace_id"]) == 32


async def test_the_order_process_problems_reach_the_agent_unchanged(portal: httpx.AsyncClient) -> None:
    unknown = await portal.get("/portal/v1/orders/shopify-1")
    missing_item = await portal.get("/portal/v1/exceptions/999")

    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert (unknown.json()["code"], unknown.json()["order_id"]) == ("unknown_order", "shopify-1")
    assert missing_item.status_code == 404
    assert missing_item.json()["code"] == "unknown_exception"


async def test_an_agent_works_an_unmappable_order_on_the_worklist(portal: httpx.AsyncClient) -> None:
    order = shopify_order()
    order["line_items"][1]["sku"] = None
    await deliver(portal, order)

    async def open_items() -> list[dict[str, Any]]:
        return list((await portal.get("/portal/v1/exceptions", params={"status": "open"})).json()["items"])

    [item] = await eventually(open_items, lambda items: len(items) == 1)
    assigned = await portal.post(f"/portal/v1/exceptions/{item['id']}/assign", json={"assignee": "ana@example.com"})
    retried = await portal.post(f"/portal/v1/exceptions/{item['id']}/retry")
    resolved = await portal.post(
        f"/portal/v1/exceptions/{item['id']}/resolve", json={"resolution": "SKU added in Shopify; order re-sent"}
    )
    bad_assignee = await portal.post(f"/portal/v1/exceptions/{item['id']}/assign", json={"assignee": ""})

    assert item["kind"] == "unmappable_order"
    assert assigned.status_code == 200
    assert assigned.json()["assignee"] == "ana@example.com"
    assert retried.status_code == 409, "an order that never entered the saga has nothing to retry"
    assert retried.json()["code"] == "nothing_to_retry"
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert bad_assignee.status_code == 400
    assert "assignee" in bad_assignee.text
    assert await open_items() == []
