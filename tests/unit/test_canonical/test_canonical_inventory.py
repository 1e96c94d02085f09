"""Available to sell is computed one way everywhere, and is never negative."""

from datetime import UTC, datetime

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from canonical import InventoryPosition, compute_available_to_sell

NOW = datetime(2026, 11, 1, tzinfo=UTC)
units = st.integers(min_value=0, max_value=1_000_000)


@given(units, units, units, units, units, units, units)
def test_available_to_sell_is_on_hand_less_every_claim_never_negative(
    on_hand: int, committed: int, reserved: int, damaged: int, qc: int, safety: int, extra: int
) -> None:
    result = compute_available_to_sell(
        on_hand=on_hand,
        committed=committed,
        reserved=reserved,
        damaged=damaged,
        quality_control=qc,
        safety_stock=safety,
        extra_reserved=extra,
    )

    assert result == max(0, on_hand - committed - reserved - damaged - qc - safety - extra)


@given(units, units, units, units, units, units, units, units)
def test_positions_built_from_states_agree_with_the_function_and_never_exceed_on_hand(
    on_hand: int,
    committed: int,
    reserved: int,
    damaged: int,
    qc: int,
    safety: int,
    in_transit: int,
    extra: int,
) -> None:
    position = InventoryPosition.from_states(
        tenant="demo",
        sku="SKU-1",
        location_id="DC-EAST",
        on_hand=on_hand,
        committed=committed,
        reserved=reserved,
        damaged=damaged,
        quality_control=qc,
        safety_stock=safety,
        in_transit=in_transit,
        extra_reserved=extra,
        updated_at=NOW,
    )

    assert 0 <= position.available_to_sell <= position.on_hand
    assert position.available_to_sell == compute_available_to_sell(
        on_hand=on_hand,
        committed=committed,
        reserved=reserved,
        damaged=damaged,
        quality_control=qc,
        safety_stock=safety,
        extra_reserved=extra,
    )


def test_incoming_stock_is_not_sellable_and_extra_holds_are_not_reported_as_reserved() -> None:
    position = InventoryPosition.from_states(
        tenant="demo",
        sku="SKU-1",
        location_id="DC-EAST",
        on_hand=10,
        committed=2,
        reserved=1,
        in_transit=50,
        extra_reserved=3,
        updated_at=NOW,
    )

    assert position.available_to_sell == 4
    assert position.reserved == 1
    assert position.in_transit == 50


@pytest.mark.parametrize(
    "counts", [{"on_hand": -1}, {"on_hand": 5, "committed": -2}, {"on_hand": 5, "extra_reserved": -1}]
)
def test_negative_counts_are_refused_rather_than_inflating_what_is_sold(counts: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="negative"):
        compute_available_to_sell(**counts)


def test_an_oversold_location_shows_zero() -> None:
    assert compute_available_to_sell(on_hand=3, committed=5) == 0


def test_overriding_available_to_sell_keeps_the_states() -> None:
    position = InventoryPosition.from_states(tenant="demo", sku="SKU-1", location_id="X", on_hand=10, updated_at=NOW)

    inactive = position.with_available_to_sell(0)

    assert inactive.available_to_sell == 0
    assert inactive.on_hand == 10
    with pytest.raises(ValueError):
        position.with_available_to_sell(-1)
    with pytest.raises(ValueError, match="exceeds on_hand"):
        position.with_available_to_sell(11)


def body(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "tenant": "demo",
        "sku": "SKU-1",
        "location_id": "DC-EAST",
        "on_hand": 5,
        "available_to_sell": 5,
        "updated_at": "2026-11-01T00:00:00Z",
    }
    return base | changes


def test_decoding_defaults_the_states_a_sender_omits() -> None:
    position = msgspec.convert(body(), InventoryPosition)

    assert (position.committed, position.reserved, position.in_transit) == (0, 0, 0)


@pytest.mark.parametrize(
    "changes",
    [
        {"available_to_sell": 6},
        {"on_hand": -1, "available_to_sell": 0},
        {"committed": -1},
        {"sku": "bad sku"},
        {"updated_at": "2026-11-01T00:00:00"},
    ],
)
def test_decoding_rejects_impossible_positions(changes: dict[str, object]) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(body(**changes), InventoryPosition)
