"""A Shopify order for more than is in stock: the saga books it, holds what there is and backorders the rest
(ship complete: nothing goes to a warehouse yet); when stock comes in, the rest is held and the whole order is
released, each unit once. Through the gateway on the embedded product, SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from tests.helpers import eventually
from tests.order_flow import order_of
from tests.shopify_deliveries import deliver, storefront_order

ORDER = 5301
TEES = "TSHIRT-BLK-M"


async def sellable(shop: httpx.AsyncClient) -> int:
    answer = await shop.get("/inventory/v1/availability", params={"sku": TEES})
    return int(answer.json()["available_to_sell"])


async def test_a_backordered_order_waits_holding_its_units_and_is_released_whole_when_stock_comes_in(
    shop: httpx.AsyncClient,
) -> None:
    in_stock = await sellable(shop)
    wanted = in_stock + 4
    await deliver(shop, storefront_order(ORDER, [(TEES, wanted, "24.00")]), webhook_id=f"wh-{ORDER}")

    waiting = await eventually(lambda: order_of(shop, ORDER), lambda o: o["state"] in ("backordered", "on_hold"))
    assert waiting["state"] == "backordered", waiting
    [line] = waiting["lines"]
    assert (line["reserved"], line["backordered"], line["state"]) == (in_stock, 4, "backordered")
    assert waiting["fulfillment_requests"] == {}, "ship complete: nothing is released while units are missing"
    assert await sellable(shop) == 0

    position = (await shop.get("/wms/v1/inventory-positions", params={"sku": TEES})).json()
    dc_east = next(p for p in position if p["location_id"] == "DC-EAST")
    count = {"on_hand": dc_east["on_hand"] + 10, "reason": "cycle_count"}  # ten tees come in at DC-EAST
    assert (await shop.put(f"/wms/v1/inventory-positions/DC-EAST/{TEES}", json=count)).status_code == 200

    released = await eventually(lambda: order_of(shop, ORDER), lambda o: o["state"] == "released", within=30)
    [line] = released["lines"]
    assert (line["reserved"], line["backordered"], line["state"]) == (wanted, 0, "released")
    requests = [
        (await shop.get(f"/wms/v1/fulfillment-requests/{request_id}")).json()
        for request_id in released["fulfillment_requests"].values()
    ]
    assert sum(line["quantity"] for request in requests for line in request["lines"]) == wanted
    held = (await shop.get(f"/inventory/v1/reservations/{released['order_id']}")).json()
    assert sum(hold["quantity"] for hold in held["reservations"]) == wanted, "each unit held once"
    assert [(b["quantity"], b["status"]) for b in held["backorders"]] == [(4, "filled")]
    timeline = (await shop.get(f"/portal/v1/orders/{released['order_id']}/timeline")).json()["steps"]
    assert [s["step"] for s in timeline if s["system"] == "inventory"] == ["reserve", "fill_backorders"]
