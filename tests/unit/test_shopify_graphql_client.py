"""The Admin GraphQL client against the local Shopify emulator, on one fake clock: the client's sleeps move
the emulator's bucket forward, so throttling is asserted by what the client waited, never by wall time."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from system_apis.shopify.adapters.admin_wire import (
    FULFILLMENT_ORDERS,
    INVENTORY_SET_QUANTITIES,
    set_quantities_variables,
)
from system_apis.shopify.adapters.base import QuantityChange, SetQuantitiesRequest, ShopifyUnavailable
from system_apis.shopify.adapters.graphql_client import AdminGraphqlClient, ShopBudget
from tests.emulators.shopify_admin import EmulatedOrder, EmulatedShop, ShopifyAdminEmulator

ITEM = "gid://shopify/InventoryItem/1001"
LOCATION = "gid://shopify/Location/71000000001"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emulator(clock: FakeClock) -> AsyncIterator[tuple[ShopifyAdminEmulator, str]]:
    emulator = ShopifyAdminEmulator(clock=clock)
    async with emulator.serving() as url:
        yield emulator, url


def stocked(shop: EmulatedShop) -> EmulatedShop:
    shop.inventory_items.add(ITEM)
    shop.locations.add(LOCATION)
    return shop


async def set_quantity(client: AdminGraphqlClient, quantity: int, key: str) -> dict[str, object]:
    request = SetQuantitiesRequest(
        name="available",
        reason="correction",
        idempotency_key=key,
        changes=[QuantityChange(inventory_item_id=ITEM, location_id=LOCATION, quantity=quantity, change_from=None)],
    )
    return await client.execute("inventorySetQuantities", INVENTORY_SET_QUANTITIES, set_quantities_variables(request))


def client_for(
    http: httpx.AsyncClient, url: str, shop: EmulatedShop, clock: FakeClock, budget: ShopBudget | None = None
) -> AdminGraphqlClient:
    return AdminGraphqlClient(
        http,
        shop_domain=shop.domain,
        access_token=shop.access_token,
        budget=budget or ShopBudget(),
        endpoint=url,
        sleep=clock.sleep,
        clock=clock,
    )


async def test_a_small_bucket_slows_the_client_down_instead_of_failing(emulator, clock: FakeClock) -> None:
    server, url = emulator
    shop = stocked(server.add_shop("small.myshopify.com", "shpat_small", maximum_available=50, restore_rate=10))
    async with httpx.AsyncClient() as http:
        client = client_for(http, url, shop, clock)
        for n in range(20):
            data = await set_quantity(client, n, f"key-{n}")
            assert data["inventorySetQuantities"]["userErrors"] == []  # type: ignore[index]

    assert len(shop.mutations) == 20, "every mutation went through"
    paced = [e for e in client.budget.events if e.kind == "paced"]
    assert paced, "the client waited before sending once the bucket ran low"
    # 20 mutations of 10 points from a 50-point bucket refilling 10/s need at least 15 s of refill.
    assert sum(clock.slept) >= 15 - 1e-6
    assert shop.throttled <= 1, "pacing kept the client from being throttled (at most the first learning call)"


async def test_a_throttled_answer_is_waited_out_and_retried(emulator, clock: FakeClock) -> None:
    server, url = emulator
    shop = stocked(server.add_shop("busy.myshopify.com", "shpat_busy", maximum_available=100, restore_rate=4))
    shop.bucket.available = 2  # another app instance drained it: this client has not seen a response yet
    async with httpx.AsyncClient() as http:
        client = client_for(http, url, shop, clock)
        await set_quantity(client, 5, "key-1")

    assert shop.throttled == 1
    [throttled] = [e for e in client.budget.events if e.kind == "throttled"]
    assert throttled.seconds == pytest.approx((10 - 2) / 4, abs=0.01), "waits (requested - available) / restoreRate"
    assert len(shop.mutations) == 1


async def test_429_with_retry_after_is_honoured(emulator, clock: FakeClock) -> None:
    server, url = emulator
    shop = stocked(server.add_shop("rest.myshopify.com", "shpat_rest"))
    shop.answer_429, shop.retry_after = 2, 2.5
    async with httpx.AsyncClient() as http:
        client = client_for(http, url, shop, clock)
        await set_quantity(client, 5, "key-1")

    assert [(e.kind, e.seconds) for e in client.budget.events] == [("retry_after", 2.5), ("retry_after", 2.5)]
    assert len(shop.mutations) == 1


async def test_throttling_past_the_retry_budget_is_unavailable_not_an_error(emulator, clock: FakeClock) -> None:
    server, url = emulator
    shop = stocked(server.add_shop("down.myshopify.com", "shpat_down"))
    shop.answer_429 = 100
    async with httpx.AsyncClient() as http:
        client = client_for(http, url, shop, clock)
        with pytest.raises(ShopifyUnavailable) as raised:
            await set_quantity(client, 5, "key-1")

    assert raised.value.code == "shopify_throttled"
    assert shop.mutations == []


@pytest.mark.parametrize(("maximum", "restore"), [(1000.0, 50.0), (2000.0, 100.0), (20000.0, 1000.0)])
async def test_bucket_size_and_restore_rate_are_learned_from_responses(
    emulator, clock: FakeClock, maximum: float, restore: float
) -> None:
    server, url = emulator
    shop = stocked(server.add_shop("plan.myshopify.com", "shpat_plan", maximum_available=maximum, restore_rate=restore))
    async with httpx.AsyncClient() as http:
        client = client_for(http, url, shop, clock)
        await set_quantity(client, 5, "key-1")

    status = client.budget.status
    assert status is not None
    assert (status.maximum_available, status.restore_rate) == (maximum, restore)
    assert status.currently_available == maximum - 10
    assert client.budget.costs == {"inventorySetQuantities": 10}


async def test_the_access_token_is_sent_and_a_wrong_one_is_unavailable(emulator, clock: FakeClock) -> None:
    server, url = emulator
    shop = stocked(server.add_shop("auth.myshopify.com", "shpat_right"))
    wrong = EmulatedShop(domain=shop.domain, access_token="shpat_wrong", bucket=shop.bucket)
    async with httpx.AsyncClient() as http:
        with pytest.raises(ShopifyUnavailable) as raised:
            await set_quantity(client_for(http, url, wrong, clock), 5, "key-1")
        await set_quantity(client_for(http, url, shop, clock), 5, "key-2")

    assert raised.value.code == "shopify_unauthorized"
    assert len(shop.mutations) == 1


async def test_the_emulator_refuses_the_pre_2026_04_compare_quantity_form(emulator, clock: FakeClock) -> None:
    """Guards the emulator's fidelity: 2026-07 takes changeFromQuantity, not ignoreCompareQuantity."""
    server, url = emulator
    shop = stocked(server.add_shop("old.myshopify.com", "shpat_old"))
    old_style = {
        "input": {
            "name": "available",
            "reason": "correction",
            "ignoreCompareQuantity": True,
            "quantities": [{"inventoryItemId": ITEM, "locationId": LOCATION, "quantity": 3}],
        },
        "idempotencyKey": "k",
    }
    async with httpx.AsyncClient() as http:
        client = client_for(http, url, shop, clock)
        with pytest.raises(ShopifyUnavailable) as raised:
            await client.execute("inventorySetQuantities", INVENTORY_SET_QUANTITIES, old_style)

    assert "ignoreCompareQuantity" in str(raised.value)
    assert shop.mutations == []


async def test_the_fulfillment_order_query_fits_shopifys_single_query_cost_limit(emulator, clock: FakeClock) -> None:
    server, url = emulator
    shop = stocked(server.add_shop("query.myshopify.com", "shpat_query"))
    shop.add_order(EmulatedOrder(number=5001, lines={"601": ("TSHIRT-BLK-M", 2)}))
    too_costly = "query { orders(first: 250) { nodes { lineItems(first: 250) { nodes { id sku } } } } }"
    async with httpx.AsyncClient() as http:
        client = client_for(http, url, shop, clock)
        data = await client.execute("FulfillmentOrders", FULFILLMENT_ORDERS, {"id": "gid://shopify/Order/5001"})
        with pytest.raises(ShopifyUnavailable) as raised:
            await client.execute("TooCostly", too_costly, {})

    [fulfillment_order] = data["order"]["fulfillmentOrders"]["nodes"]
    assert fulfillment_order["lineItems"]["nodes"][0]["remainingQuantity"] == 2
    assert 0 < client.budget.costs["FulfillmentOrders"] <= 1000
    assert "exceeds the single query max cost limit" in str(raised.value)
