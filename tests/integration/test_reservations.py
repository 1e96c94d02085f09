"""Reservations never oversell, on SQLite and PostgreSQL: concurrent orders take exactly the stock there is,
holds count once before and after the WMS commits them, shipments consume them and cancellations free them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from omnigate.runtime import EmbeddedProduct
from service_kit.database import Database
from tests.helpers import eventually

SKU = "LAMP-200"
TENANT = {"X-Omnigate-Tenant": "demo"}


def _location(kind: str, regions: list[str]) -> dict[str, Any]:
    address = {"line1": "1 Main St", "city": "Newark", "region_code": "US-NJ", "country_code": "US"}
    return {"name": "test location", "kind": kind, "address": address, "ships_to_regions": regions}


async def _client(product: EmbeddedProduct, service: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=product.asgi[service])  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url=f"http://{service}.test", headers=TENANT)


@pytest.fixture
async def inventory(product: EmbeddedProduct) -> AsyncIterator[httpx.AsyncClient]:
    """The inventory process, with 30 units of the SKU at DC-A, 20 at DC-B and 10 at a store."""
    wms = await _client(product, "wms")
    inventory = await _client(product, "inventory")
    try:
        for code, kind, units in (("DC-A", "distribution_center", 30), ("DC-B", "distribution_center", 20)):
            assert (await wms.put(f"/wms/v1/locations/{code}", json=_location(kind, ["US"]))).status_code == 201
            count = {"on_hand": units, "reason": "initial_load"}
            assert (await wms.put(f"/wms/v1/inventory-positions/{code}/{SKU}", json=count)).status_code == 200
        await eventually(lambda: available(inventory), lambda units: units == 50)
        yield inventory
    finally:
        await wms.aclose()
        await inventory.aclose()


async def available(inventory: httpx.AsyncClient) -> int:
    response = await inventory.get("/inventory/v1/availability", params={"sku": SKU})
    return int(response.json()["available_to_sell"]) if response.status_code == 200 else -1


def order(order_id: str, quantity: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "lines": [{"line_id": "1", "sku": SKU, "quantity": quantity}],
        "ship_to_country": "US",
        "ship_to_region": "NY",
        **fields,
    }


async def reserve(inventory: httpx.AsyncClient, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    return await inventory.post(
        "/inventory/v1/reservations", json=body, headers={"Idempotency-Key": key or f"reserve:{body['order_id']}"}
    )


async def test_200_concurrent_orders_reserve_exactly_the_50_units_there_are(
    inventory: httpx.AsyncClient, product: EmbeddedProduct
) -> None:
    lowest_seen: list[int] = []
    done = asyncio.Event()

    async def watch() -> None:
        while not done.is_set():
            body = (await inventory.get("/inventory/v1/availability", params={"sku": SKU})).json()
            lowest_seen.append(min([body["available_to_sell"], *(p["available_to_sell"] for p in body["positions"])]))
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    answers = await asyncio.gather(*(reserve(inventory, order(f"order-{n}")) for n in range(200)))
    done.set()
    await watcher

    assert [a.status_code for a in answers] == [201] * 200, next(a.text for a in answers if a.status_code != 201)
    bodies = [a.json() for a in answers]
    held: dict[str, int] = {}
    for body in bodies:
        for reservation in body["reservations"]:
            held[reservation["location_id"]] = held.get(reservation["location_id"], 0) + reservation["quantity"]
    assert held == {"DC-A": 30, "DC-B": 20}
    assert sum(1 for b in bodies if b["status"] == "reserved") == 50
    assert sum(1 for b in bodies if b["status"] == "backordered") == 150
    assert await available(inventory) == 0
    assert min(lowest_seen) >= 0

    database = Database(product.settings.database_url_for("inventory"))
    try:
        async with database.reading() as session:
            stored = await session.scalar(text("SELECT sum(quantity) FROM inventory_reservation WHERE status = 'open'"))
            backordered = await session.scalar(text("SELECT sum(quantity) FROM inventory_backorder"))
            sequences = (
                await session.execute(text("SELECT sequence FROM inventory_outbox ORDER BY sequence"))
            ).scalars()
        assert (stored, backordered) == (50, 150)
        assert list(sequences) == list(range(1, 51)), "one availability event per reserving order, in sequence"
    finally:
        await database.dispose()


async def test_a_retried_reservation_holds_once_and_another_key_for_the_same_order_is_refused(
    inventory: httpx.AsyncClient,
) -> None:
    first = await reserve(inventory, order("order-7", 4))
    retry = await reserve(inventory, order("order-7", 4))
    other_key = await reserve(inventory, order("order-7", 4), key=str(uuid.uuid4()))

    assert first.status_code == retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert other_key.status_code == 409
    assert other_key.json()["code"] == "order_already_reserved"
    assert await available(inventory) == 46


async def test_a_line_splits_over_locations_and_the_rest_is_backordered(inventory: httpx.AsyncClient) -> None:
    answer = await reserve(inventory, order("big-order", 55))

    assert answer.status_code == 201
    body = answer.json()
    assert body["status"] == "partially_reserved"
    assert {(r["location_id"], r["quantity"]) for r in body["reservations"]} == {("DC-A", 30), ("DC-B", 20)}
    assert [(b["line_id"], b["quantity"]) for b in body["backorders"]] == [("1", 5)]


async def test_backorders_are_held_as_stock_comes_in_and_never_twice(
    inventory: httpx.AsyncClient, product: EmbeddedProduct
) -> None:
    assert (await reserve(inventory, order("late-order", 55))).json()["status"] == "partially_reserved"
    fill = "/inventory/v1/reservations/late-order/backorders/fill"
    ship_to = {"ship_to_country": "US", "ship_to_region": "NY"}

    nothing_yet = await inventory.post(fill, json=ship_to)
    assert nothing_yet.status_code == 200, nothing_yet.text
    assert [(b["quantity"], b["status"]) for b in nothing_yet.json()["backorders"]] == [(5, "open")]

    async with await _client(product, "wms") as wms:
        count = {"on_hand": 23, "reason": "cycle_count"}  # three units arrive at DC-B
        assert (await wms.put(f"/wms/v1/inventory-positions/DC-B/{SKU}", json=count)).status_code == 200
        await eventually(lambda: available(inventory), lambda units: units == 3)
        partly = (await inventory.post(fill, json=ship_to)).json()
        assert partly["status"] == "partially_reserved"
        assert [(b["quantity"], b["status"]) for b in partly["backorders"]] == [(2, "open")]
        assert {(r["location_id"], r["quantity"]) for r in partly["reservations"]} == {("DC-A", 30), ("DC-B", 23)}
        assert await available(inventory) == 0

        count = {"on_hand": 40, "reason": "cycle_count"}  # ten more at DC-A: the last two are held, once
        assert (await wms.put(f"/wms/v1/inventory-positions/DC-A/{SKU}", json=count)).status_code == 200
        await eventually(lambda: available(inventory), lambda units: units == 10)
        done = (await inventory.post(fill, json=ship_to)).json()
        again = (await inventory.post(fill, json=ship_to)).json()

    assert done["status"] == "reserved"
    assert [(b["quantity"], b["status"]) for b in done["backorders"]] == [(2, "filled")]
    assert sum(r["quantity"] for r in done["reservations"]) == 55
    assert again == done, "a repeated fill holds nothing more"
    assert await available(inventory) == 8
    unknown = await inventory.post("/inventory/v1/reservations/no-such-order/backorders/fill", json=ship_to)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_reservation")


async def test_released_holds_count_once_before_and_after_the_wms_reports_its_commitment(
    inventory: httpx.AsyncClient, product: EmbeddedProduct
) -> None:
    reserved = (await reserve(inventory, order("order-r", 5))).json()
    location = reserved["reservations"][0]["location_id"]
    assert await available(inventory) == 45

    released = await inventory.post("/inventory/v1/reservations/order-r/release", json={"location_id": location})
    assert released.status_code == 200
    assert {r["status"] for r in released.json()["reservations"]} == {"released"}
    assert await available(inventory) == 45, "the WMS has not reported the commitment yet: the hold still counts"

    wms = await _client(product, "wms")
    try:  # the WMS commits the 5 units, and a unit arrives at the same time
        on_hand = 31 if location == "DC-A" else 21
        count = {"on_hand": on_hand, "committed": 5, "reason": "cycle_count"}
        assert (await wms.put(f"/wms/v1/inventory-positions/{location}/{SKU}", json=count)).status_code == 200
    finally:
        await wms.aclose()
    assert await eventually(lambda: available(inventory), lambda units: units != 45) == 46


async def test_shipments_consume_holds_once_per_shipment(inventory: httpx.AsyncClient) -> None:
    location = (await reserve(inventory, order("order-s", 3))).json()["reservations"][0]["location_id"]
    shipment = {"location_id": location, "lines": [{"line_id": "1", "quantity": 2}]}

    first = await inventory.post(
        "/inventory/v1/reservations/order-s/shipments", json=shipment, headers={"Idempotency-Key": "ship-1"}
    )
    redelivered = await inventory.post(
        "/inventory/v1/reservations/order-s/shipments", json=shipment, headers={"Idempotency-Key": "ship-1"}
    )
    too_many = await inventory.post(
        "/inventory/v1/reservations/order-s/shipments", json=shipment, headers={"Idempotency-Key": "ship-2"}
    )

    assert first.status_code == redelivered.status_code == 200
    assert [(r["quantity"], r["shipped"], r["status"]) for r in redelivered.json()["reservations"]] == [(1, 2, "open")]
    assert too_many.status_code == 409
    assert too_many.json()["code"] == "hold_exceeded"
    assert too_many.json()["held"] == 1


async def test_cancelling_frees_holds_and_backorders(inventory: httpx.AsyncClient) -> None:
    await reserve(inventory, order("order-c", 52))
    assert await available(inventory) == 0

    cancelled = await inventory.post("/inventory/v1/reservations/order-c/cancel", json={})
    unknown_line = await inventory.post("/inventory/v1/reservations/order-c/cancel", json={"lines": [{"line_id": "9"}]})

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "closed"
    assert {b["status"] for b in cancelled.json()["backorders"]} == {"cancelled"}
    assert await available(inventory) == 50
    assert unknown_line.status_code == 404
    assert unknown_line.json()["line_ids"] == ["9"]


async def test_cancelling_units_takes_the_backorder_first_then_holds_and_a_retry_changes_nothing(
    inventory: httpx.AsyncClient,
) -> None:
    await reserve(inventory, order("order-u", 55))  # 30 at DC-A, 20 at DC-B, 5 backordered
    path = "/inventory/v1/reservations/order-u/cancel"

    async def cut(lines: list[dict[str, Any]], key: str) -> httpx.Response:
        return await inventory.post(path, json={"lines": lines}, headers={"Idempotency-Key": key})

    first = await cut([{"line_id": "1", "quantity": 7}], "cut-1")
    again = await cut([{"line_id": "1", "quantity": 7}], "cut-1")
    at_b = await cut([{"line_id": "1", "quantity": 4, "location_id": "DC-B"}], "cut-2")
    too_many = await cut([{"line_id": "1", "quantity": 17, "location_id": "DC-B"}], "cut-3")

    assert (first.status_code, again.status_code, again.headers.get("Idempotent-Replayed")) == (200, 200, "true")
    assert [(b["quantity"], b["status"]) for b in first.json()["backorders"]] == [(0, "cancelled")]
    holds = {r["location_id"]: r["quantity"] for r in at_b.json()["reservations"]}
    assert holds == {"DC-A": 28, "DC-B": 16}, "5 off the backorder, 2 off DC-A (first by location), then 4 at DC-B"
    assert too_many.status_code == 409
    assert (too_many.json()["code"], too_many.json()["held"]) == ("hold_exceeded", 16)
    shown = (await inventory.get("/inventory/v1/reservations/order-u")).json()["reservations"]
    assert {r["location_id"]: r["quantity"] for r in shown} == holds, "a refused cut changes nothing"
    assert await available(inventory) == 50 - 44


async def test_a_channel_buffer_keeps_units_from_that_channel(inventory: httpx.AsyncClient) -> None:
    buffer = await inventory.put(f"/inventory/v1/sourcing/channel-buffers/shopify/{SKU}", json={"units": 45})
    assert buffer.status_code == 200

    shopify = (await reserve(inventory, order("web-1", 10))).json()
    pos = (await reserve(inventory, order("pos-1", 10, channel="pos"))).json()

    assert sum(r["quantity"] for r in shopify["reservations"]) == 5
    assert shopify["backorders"][0]["quantity"] == 5
    assert sum(r["quantity"] for r in pos["reservations"]) == 10


async def test_bad_requests_are_problems_naming_what_is_wrong(inventory: httpx.AsyncClient) -> None:
    no_key = await inventory.post("/inventory/v1/reservations", json=order("order-x"))
    bad_quantity = await reserve(inventory, order("order-y", 0))
    unknown = await inventory.get("/inventory/v1/reservations/never-reserved")

    assert no_key.status_code == 400
    assert "Idempotency-Key" in no_key.json()["detail"]
    assert bad_quantity.status_code == 400
    assert "quantity" in bad_quantity.text
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_reservation"
