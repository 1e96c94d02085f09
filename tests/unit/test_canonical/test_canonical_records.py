"""Shipments, returns and catalog items: quantities that make sense and the defaults senders rely on."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from canonical import Money, ProductCatalogItem, ReturnAuthorization, ShipmentNotice

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def shipment(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tenant": "demo",
        "shipment_id": "s-1",
        "order_id": "o-1",
        "location_id": "DC-EAST",
        "lines": [{"line_id": "1", "sku": "SKU-1", "quantity": 2}],
        "packages": [
            {
                "tracking_number": "1Z999AA10123456784",
                "carrier": "UPS",
                "tracking_url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
                "weight_grams": 450,
            }
        ],
        "shipped_at": "2026-11-01T15:00:00Z",
    }
    return body | changes


def test_a_shipment_notice_decodes_and_packages_default_to_none_tracked() -> None:
    notice = msgspec.convert(shipment(), ShipmentNotice)
    untracked = msgspec.convert({k: v for k, v in shipment().items() if k != "packages"}, ShipmentNotice)

    assert notice.packages[0].carrier == "UPS"
    assert untracked.packages == []


@pytest.mark.parametrize(
    "changes",
    [
        {"lines": []},
        {"lines": [{"line_id": "1", "sku": "SKU-1", "quantity": 0}]},
        {"packages": [{"tracking_number": "1", "carrier": "UPS", "weight_grams": 0}]},
        {"packages": [{"tracking_number": "1", "carrier": "UPS", "tracking_url": "javascript:alert(1)"}]},
        {"shipped_at": "2026-11-01T15:00:00"},
    ],
)
def test_a_shipment_of_nothing_or_with_nonsense_is_rejected(changes: dict[str, Any]) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(shipment(**changes), ShipmentNotice)


def rma(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tenant": "demo",
        "rma_number": "RMA-1",
        "order_id": "o-1",
        "lines": [{"line_id": "1", "sku": "SKU-1", "quantity": 1, "reason": "size_too_small"}],
        "status": "requested",
        "requested_at": "2026-11-02T09:00:00Z",
    }
    return body | changes


def test_a_return_line_is_of_unknown_condition_until_inspected() -> None:
    authorization = msgspec.convert(rma(), ReturnAuthorization)

    assert authorization.lines[0].condition == "unknown"
    assert authorization.refund is None


@pytest.mark.parametrize(
    "changes",
    [
        {"lines": [{"line_id": "1", "sku": "SKU-1", "quantity": 0, "reason": "other"}]},
        {"lines": [{"line_id": "1", "sku": "SKU-1", "quantity": 1, "reason": "because"}]},
        {"lines": [{"line_id": "1", "sku": "SKU-1", "quantity": 1}]},
        {"status": "lost"},
        {"refund": {"amount": "-5.00", "currency": "USD"}},
    ],
)
def test_invalid_returns_are_rejected(changes: dict[str, Any]) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(rma(**changes), ReturnAuthorization)


def test_a_catalog_item_is_active_and_returnable_unless_said_otherwise() -> None:
    item = ProductCatalogItem(
        tenant="demo", sku="MUG-1", title="Mug", price=Money(Decimal("9.00"), "USD"), updated_at=NOW
    )

    assert (item.active, item.returnable) == (True, True)


def test_a_negative_list_price_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        ProductCatalogItem(
            tenant="demo", sku="MUG-1", title="Mug", price=Money(Decimal("-1.00"), "USD"), updated_at=NOW
        )
