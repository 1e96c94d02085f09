"""Orders, customers and addresses: one currency per order, one tenant per record, valid codes."""

from copy import deepcopy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from canonical import Address, Customer, Money, OrderLine, SalesOrder


def order_body() -> dict[str, Any]:
    return {
        "tenant": "demo",
        "order_id": "o-1",
        "channel": "shopify",
        "external_id": "450789469",
        "order_number": "#1001",
        "currency": "USD",
        "lines": [
            {
                "line_id": "466157049",
                "sku": "IPOD2008GREEN",
                "title": "IPod Nano - 8gb",
                "quantity": 1,
                "unit_price": {"amount": "199.00", "currency": "USD"},
                "tax": {"amount": "11.94", "currency": "USD"},
                "fulfillable_quantity": 1,
            },
            {
                "line_id": "518995019",
                "sku": "IPOD2008RED",
                "title": "IPod Nano - 8gb",
                "quantity": 1,
                "unit_price": {"amount": "199.00", "currency": "USD"},
            },
        ],
        "shipping_address": {
            "line1": "Chestnut Street 92",
            "city": "Louisville",
            "region_code": "US-KY",
            "postal_code": "40202",
            "country_code": "US",
        },
        "customer": {"customer_id": "c-1", "tenant": "demo", "email": "bob.norman@hostmail.com"},
        "total": {"amount": "409.94", "currency": "USD"},
        "tax": {"amount": "11.94", "currency": "USD"},
        "financial_status": "authorized",
        "placed_at": "2008-01-10T11:00:00-05:00",
        "updated_at": "2008-01-10T11:00:00-05:00",
    }


def decode(body: dict[str, Any]) -> SalesOrder:
    return msgspec.json.decode(msgspec.json.encode(body), type=SalesOrder)


def test_a_valid_order_round_trips_exactly() -> None:
    order = decode(order_body())

    again = msgspec.json.decode(msgspec.json.encode(order), type=SalesOrder)

    assert again == order
    assert order.total == Money(Decimal("409.94"), "USD")
    assert order.tags == []
    assert b'"amount":"409.94"' in msgspec.json.encode(order)


@pytest.mark.parametrize(
    ("path", "match"),
    [
        (("lines", 0, "unit_price"), "line 466157049 unit_price is in EUR"),
        (("lines", 0, "tax"), "line 466157049 tax is in EUR"),
        (("total",), "total is in EUR"),
        (("tax",), "tax is in EUR"),
    ],
)
def test_an_amount_in_another_currency_is_rejected_on_decode(path: tuple[Any, ...], match: str) -> None:
    body = order_body()
    target: Any = body
    for key in path:
        target = target[key]
    target["currency"] = "EUR"

    with pytest.raises(msgspec.ValidationError, match=match):
        decode(body)


def mutate(change: str) -> dict[str, Any]:
    body = deepcopy(order_body())
    if change == "no lines":
        body["lines"] = []
    elif change == "duplicate line id":
        body["lines"][1]["line_id"] = body["lines"][0]["line_id"]
    elif change == "fulfillable above quantity":
        body["lines"][0]["fulfillable_quantity"] = 2
    elif change == "negative quantity":
        body["lines"][0]["quantity"] = -1
    elif change == "sku with a space":
        body["lines"][0]["sku"] = "IPOD 2008"
    elif change == "negative amount":
        body["lines"][0]["unit_price"]["amount"] = "-1.00"
    elif change == "customer of another tenant":
        body["customer"]["tenant"] = "other"
    elif change == "tenant with capitals":
        body["tenant"] = "Demo"
    elif change == "time without offset":
        body["placed_at"] = "2008-01-10T11:00:00"
    elif change == "unknown financial status":
        body["financial_status"] = "captured"
    elif change == "unknown order currency":
        body["currency"] = "ABC"
    elif change == "lowercase country":
        body["shipping_address"]["country_code"] = "us"
    elif change == "region without country":
        body["shipping_address"]["region_code"] = "KY"
    elif change == "bad email":
        body["customer"]["email"] = "bob at hostmail"
    else:
        raise AssertionError(change)
    return body


@pytest.mark.parametrize(
    "change",
    [
        "no lines",
        "duplicate line id",
        "fulfillable above quantity",
        "negative quantity",
        "sku with a space",
        "negative amount",
        "customer of another tenant",
        "tenant with capitals",
        "time without offset",
        "unknown financial status",
        "unknown order currency",
        "lowercase country",
        "region without country",
        "bad email",
    ],
)
def test_invalid_orders_are_rejected_naming_the_problem(change: str) -> None:
    with pytest.raises(msgspec.ValidationError):
        decode(mutate(change))


def test_the_same_rules_apply_when_built_in_python() -> None:
    line = OrderLine(line_id="1", sku="SKU-1", title="Tee", quantity=1, unit_price=Money(Decimal(20), "EUR"))
    with pytest.raises(ValueError, match="EUR"):
        SalesOrder(
            tenant="demo",
            order_id="o-2",
            channel="shopify",
            external_id="2",
            currency="USD",
            lines=[line],
            total=Money(Decimal(20), "USD"),
            financial_status="paid",
            placed_at=datetime(2026, 11, 1, tzinfo=UTC),
            updated_at=datetime(2026, 11, 1, tzinfo=UTC),
        )


@pytest.mark.parametrize("sku", ["TSHIRT-BLK-M", "a", "ACME/123.4-B", "9" * 64])
def test_sku_pattern_accepts_ordinary_skus(sku: str) -> None:
    body = order_body()
    body["lines"][0]["sku"] = sku

    assert decode(body).lines[0].sku == sku


@pytest.mark.parametrize("sku", ["", " LEADING", "has space", "-LEADING-DASH", "9" * 65, "TAB\tSKU"])
def test_sku_pattern_rejects_spaces_and_odd_shapes(sku: str) -> None:
    body = order_body()
    body["lines"][0]["sku"] = sku

    with pytest.raises(msgspec.ValidationError, match="sku"):
        decode(body)


def test_customer_defaults_make_a_minimal_record_valid() -> None:
    customer = msgspec.convert({"customer_id": "c-9", "tenant": "demo"}, Customer)

    assert customer.status == "active"
    assert customer.tax_exempt is False
    assert customer.credit_limit is None


def test_address_is_an_immutable_value() -> None:
    address = Address(line1="1 Main St", city="Springfield", country_code="US")

    assert address == Address(line1="1 Main St", city="Springfield", country_code="US")
    with pytest.raises(AttributeError):
        address.city = "Shelbyville"  # type: ignore[misc]
