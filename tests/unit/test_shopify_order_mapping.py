"""The Shopify order mapper on Shopify's own payloads (``tests/fixtures/shopify``): quantities after
refunds, shop-currency amounts, discounts, tax, shipping, addresses; and every way a payload can be
unmappable becomes an :class:`UnmappableOrder` naming the field, never a crash."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from canonical.money import Money
from experience_apis.shopify.order_mapping import UnmappableOrder, decode_order, map_order
from tests.helpers import vendor_fixtures

FIXTURES = vendor_fixtures("shopify")


def fixture(name: str) -> dict[str, Any]:
    document = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    document = document.get("body", document)
    order: dict[str, Any] = document.get("order") or document["orders"][0]
    return order


def mapped(order: dict[str, Any]):  # type: ignore[no-untyped-def]
    return map_order(decode_order(json.dumps(order).encode()), tenant="demo")


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def test_a_partially_refunded_order_keeps_only_what_is_still_ordered() -> None:
    """API 2026-07: two of three iPods were refunded; ``quantity`` still says 1 for each."""
    order = mapped(fixture("rest-2026-07/order_7.json"))

    assert order.order_id == "shopify-450789469"
    assert order.external_id == "450789469"
    assert order.channel == "shopify"
    assert order.order_number == "#1001"
    assert order.financial_status == "partially_refunded"
    assert [(line.sku, line.quantity, line.fulfillable_quantity) for line in order.lines] == [
        ("IPOD2008GREEN", 0, 0),
        ("IPOD2008RED", 1, 1),
        ("IPOD2008BLACK", 0, 0),
    ]
    green = order.lines[0]
    assert green.line_id == "466157049"
    assert green.unit_price == usd("199.00")
    assert green.discount == usd("3.34")
    assert green.tax == usd("3.98")
    assert order.total == usd("199.65")  # the current total, after the refund
    assert order.tax == usd("3.98")
    assert order.discounts == usd("3.33")
    assert order.shipping == usd("0.00")
    assert order.presentment_currency == "USD"
    assert order.shipping_address is not None
    assert order.shipping_address.region_code == "US-KY"
    assert order.shipping_address.postal_code == "40202"
    assert order.customer is not None
    assert order.customer.customer_id == "shopify-207119551"
    assert order.customer.email == "bob.norman@mail.example.com"
    assert order.placed_at.utcoffset() is not None


def test_an_older_payload_without_current_quantity_or_money_sets() -> None:
    order = mapped(fixture("rest-examples/order.json"))

    assert [(line.sku, line.quantity) for line in order.lines] == [
        ("IPOD2008GREEN", 1),
        ("IPOD2008RED", 1),
        ("IPOD2008BLACK", 1),
    ]
    assert order.total == usd("409.94")
    assert order.tax == usd("11.94")
    assert order.financial_status == "authorized"
    assert all(line.unit_price == usd("199.00") for line in order.lines)


def test_refunds_reduce_quantity_when_the_payload_predates_current_quantity() -> None:
    payload = fixture("rest-examples/order.json")
    first = payload["line_items"][0]["id"]
    payload["refunds"] = [{"id": 1, "refund_line_items": [{"line_item_id": first, "quantity": 1}]}]

    order = mapped(payload)

    assert order.lines[0].quantity == 0
    assert order.lines[1].quantity == 1


def test_presentment_currency_is_kept_beside_shop_amounts() -> None:
    payload = fixture("rest-2026-07/order_7.json")
    payload["presentment_currency"] = "CAD"
    payload["current_total_price_set"]["presentment_money"] = {"amount": "273.52", "currency_code": "CAD"}

    order = mapped(payload)

    assert order.currency == "USD"
    assert order.total == usd("199.65")
    assert order.presentment_currency == "CAD"


def test_every_problem_is_named_at_once() -> None:
    payload = fixture("rest-2026-07/order_7.json")
    payload["line_items"][0]["sku"] = ""
    payload["line_items"][1]["sku"] = "has spaces"
    payload["financial_status"] = "mystery"
    payload["shipping_address"]["city"] = None

    with pytest.raises(UnmappableOrder) as raised:
        mapped(payload)

    fields = {problem.field: problem.reason for problem in raised.value.problems}
    assert set(fields) == {
        "line_items[0].sku",
        "line_items[1].sku",
        "financial_status",
        "shipping_address",
    }
    assert "has no SKU" in fields["line_items[0].sku"]
    assert "city" in fields["shipping_address"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "$"),
        (b"[]", "$"),  # the document itself has the wrong type: msgspec names no path
        (json.dumps({"id": "abc", "currency": "USD", "created_at": "2026-01-01T00:00:00Z"}).encode(), "$.id"),
        (json.dumps({"id": 1, "currency": "XYZ", "created_at": "2026-01-01T00:00:00Z"}).encode(), "currency"),
    ],
)
def test_malformed_payloads_are_unmappable_not_crashes(raw: bytes, field: str) -> None:
    with pytest.raises(UnmappableOrder) as raised:
        map_order(decode_order(raw), tenant="demo")

    assert raised.value.problems[0].field == field


def test_an_order_listing_without_line_items_is_unmappable() -> None:
    """``orders.json`` holds an order abbreviated by Shopify's list endpoint: no line items to fulfil."""
    with pytest.raises(UnmappableOrder) as raised:
        mapped(fixture("rest-examples/orders.json"))

    assert [(p.field, p.reason) for p in raised.value.problems] == [("line_items", "the order has no line items")]


def test_the_mapped_order_round_trips_through_the_canonical_wire_format() -> None:
    order = mapped(fixture("rest-2026-07/order_7.json"))

    assert msgspec.json.decode(msgspec.json.encode(order), type=type(order)) == order


def test_the_payment_gateway_is_the_first_of_payment_gateway_names() -> None:
    """API 2026-07's order was paid through Shopify's test gateway, ``bogus``."""
    payload = fixture("rest-2026-07/order_7.json")
    assert payload["payment_gateway_names"] == ["bogus"]

    assert mapped(payload).payment_gateway == "bogus"

    payload["payment_gateway_names"] = ["shopify_payments", "gift_card"]
    assert mapped(payload).payment_gateway == "shopify_payments"


@pytest.mark.parametrize("names", [[], None, [""]])
def test_no_payment_gateway_names_means_no_payment_gateway(names: list[str] | None) -> None:
    payload = fixture("rest-2026-07/order_7.json")
    payload["payment_gateway_names"] = names

    assert mapped(payload).payment_gateway is None


def test_an_older_payload_without_payment_gateway_names_has_no_payment_gateway() -> None:
    assert "payment_gateway_names" not in fixture("rest-examples/order.json")

    assert mapped(fixture("rest-examples/order.json")).payment_gateway is None
