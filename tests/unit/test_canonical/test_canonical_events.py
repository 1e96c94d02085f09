"""Envelopes round-trip unchanged, carry their payload exactly, and refuse what consumers would refuse."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from canonical import (
    CATALOG_ITEM_UPSERTED,
    INVENTORY_POSITION_CHANGED,
    EventEnvelope,
    InventoryPosition,
    Money,
    ProductCatalogItem,
    decode_envelope,
    encode_envelope,
)

NOW = datetime(2026, 11, 1, 12, 30, tzinfo=UTC)


def position() -> InventoryPosition:
    return InventoryPosition.from_states(
        tenant="demo", sku="TSHIRT-BLK-M", location_id="DC-EAST", on_hand=10, committed=3, updated_at=NOW
    )


def envelope(**overrides: Any) -> EventEnvelope:
    arguments: dict[str, Any] = {
        "type": INVENTORY_POSITION_CHANGED,
        "tenant": "demo",
        "aggregate_type": "inventory_position",
        "aggregate_id": "DC-EAST/TSHIRT-BLK-M",
        "sequence": 4,
        "payload": position(),
    }
    return EventEnvelope.new(**(arguments | overrides))


def test_a_new_envelope_round_trips_and_gives_its_payload_back_typed() -> None:
    before = datetime.now(UTC)
    sent = envelope(correlation_id="order-1", trace_id="4bf92f3577b34da6a3ce929d0e0e4736")

    received = decode_envelope(encode_envelope(sent))

    assert received == sent
    assert received.payload_as(InventoryPosition) == position()
    assert received.event_id.version == 4
    assert before <= received.occurred_at <= datetime.now(UTC)
    assert received.occurred_at.utcoffset() == timedelta(0)
    assert received.schema_version == 1


def test_every_new_envelope_gets_its_own_id() -> None:
    assert envelope().event_id != envelope().event_id


def test_money_in_a_payload_stays_exact_through_the_envelope() -> None:
    item = ProductCatalogItem(
        tenant="demo", sku="MUG-1", title="Mug", price=Money(Decimal("19.90"), "EUR"), updated_at=NOW
    )
    sent = EventEnvelope.new(
        type=CATALOG_ITEM_UPSERTED,
        tenant="demo",
        aggregate_type="catalog_item",
        aggregate_id="MUG-1",
        sequence=1,
        payload=item,
    )

    wire = encode_envelope(sent)

    assert b'"price":{"amount":"19.90","currency":"EUR"}' in wire
    assert decode_envelope(wire).payload_as(ProductCatalogItem).price.amount == Decimal("19.90")


def test_a_payload_read_as_the_wrong_type_is_a_validation_error() -> None:
    with pytest.raises(msgspec.ValidationError):
        envelope().payload_as(ProductCatalogItem)


@pytest.mark.parametrize(
    "overrides",
    [
        {"type": "InventoryChanged"},
        {"type": "inventory"},
        {"tenant": "Demo Tenant"},
        {"sequence": 0},
        {"aggregate_id": ""},
        {"trace_id": "4BF92F3577B34DA6A3CE929D0E0E4736"},
        {"trace_id": "0" * 32},
        {"trace_id": "abc"},
    ],
)
def test_the_producer_cannot_create_an_envelope_consumers_would_reject(overrides: dict[str, Any]) -> None:
    with pytest.raises(msgspec.ValidationError):
        envelope(**overrides)


def wire(**changes: Any) -> bytes:
    body: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": INVENTORY_POSITION_CHANGED,
        "occurred_at": "2026-11-01T12:30:00Z",
        "tenant": "demo",
        "aggregate_type": "inventory_position",
        "aggregate_id": "DC-EAST/SKU-1",
        "sequence": 1,
        "payload": {},
    }
    return msgspec.json.encode(body | changes)


def test_an_older_message_without_the_optional_fields_still_decodes() -> None:
    received = decode_envelope(wire())

    assert (received.correlation_id, received.trace_id, received.schema_version) == (None, None, 1)


@pytest.mark.parametrize("occurred_at", ["2026-11-01T14:30:00+02:00", "2026-11-01T12:30:00"])
def test_occurred_at_must_be_utc(occurred_at: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=r"occurred_at|timezone"):
        decode_envelope(wire(occurred_at=occurred_at))


def test_envelopes_are_immutable() -> None:
    with pytest.raises(AttributeError):
        envelope().sequence = 5  # type: ignore[misc]
