"""The first slice end to end in embedded mode: WMS and ERP data flow through outboxes and the bus into
the inventory process, and the storefront answers through the gateway."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from omnigate.demo import seed_erp, seed_wms
from omnigate.runtime import EmbeddedProduct
from service_kit.database import Database
from tests.helpers import eventually

FEATURED = "TSHIRT-BLK-M"


@pytest.fixture
async def seeded(product: EmbeddedProduct, gateway: httpx.AsyncClient) -> httpx.AsyncClient:
    settings = product.settings
    erp, wms, inventory = (Database(settings.database_url_for(name)) for name in ("erp", "wms", "inventory"))
    try:
        assert await seed_erp(erp)
        assert await seed_wms(wms)
        assert not await seed_wms(wms), "seeding twice must not duplicate anything"

        async def count(database: Database, table: str) -> int:
            async with database.reading() as session:
                return int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)

        async def unconsumed() -> int:
            """Events announced by the ERP and WMS that the inventory process has not yet applied."""
            announced = await count(erp, "erp_outbox") + await count(wms, "wms_outbox")
            return announced - await count(inventory, "inventory_inbox")

        await eventually(unconsumed, lambda pending: pending == 0, within=30)
    finally:
        for database in (erp, wms, inventory):
            await database.dispose()
    return gateway


async def test_availability_per_location_from_seeded_wms_positions(seeded: httpx.AsyncClient) -> None:
    response = await seeded.get("/storefront/v1/availability", params={"sku": FEATURED})

    assert response.status_code == 200
    body = response.json()
    per_location = {loc["location_id"]: loc["available_to_sell"] for loc in body["locations"]}
    # on hand less committed, damaged and safety stock (see omnigate/demo.py)
    assert per_location == {"DC-EAST": 100, "DC-WEST": 37, "STORE-NYC": 9}
    assert body["available_to_sell"] == 146
    assert body["in_stock"] is True
    assert "on_hand" not in body["locations"][0], "shoppers see sellable units, not stock states"


async def test_a_wms_count_changes_availability(seeded: httpx.AsyncClient) -> None:
    count = {"on_hand": 5, "committed": 1, "safety_stock": 2, "reason": "cycle_count"}
    put = await seeded.put(f"/wms/v1/inventory-positions/STORE-NYC/{FEATURED}", json=count)
    assert put.status_code == 200, put.text
    assert put.json()["available_to_sell"] == 2

    async def store_units() -> int:
        body = (await seeded.get("/storefront/v1/availability", params={"sku": FEATURED})).json()
        return {loc["location_id"]: loc["available_to_sell"] for loc in body["locations"]}["STORE-NYC"]

    assert await eventually(store_units, lambda units: units == 2) == 2
    total = (await seeded.get("/storefront/v1/availability", params={"sku": FEATURED})).json()
    assert total["available_to_sell"] == 100 + 37 + 2


async def test_inactive_and_unstocked_skus_sell_nothing(seeded: httpx.AsyncClient) -> None:
    discontinued = (await seeded.get("/storefront/v1/availability", params={"sku": "SCARF-WOL-OS"})).json()
    assert discontinued["available_to_sell"] == 0
    assert all(loc["available_to_sell"] == 0 for loc in discontinued["locations"])

    never_stocked = await seeded.get("/storefront/v1/availability", params={"sku": "BELT-BRN-M"})
    assert never_stocked.status_code == 200
    assert never_stocked.json() == {
        "sku": "BELT-BRN-M",
        "available_to_sell": 0,
        "in_stock": False,
        "locations": [],
    }


async def test_unknown_sku_is_a_404_problem(seeded: httpx.AsyncClient) -> None:
    response = await seeded.get("/storefront/v1/availability", params={"sku": "NO-SUCH-SKU"})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "unknown_sku"
    assert "NO-SUCH-SKU" in problem["detail"]
    assert problem["trace_id"] == response.headers["x-trace-id"]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"sku": "has spaces"}, "sku"), ({}, "sku"), ({"sku": "x" * 80}, "sku")],
)
async def test_malformed_query_is_a_400_problem_naming_the_field(
    seeded: httpx.AsyncClient, query: dict[str, str], field: str
) -> None:
    response = await seeded.get("/storefront/v1/availability", params=query)

    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "invalid_request"
    assert [error["field"] for error in problem["errors"]] == [field]


async def test_oversized_body_is_a_413_problem_and_writes_nothing(seeded: httpx.AsyncClient) -> None:
    huge = {"title": "x" * 2_000_000, "price": {"amount": "1.00", "currency": "USD"}}
    response = await seeded.put("/erp/v1/items/HUGE-1", json=huge)

    assert response.status_code == 413
    assert response.json()["code"] == "content_too_large"
    assert (await seeded.get("/erp/v1/items/HUGE-1")).status_code == 404


async def test_invalid_body_names_the_field_and_writes_nothing(seeded: httpx.AsyncClient) -> None:
    response = await seeded.put(
        "/erp/v1/items/NEW-1", json={"title": "New", "price": {"amount": "5.00", "currency": "ZZZ"}}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "price"
    assert (await seeded.get("/erp/v1/items/NEW-1")).status_code == 404


async def test_unknown_api_and_version_are_404_problems(seeded: httpx.AsyncClient) -> None:
    unknown_api = await seeded.get("/nothing/v1/things")
    unknown_version = await seeded.get("/storefront/v7/availability", params={"sku": FEATURED})

    assert (unknown_api.status_code, unknown_api.json()["code"]) == (404, "unknown_api")
    assert (unknown_version.status_code, unknown_version.json()["code"]) == (404, "unknown_api_version")
    assert unknown_version.json()["versions"] == ["v1", "v2"]


async def test_incoming_traceparent_is_continued_and_returned(seeded: httpx.AsyncClient) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await seeded.get(
        "/storefront/v1/availability",
        params={"sku": FEATURED},
        headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"},
    )

    assert response.headers["x-trace-id"] == trace_id


async def test_callers_cannot_choose_their_tenant(seeded: httpx.AsyncClient) -> None:
    """The gateway strips identity headers: a caller claiming another tenant still acts for its own."""
    response = await seeded.get(
        "/storefront/v1/availability", params={"sku": FEATURED}, headers={"x-omnigate-tenant": "other-brand"}
    )

    assert response.status_code == 200
    assert response.json()["available_to_sell"] == 146


async def test_put_is_idempotent(seeded: httpx.AsyncClient) -> None:
    item = {"title": "Gift card", "price": {"amount": "25.00", "currency": "USD"}}
    first = await seeded.put("/erp/v1/items/GIFT-25", json=item)
    again = await seeded.put("/erp/v1/items/GIFT-25", json=item)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()


async def test_health_reports_upstreams(seeded: httpx.AsyncClient) -> None:
    response = await seeded.get("/health")

    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": "ok",
        "erp": "ok",
        "inventory": "ok",
        "orders": "ok",
        "portal": "ok",
        "returns": "ok",
        "shopify": "ok",
        "shopify_intake": "ok",
        "storefront": "ok",
        "tax": "ok",
        "wms": "ok",
    }
    assert len(response.headers["x-trace-id"]) == 32


async def test_v2_answers_many_skus_with_stock_badges_and_names_the_unknown_ones(seeded: httpx.AsyncClient) -> None:
    response = await seeded.get(
        "/storefront/v2/availability", params=[("sku", FEATURED), ("sku", "NO-SUCH-SKU"), ("sku", FEATURED)]
    )
    v1 = await seeded.get("/storefront/v1/availability", params={"sku": FEATURED})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unknown_skus"] == ["NO-SUCH-SKU"]
    [item] = body["items"]
    assert item["sku"] == FEATURED
    assert item["title"]
    assert item["purchasable"] is True
    assert item["available_to_sell"] == 146
    assert item["status"] == "in_stock"
    assert {loc["location_id"]: loc["status"] for loc in item["locations"]} == {
        "DC-EAST": "in_stock",
        "DC-WEST": "in_stock",
        "STORE-NYC": "in_stock",
    }
    assert v1.status_code == 200
    assert "items" not in v1.json(), "v1 keeps its own shape"


async def test_v2_refuses_a_malformed_sku_and_more_than_fifty(seeded: httpx.AsyncClient) -> None:
    bad = await seeded.get("/storefront/v2/availability", params=[("sku", "bad sku")])
    many = await seeded.get("/storefront/v2/availability", params=[("sku", f"SKU-{i}") for i in range(51)])

    assert bad.status_code == 400
    assert "bad sku" in bad.json()["detail"]
    assert many.status_code == 400
