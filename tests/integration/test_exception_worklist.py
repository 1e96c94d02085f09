"""The business exception worklist: an order Shopify sent that cannot be read lands on it (once, counting
redeliveries), with personal data redacted from its snapshot; an agent assigns and resolves it; another
tenant never sees it. On SQLite with the in-memory bus and on PostgreSQL with Redis Streams."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from omnigate.demo import seed_shopify_intake
from omnigate.runtime import EmbeddedProduct
from process_apis.orders.redaction import REDACTED, redact_personal_data
from service_kit.database import Database
from tests.helpers import eventually, fetch_token, onboard
from tests.integration.oauth.conftest import asgi_client, settings
from tests.integration.test_shopify_intake import SECRET, delivery, shopify_order

EXCEPTIONS = "/orders/v1/exceptions"
__all__ = ["settings"]  # embedded (SQLite, memory bus) and servers (PostgreSQL, Redis Streams)


@pytest.fixture
async def agent(product: EmbeddedProduct) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway as a service agent of tenant ``demo`` calls it, with the demo shop set up."""
    database = Database(product.settings.database_url_for("shopify_intake"))
    try:
        await seed_shopify_intake(database, "demo", webhook_secret=SECRET)
    finally:
        await database.dispose()
    async with asgi_client(product.asgi["gateway"]) as client:
        onboarded = await onboard(product.settings, scopes=["orders:read", "orders:write"])
        client.headers["Authorization"] = (
            f"Bearer {await fetch_token(client, onboarded.client_id, onboarded.client_secret)}"
        )
        yield client


def broken_order(**changes: Any) -> bytes:
    order = shopify_order(**changes)
    order["line_items"][1]["sku"] = None
    return json.dumps(order).encode()


async def open_items(agent: httpx.AsyncClient) -> list[dict[str, Any]]:
    answer = await agent.get(EXCEPTIONS, params={"status": "open"})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_an_unreadable_order_lands_on_the_worklist_once_and_is_worked(agent: httpx.AsyncClient) -> None:
    body = broken_order()
    assert (await agent.post("/webhooks/shopify", content=body, headers=delivery(body))).status_code == 200

    items = await eventually(lambda: open_items(agent), lambda items: len(items) == 1)
    item = items[0]
    assert item["kind"] == "unmappable_order"
    assert item["system"] == "shopify"
    assert item["order_id"] == "shopify-450789469"
    assert item["attempts"] == 1
    assert "line_items[1].sku" in item["reason"]
    assert item["snapshot"]["delivery"]["topic"] == "orders/create"

    again = broken_order(updated_at="2030-01-01T00:00:00Z")
    headers = delivery(again, topic="orders/updated", webhook_id="wh-2", event_id="ev-2")
    assert (await agent.post("/webhooks/shopify", content=again, headers=headers)).json()["status"] == "unmappable"
    items = await eventually(lambda: open_items(agent), lambda items: items and items[0]["attempts"] == 2)
    assert len(items) == 1, "the same broken order is one item, seen twice"

    assigned = await agent.post(f"{EXCEPTIONS}/{item['id']}/assign", json={"assignee": "sam@support"})
    assert assigned.json()["assignee"] == "sam@support"
    resolved = await agent.post(f"{EXCEPTIONS}/{item['id']}/resolve", json={"resolution": "SKU added in Shopify"})
    assert resolved.json()["status"] == "resolved"
    assert await open_items(agent) == []
    twice = await agent.post(f"{EXCEPTIONS}/{item['id']}/resolve", json={"resolution": "again"})
    assert twice.status_code == 409
    assert twice.json()["code"] == "exception_resolved"


async def test_another_tenant_never_sees_the_item(agent: httpx.AsyncClient, product: EmbeddedProduct) -> None:
    body = broken_order()
    await agent.post("/webhooks/shopify", content=body, headers=delivery(body))
    items = await eventually(lambda: open_items(agent), lambda items: len(items) == 1)

    other = await onboard(product.settings, scopes=["orders:read"], tenants=["acme"])
    async with asgi_client(product.asgi["gateway"]) as client:
        token = await fetch_token(client, other.client_id, other.client_secret)
        auth = {"Authorization": f"Bearer {token}"}
        listed = await client.get(EXCEPTIONS, headers=auth)
        shown = await client.get(f"{EXCEPTIONS}/{items[0]['id']}", headers=auth)

    assert listed.json()["items"] == []
    assert shown.status_code == 404
    assert shown.json()["code"] == "unknown_exception"


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        (f"{EXCEPTIONS}/999", None, 404),
        (f"{EXCEPTIONS}/abc", None, 404),
        (f"{EXCEPTIONS}/1/assign", {"assignee": ""}, 400),
        (f"{EXCEPTIONS}/1/resolve", {"resolution": "x", "extra": 1}, 400),
    ],
)
async def test_bad_requests_are_problems(
    agent: httpx.AsyncClient, path: str, body: dict[str, Any] | None, status: int
) -> None:
    answer = await (agent.post(path, json=body) if body is not None else agent.get(path))

    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_snapshots_keep_what_explains_a_failure_and_drop_who_it_was_for() -> None:
    snapshot = {
        "customer": {"email": "bob@example.com", "first_name": "Bob", "id": 7},
        "shipping_address": {"name": "Bob Norman", "address1": "Chestnut Street 92", "city": "Louisville",
                             "province_code": "KY", "country_code": "US", "zip": "40202"},
        "line_items": [{"name": "IPod Nano - 8gb - red", "sku": None, "price": "199.00"}],
        "note": "call me on +1 502 459 2181",
        "reason": "customer bob@example.com (502-459-2181) on line 518995019 has no SKU",
    }  # fmt: skip

    redacted = redact_personal_data(snapshot)

    assert redacted["customer"] == {"email": REDACTED, "first_name": REDACTED, "id": 7}
    assert redacted["shipping_address"]["name"] == REDACTED
    assert redacted["shipping_address"]["address1"] == REDACTED
    assert redacted["shipping_address"]["zip"] == REDACTED
    assert (redacted["shipping_address"]["city"], redacted["shipping_address"]["province_code"]) == ("Louisville", "KY")
    assert redacted["line_items"][0]["name"] == "IPod Nano - 8gb - red"  # a product, not a person
    assert redacted["note"] == REDACTED
    assert redacted["reason"] == f"customer {REDACTED} ({REDACTED}) on line 518995019 has no SKU"
