"""Shopify webhooks through the gateway, on SQLite and PostgreSQL: a signed delivery is recorded and
announced once; a bad signature stores nothing; redeliveries, the same event through another
subscription and an older version of an order arriving late are recorded but never announced again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import select

from canonical.channel import (
    CHANNEL_ORDER_RECEIVED,
    CHANNEL_ORDER_UNMAPPABLE,
    CHANNEL_ORDER_UPDATED,
    CHANNEL_RETURN_REQUESTED,
    ChannelOrderEvent,
    ChannelReturnLine,
    ChannelReturnRequestEvent,
    UnmappableChannelOrder,
)
from canonical.events import decode_envelope
from experience_apis.shopify.models import DeliveryRecord, IntakeOutbox, ShopRecord
from omnigate.demo import DEMO_SHOP, seed_shopify_intake
from omnigate.runtime import EmbeddedProduct
from service_kit.database import Database
from service_kit.settings import Settings
from tests.helpers import eventually
from tests.integration.oauth.conftest import asgi_client
from tests.shopify_deliveries import FIXTURES, SECRET, delivery, shopify_order, shopify_return_request


@pytest.fixture
async def shopify(product: EmbeddedProduct, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    database = Database(settings.database_url_for("shopify_intake"))
    try:
        await seed_shopify_intake(database, "demo", webhook_secret=SECRET)
    finally:
        await database.dispose()
    async with asgi_client(product.asgi["gateway"]) as client:
        yield client


async def recorded(settings: Settings) -> tuple[list[DeliveryRecord], list[tuple[str, dict[str, Any]]]]:
    database = Database(settings.database_url_for("shopify_intake"))
    try:
        async with database.reading() as session:
            deliveries = list((await session.scalars(select(DeliveryRecord).order_by(DeliveryRecord.id))).all())
            rows = (await session.scalars(select(IntakeOutbox).order_by(IntakeOutbox.id))).all()
            events = [(row.event_type, decode_envelope(row.envelope).payload) for row in rows]
        return deliveries, events
    finally:
        await database.dispose()


async def test_a_signed_order_is_recorded_and_announced_as_a_canonical_order(
    shopify: httpx.AsyncClient, settings: Settings
) -> None:
    body = json.dumps(shopify_order()).encode()

    answer = await shopify.post("/webhooks/shopify", content=body, headers=delivery(body))

    assert answer.status_code == 200
    assert answer.json()["status"] == "accepted"
    deliveries, events = await recorded(settings)
    assert [(d.topic, d.status, d.resource_id, d.body) for d in deliveries] == [
        ("orders/create", "accepted", "450789469", body)
    ]
    assert [kind for kind, _ in events] == [CHANNEL_ORDER_RECEIVED]
    event = msgspec.convert(events[0][1], ChannelOrderEvent)
    assert event.delivery.webhook_id == "wh-1"
    assert event.delivery.event_id == "ev-1"
    assert event.order.order_id == "shopify-450789469"
    assert [line.quantity for line in event.order.lines] == [0, 1, 0]


@pytest.mark.parametrize("prefix", ["X-", ""])
async def test_headers_are_read_with_and_without_the_x_prefix(
    shopify: httpx.AsyncClient, settings: Settings, prefix: str
) -> None:
    body = json.dumps(shopify_order()).encode()

    answer = await shopify.post("/webhooks/shopify", content=body, headers=delivery(body, prefix=prefix))

    assert answer.status_code == 200
    assert answer.json()["status"] == "accepted"


@pytest.mark.parametrize(
    "spoil",
    [
        {"secret": "not-the-secret"},
        {"shop": "someone-else.myshopify.com"},
    ],
)
async def test_a_bad_signature_or_unknown_shop_is_401_and_stores_nothing(
    shopify: httpx.AsyncClient, settings: Settings, spoil: dict[str, str]
) -> None:
    body = json.dumps(shopify_order()).encode()

    answer = await shopify.post("/webhooks/shopify", content=body, headers=delivery(body, **spoil))

    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "invalid_webhook_signature"
    assert await recorded(settings) == ([], [])


async def test_a_body_changed_after_signing_is_refused(shopify: httpx.AsyncClient, settings: Settings) -> None:
    body = json.dumps(shopify_order()).encode()
    headers = delivery(body)

    answer = await shopify.post("/webhooks/shopify", content=body.replace(b"199.65", b"1.00"), headers=headers)

    assert answer.status_code == 401
    assert await recorded(settings) == ([], [])


async def test_the_same_delivery_three_times_is_announced_once(shopify: httpx.AsyncClient, settings: Settings) -> None:
    body = json.dumps(shopify_order()).encode()

    answers = [await shopify.post("/webhooks/shopify", content=body, headers=delivery(body)) for _ in range(3)]

    assert [a.json()["status"] for a in answers] == ["accepted", "duplicate", "duplicate"]
    assert len({a.json()["delivery_id"] for a in answers}) == 1
    deliveries, events = await recorded(settings)
    assert len(deliveries) == 1
    assert len(events) == 1


async def test_one_event_through_two_subscriptions_is_announced_once(
    shopify: httpx.AsyncClient, settings: Settings
) -> None:
    body = json.dumps(shopify_order()).encode()

    first = await shopify.post("/webhooks/shopify", content=body, headers=delivery(body, webhook_id="wh-a"))
    second = await shopify.post("/webhooks/shopify", content=body, headers=delivery(body, webhook_id="wh-b"))

    assert (first.json()["status"], second.json()["status"]) == ("accepted", "duplicate_event")
    _, events = await recorded(settings)
    assert len(events) == 1


async def test_an_older_update_arriving_late_never_overwrites_a_newer_one(
    shopify: httpx.AsyncClient, settings: Settings
) -> None:
    base = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    newer = json.dumps(shopify_order(updated_at=(base + timedelta(minutes=5)).isoformat(), note="v2")).encode()
    older = json.dumps(shopify_order(updated_at=base.isoformat(), note="v1")).encode()

    first = await shopify.post(
        "/webhooks/shopify",
        content=newer,
        headers=delivery(newer, topic="orders/updated", webhook_id="u2", event_id="e2"),
    )
    late = await shopify.post(
        "/webhooks/shopify",
        content=older,
        headers=delivery(older, topic="orders/updated", webhook_id="u1", event_id="e1"),
    )

    assert (first.json()["status"], late.json()["status"]) == ("accepted", "stale")
    deliveries, events = await recorded(settings)
    assert [d.status for d in deliveries] == ["accepted", "stale"]  # both kept: nothing a shop sent is lost
    assert [kind for kind, _ in events] == [CHANNEL_ORDER_UPDATED]


async def test_an_unmappable_order_is_acknowledged_and_becomes_a_business_exception_event(
    shopify: httpx.AsyncClient, settings: Settings
) -> None:
    order = shopify_order()
    order["line_items"][1]["sku"] = None
    body = json.dumps(order).encode()

    answer = await shopify.post("/webhooks/shopify", content=body, headers=delivery(body))

    assert answer.status_code == 200  # Shopify must not retry a payload that will never map
    assert answer.json()["status"] == "unmappable"
    _, events = await recorded(settings)
    assert [kind for kind, _ in events] == ["channel.order.unmappable"]
    assert events[0][1]["problems"] == [
        {"field": "line_items[1].sku", "reason": "line 518995019 (IPod Nano - 8gb - red) has no SKU"}
    ]


async def set_previous_secret_expiry(settings: Settings, expires_at: datetime, *, rotate: bool = False) -> None:
    database = Database(settings.database_url_for("shopify_intake"))
    try:
        async with database.transaction() as session:
            shop = await session.get(ShopRecord, DEMO_SHOP)
            assert shop is not None
            if rotate:
                shop.previous_secret, shop.secret = shop.secret, "new-secret"
            shop.previous_secret_expires_at = expires_at
    finally:
        await database.dispose()


async def test_a_secret_rotation_accepts_both_secrets_until_the_old_one_expires(
    shopify: httpx.AsyncClient, settings: Settings
) -> None:
    await set_previous_secret_expiry(settings, datetime.now(UTC) + timedelta(hours=1), rotate=True)
    body = json.dumps(shopify_order()).encode()

    old = await shopify.post("/webhooks/shopify", content=body, headers=delivery(body, webhook_id="a"))
    new = await shopify.post(
        "/webhooks/shopify", content=body, headers=delivery(body, webhook_id="b", secret="new-secret")
    )

    assert (old.status_code, new.status_code) == (200, 200)
    await set_previous_secret_expiry(settings, datetime.now(UTC) - timedelta(seconds=1))
    expired = await shopify.post("/webhooks/shopify", content=body, headers=delivery(body, webhook_id="c"))
    assert expired.status_code == 401


async def test_a_refund_is_announced_with_its_line_quantities(shopify: httpx.AsyncClient, settings: Settings) -> None:
    refund = json.loads((FIXTURES / "rest-2026-07" / "refund_1.json").read_text())["body"]["refund"]
    body = json.dumps(refund).encode()

    answer = await shopify.post("/webhooks/shopify", content=body, headers=delivery(body, topic="refunds/create"))

    assert answer.json()["status"] == "accepted"
    _, events = await recorded(settings)
    kind, payload = events[0]
    assert kind == "channel.refund.recorded"
    assert payload["order_external_id"] == "450789469"
    assert payload["lines"] == {"518995019": 1}
    assert payload["note"] == "wrong size"


async def test_a_refund_without_a_note_is_announced_without_one(shopify: httpx.AsyncClient, settings: Settings) -> None:
    refund = json.loads((FIXTURES / "rest-2026-07" / "refund_3.json").read_text())["body"]["refund"]
    refund["note"] = None
    body = json.dumps(refund).encode()

    answer = await shopify.post("/webhooks/shopify", content=body, headers=delivery(body, topic="refunds/create"))

    assert answer.json()["status"] == "accepted"
    _, events = await recorded(settings)
    assert [(kind, payload["note"]) for kind, payload in events] == [("channel.refund.recorded", None)]


async def test_unknown_topics_are_acknowledged_and_kept_but_not_announced(
    shopify: httpx.AsyncClient, settings: Settings
) -> None:
    body = b'{"id": 1}'

    answer = await shopify.post("/webhooks/shopify", content=body, headers=delivery(body, topic="products/update"))

    assert answer.json()["status"] == "ignored"
    deliveries, events = await recorded(settings)
    assert [d.topic for d in deliveries] == ["products/update"]
    assert events == []


async def test_deliveries_count_against_the_webhook_plan_not_a_client(
    shopify: httpx.AsyncClient, settings: Settings
) -> None:
    body = json.dumps(shopify_order()).encode()

    answer = await shopify.post("/webhooks/shopify", content=body, headers=delivery(body))

    assert answer.headers["ratelimit-policy"].startswith('"webhooks"')
    assert "ratelimit" in answer.headers


async def test_a_signed_order_delivered_three_times_enters_the_order_process_once(
    shopify: httpx.AsyncClient, product: EmbeddedProduct
) -> None:
    body = json.dumps(shopify_order()).encode()
    for _ in range(3):
        assert (await shopify.post("/webhooks/shopify", content=body, headers=delivery(body))).status_code == 200

    async with asgi_client(product.asgi["orders"]) as orders:

        async def found() -> list[dict[str, Any]]:
            answer = await orders.get(
                "/orders/v1/orders", params={"source_id": "450789469"}, headers={"X-Omnigate-Tenant": "demo"}
            )
            return list(answer.json())

        matches = await eventually(found, lambda orders: len(orders) == 1)
        await asyncio.sleep(0.3)  # redeliveries, had any slipped through, would have landed by now
        assert len(await found()) == 1
    assert matches[0]["order_id"] == "shopify-450789469"
    assert matches[0]["channel"] == "shopify"
    assert [(line["sku"], line["quantity"]) for line in matches[0]["lines"]] == [
        (line["sku"], line["current_quantity"]) for line in shopify_order()["line_items"]
    ]


async def return_requested(shopify: httpx.AsyncClient, payload: dict[str, Any], **headers: Any) -> httpx.Response:
    body = json.dumps(payload).encode()
    return await shopify.post(
        "/webhooks/shopify", content=body, headers=delivery(body, topic="returns/request", **headers)
    )


async def test_a_return_request_is_announced_once_with_its_lines_reasons_and_notes(
    shopify: httpx.AsyncClient, settings: Settings
) -> None:
    payload = shopify_return_request()
    green = shopify_order()["line_items"][0]
    payload["return_line_items"].append(  # a second line named only by GraphQL ids, the reason in upper case
        {
            "id": "gid://shopify/ReturnLineItem/677614679",
            "fulfillment_line_item": {
                "id": "gid://shopify/FulfillmentLineItem/1025578634",
                "line_item": {"id": None, "admin_graphql_api_id": green["admin_graphql_api_id"]},
            },
            "quantity": 2,
            "return_reason": "DEFECTIVE",
            "return_reason_note": "Screen flickers",
            "customer_note": None,
        }
    )

    answer = await return_requested(shopify, payload)

    assert answer.status_code == 200
    assert answer.json()["status"] == "accepted"
    deliveries, events = await recorded(settings)
    assert [(d.topic, d.status, d.resource_id) for d in deliveries] == [("returns/request", "accepted", "945000959")]
    assert [kind for kind, _ in events] == [CHANNEL_RETURN_REQUESTED]
    event = msgspec.convert(events[0][1], ChannelReturnRequestEvent)
    assert (event.tenant, event.order_external_id, event.return_external_id) == ("demo", "450789469", "945000959")
    assert event.lines == [
        ChannelReturnLine(
            line_id="518995019", quantity=1, reason="size_too_small", note="Smaller than the size chart says"
        ),
        ChannelReturnLine(line_id=str(green["id"]), quantity=2, reason="defective", note="Screen flickers"),
    ]
    assert (event.delivery.topic, event.delivery.webhook_id, event.delivery.event_id) == (
        "returns/request",
        "wh-1",
        "ev-1",
    )
    assert event.requested_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # X-Shopify-Triggered-At


async def test_a_return_request_line_is_the_line_the_order_mapper_announced(
    shopify: httpx.AsyncClient, settings: Settings
) -> None:
    order = json.dumps(shopify_order()).encode()
    await shopify.post("/webhooks/shopify", content=order, headers=delivery(order, webhook_id="order"))

    await return_requested(shopify, shopify_return_request(), webhook_id="return", event_id="ev-return")

    _, events = await recorded(settings)
    announced_order = msgspec.convert(events[0][1], ChannelOrderEvent).order
    request = msgspec.convert(events[1][1], ChannelReturnRequestEvent)
    assert request.order_external_id == announced_order.external_id
    assert [line.line_id for line in request.lines] == [announced_order.lines[1].line_id]


async def test_a_redelivered_return_request_is_not_announced_again(
    shopify: httpx.AsyncClient, settings: Settings
) -> None:
    first = await return_requested(shopify, shopify_return_request())
    again = await return_requested(shopify, shopify_return_request())
    other_subscription = await return_requested(shopify, shopify_return_request(), webhook_id="wh-2")

    assert [a.json()["status"] for a in (first, again, other_subscription)] == [
        "accepted",
        "duplicate",
        "duplicate_event",
    ]
    deliveries, events = await recorded(settings)
    assert [d.webhook_id for d in deliveries] == ["wh-1", "wh-2"]
    assert [kind for kind, _ in events] == [CHANNEL_RETURN_REQUESTED]


def _without_order(payload: dict[str, Any]) -> None:
    payload["order"] = None


def _without_lines(payload: dict[str, Any]) -> None:
    payload["return_line_items"] = []


def _order_gid_only_and_unparseable(payload: dict[str, Any]) -> None:
    payload["order"] = {"admin_graphql_api_id": "gid://shopify/Order/not-a-number"}


def _fulfillment_line_item_id_instead_of_the_order_line(payload: dict[str, Any]) -> None:
    line_item = payload["return_line_items"][0]["fulfillment_line_item"]["line_item"]
    line_item.update(id=None, admin_graphql_api_id="gid://shopify/FulfillmentLineItem/1025578633")


def _zero_quantity(payload: dict[str, Any]) -> None:
    payload["return_line_items"][0]["quantity"] = 0


@pytest.mark.parametrize(
    ("spoil", "problems"),
    [
        (_without_order, [("order.id", "the return names no order id we can read")]),
        (_without_lines, [("return_line_items", "the return has no line items")]),
        (_order_gid_only_and_unparseable, [("order.id", "the return names no order id we can read")]),
        (
            _fulfillment_line_item_id_instead_of_the_order_line,
            [("return_line_items[0].fulfillment_line_item.line_item", "names no order line item id we can read")],
        ),
        (_zero_quantity, [("return_line_items[0].quantity", "0 is not a positive quantity")]),
    ],
)
async def test_an_unmappable_return_request_is_acknowledged_and_becomes_a_business_exception_event(
    shopify: httpx.AsyncClient, settings: Settings, spoil: Any, problems: list[tuple[str, str]]
) -> None:
    payload = shopify_return_request()
    spoil(payload)

    answer = await return_requested(shopify, payload)

    assert answer.status_code == 200  # Shopify must not retry a payload that will never map
    assert answer.json()["status"] == "unmappable"
    deliveries, events = await recorded(settings)
    assert [(d.topic, d.status) for d in deliveries] == [("returns/request", "unmappable")]
    assert [kind for kind, _ in events] == [CHANNEL_ORDER_UNMAPPABLE]
    unmappable = msgspec.convert(events[0][1], UnmappableChannelOrder)
    assert [(p.field, p.reason) for p in unmappable.problems] == problems
    assert unmappable.external_id is None  # filed under the delivery, not the (blameless) order
    assert (unmappable.delivery.topic, unmappable.delivery.delivery_id) == ("returns/request", deliveries[0].id)


async def test_a_return_request_that_is_not_json_is_a_business_exception_not_a_500(
    shopify: httpx.AsyncClient, settings: Settings
) -> None:
    body = b'{"id": 945000959, "return_line_items": [{'

    answer = await shopify.post("/webhooks/shopify", content=body, headers=delivery(body, topic="returns/request"))

    assert answer.status_code == 200
    assert answer.json()["status"] == "unmappable"
    _, events = await recorded(settings)
    assert [kind for kind, _ in events] == [CHANNEL_ORDER_UNMAPPABLE]
    assert events[0][1]["problems"][0]["field"] == "$"
