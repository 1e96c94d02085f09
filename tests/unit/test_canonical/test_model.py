"""The canonical model's rules that every service relies on."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonical import InventoryPosition, Money, SalesOrder, compute_available_to_sell
from canonical.events import EventEnvelope, decode_envelope, encode_envelope
from canonical.money import CurrencyMismatchError


def test_money_keeps_decimal_exact_on_the_wire() -> None:
    money = msgspec.json.decode(b'{"amount": "19.99", "currency": "USD"}', type=Money)

    assert money.amount == Decimal("19.99")
    assert msgspec.json.encode(money) == b'{"amount":"19.99","currency":"USD"}'


@pytest.mark.parametrize(
    "body",
    [
        b'{"amount": "1.00", "currency": "usd"}',
        b'{"amount": "1.00", "currency": "XYZ"}',
        b'{"amount": "NaN", "currency": "USD"}',
    ],
)
def test_money_rejects_unknown_currency_and_non_finite_amounts(body: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(body, type=Money)


def test_money_never_mixes_currencies() -> None:
    with pytest.raises(CurrencyMismatchError):
        Money(Decimal(1), "USD") + Money(Decimal(1), "EUR")
    assert Money(Decimal("2.50"), "USD") * 3 == Money(Decimal("7.50"), "USD")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("2.345", "USD", "2.34"), ("2.355", "USD", "2.36"), ("1234.5", "JPY", "1234"), ("1.2345", "KWD", "1.234")],
)
def test_quantize_rounds_half_to_even_in_minor_units(amount: str, currency: str, expected: str) -> None:
    assert Money(Decimal(amount), currency).quantize().amount == Decimal(expected)


def test_order_with_an_amount_in_another_currency_is_rejected() -> None:
    order = {
        "tenant": "demo",
        "order_id": "o-1",
        "channel": "shopify",
        "external_id": "1",
        "currency": "USD",
        "lines": [
            {
                "line_id": "1",
                "sku": "TSHIRT-BLK-M",
                "title": "Tee",
                "quantity": 1,
                "unit_price": {"amount": "24.00", "currency": "EUR"},
            }
        ],
        "total": {"amount": "24.00", "currency": "USD"},
        "financial_status": "paid",
        "placed_at": "2026-11-01T10:00:00Z",
        "updated_at": "2026-11-01T10:00:00Z",
    }
    with pytest.raises(msgspec.ValidationError, match="EUR"):
        msgspec.convert(order, SalesOrder)


units = st.integers(min_value=0, max_value=10_000)


@given(units, units, units, units, units, units)
def test_available_to_sell_is_on_hand_less_claims_never_negative(
    on_hand: int, committed: int, reserved: int, damaged: int, qc: int, safety: int
) -> None:
    result = compute_available_to_sell(
        on_hand=on_hand,
        committed=committed,
        reserved=reserved,
        damaged=damaged,
        quality_control=qc,
        safety_stock=safety,
    )
    assert result == max(0, on_hand - committed - reserved - damaged - qc - safety)


def test_envelope_round_trips_with_typed_payload() -> None:
    position = InventoryPosition.from_states(
        tenant="demo",
        sku="TSHIRT-BLK-M",
        location_id="DC-EAST",
        on_hand=10,
        committed=3,
        updated_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    envelope = EventEnvelope.new(
        type="inventory.position.changed",
        tenant="demo",
        aggregate_type="inventory_position",
        aggregate_id="DC-EAST/TSHIRT-BLK-M",
        sequence=4,
        payload=position,
    )

    again = decode_envelope(encode_envelope(envelope))
    assert again == envelope
    assert again.payload_as(InventoryPosition) == position
    assert position.available_to_sell == 7


def test_sku_pattern_rejects_spaces() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(
            {
                "tenant": "demo",
                "sku": "bad sku",
                "location_id": "X",
                "on_hand": 1,
                "available_to_sell": 1,
                "updated_at": "2026-11-01T00:00:00Z",
            },
            InventoryPosition,
        )
