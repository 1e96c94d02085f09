"""The Shopify return mapper on ``returns/request`` bodies shaped as Shopify documents them: ids as numbers or
GraphQL ids, reasons in either case, both notes kept; and every way a payload can be unmappable becomes an
:class:`UnmappableReturn` naming the field, never a crash."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from canonical.channel import ChannelDelivery, ChannelReturnLine, ChannelReturnRequestEvent
from experience_apis.shopify.return_mapping import UnmappableReturn, decode_return, map_return
from tests.shopify_deliveries import shopify_return_request

SOURCE = ChannelDelivery(
    delivery_id=7, channel="shopify", source="demo.myshopify.com", topic="returns/request", webhook_id="wh-1"
)
REQUESTED_AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def mapped(payload: dict[str, Any]) -> ChannelReturnRequestEvent:
    return map_return(
        decode_return(json.dumps(payload).encode()), delivery=SOURCE, tenant="demo", requested_at=REQUESTED_AT
    )


def line(payload: dict[str, Any], index: int = 0) -> dict[str, Any]:
    item: dict[str, Any] = payload["return_line_items"][index]
    return item


def test_the_documented_payload_maps_to_the_order_line_it_returns() -> None:
    event = mapped(shopify_return_request())

    assert (event.tenant, event.order_external_id, event.return_external_id) == ("demo", "450789469", "945000959")
    assert event.lines == [
        ChannelReturnLine(
            line_id="518995019", quantity=1, reason="size_too_small", note="Smaller than the size chart says"
        )
    ]
    assert event.delivery == SOURCE
    assert event.requested_at == REQUESTED_AT


def test_ids_are_read_from_graphql_ids_when_the_rest_ids_are_missing() -> None:
    payload = shopify_return_request(id=None, order={"admin_graphql_api_id": "gid://shopify/Order/450789469"})
    line(payload)["fulfillment_line_item"]["line_item"] = {"admin_graphql_api_id": "gid://shopify/LineItem/518995019"}

    event = mapped(payload)

    assert (event.order_external_id, event.return_external_id) == ("450789469", "945000959")
    assert [item.line_id for item in event.lines] == ["518995019"]


def test_ids_given_as_strings_or_gids_in_the_id_member_are_read() -> None:
    payload = shopify_return_request(id="gid://shopify/Return/945000959", order={"id": "450789469"})
    line(payload)["fulfillment_line_item"]["line_item"] = {"id": "gid://shopify/LineItem/518995019"}

    event = mapped(payload)

    assert (event.order_external_id, event.return_external_id) == ("450789469", "945000959")
    assert [item.line_id for item in event.lines] == ["518995019"]


@pytest.mark.parametrize(
    ("shopify_reason", "reason"),
    [
        ("size_too_small", "size_too_small"),
        ("SIZE_TOO_LARGE", "size_too_large"),
        ("unwanted", "unwanted"),
        ("NOT_AS_DESCRIBED", "not_as_described"),
        ("wrong_item", "wrong_item"),
        ("DEFECTIVE", "defective"),
        ("style", "style"),
        ("COLOR", "color"),
        ("other", "other"),
        ("UNKNOWN", "unknown"),
        (None, "unknown"),
        ("", "unknown"),
        ("changed_my_mind", "other"),  # a code newer than ours: a reason was given, just not one we know
    ],
)
def test_shopify_reasons_are_lowercased_into_canonical_ones(shopify_reason: str | None, reason: str) -> None:
    payload = shopify_return_request()
    line(payload)["return_reason"] = shopify_reason

    assert mapped(payload).lines[0].reason == reason


@pytest.mark.parametrize(
    ("reason_note", "customer_note", "note"),
    [
        ("", None, None),
        ("Too tight", None, "Too tight"),
        (None, "Please refund", "Please refund"),
        ("Too tight", "Please refund", "Too tight\nPlease refund"),
        ("Same", " Same ", "Same"),
    ],
)
def test_the_note_keeps_the_reason_note_and_the_customer_note(
    reason_note: str | None, customer_note: str | None, note: str | None
) -> None:
    payload = shopify_return_request()
    line(payload).update(return_reason_note=reason_note, customer_note=customer_note)

    assert mapped(payload).lines[0].note == note


def test_every_problem_is_named_at_once() -> None:
    payload = shopify_return_request(
        id="R-1", admin_graphql_api_id=None, order={"id": None, "admin_graphql_api_id": "gid://shopify/Return/1"}
    )
    second = json.loads(json.dumps(line(payload)))
    second["fulfillment_line_item"] = None
    second["quantity"] = -1
    payload["return_line_items"].append(second)

    with pytest.raises(UnmappableReturn) as raised:
        mapped(payload)

    assert [(p.field, p.reason) for p in raised.value.problems] == [
        ("id", "the return has no id we can read"),
        ("order.id", "the return names no order id we can read"),
        ("return_line_items[1].fulfillment_line_item.line_item", "names no order line item id we can read"),
        ("return_line_items[1].quantity", "-1 is not a positive quantity"),
    ]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "$"),
        (b"[]", "$"),
        (json.dumps({"id": 1, "return_line_items": "none"}).encode(), "$.return_line_items"),
        (json.dumps({"id": 1, "order": {"id": 1.5}}).encode(), "$.order.id"),
    ],
)
def test_malformed_payloads_are_unmappable_not_crashes(raw: bytes, field: str) -> None:
    with pytest.raises(UnmappableReturn) as raised:
        decode_return(raw)

    assert raised.value.problems[0].field == field


def test_a_return_without_lines_is_unmappable() -> None:
    with pytest.raises(UnmappableReturn) as raised:
        mapped(shopify_return_request(return_line_items=[]))

    assert [(p.field, p.reason) for p in raised.value.problems] == [
        ("return_line_items", "the return has no line items")
    ]
