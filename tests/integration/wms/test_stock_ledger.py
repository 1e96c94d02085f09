"""The stock ledger: every change has a reason, no state of a position ever goes negative (409 from the rules,
and a CHECK constraint under them), adjustments are idempotent, cycle counts and transfers move the right
states, and bad input is a 4xx naming the field."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from service_kit.database import Database
from service_kit.settings import Settings
from tests.integration.wms.conftest import Wms


async def test_each_reason_moves_its_states_and_lands_in_the_ledger(wms: Wms) -> None:
    steps = [("received", 10), ("damaged", 2), ("quality_hold", 3), ("quality_release", 1), ("shrinkage", 1),
             ("damage_disposal", 2), ("found", 1), ("return_restock", 1), ("correction", -1)]  # fmt: skip
    for reason, quantity in steps:
        answer = await wms.adjust("DC-EAST", "TEE-1", reason, quantity, reference="TASK-7")
        assert answer.status_code == 201, answer.text
        assert answer.json()["reason"] == reason

    position = await wms.position("DC-EAST", "TEE-1")
    # on hand 10 - 1 shrinkage - 2 disposed + 1 found + 1 restocked - 1 corrected; 2 QC units are not sellable
    assert (position["on_hand"], position["damaged"], position["quality_control"]) == (8, 0, 2)
    assert position["available_to_sell"] == 6
    ledger = (await wms.client.get("/wms/v1/adjustments", params={"sku": "TEE-1"})).json()
    assert [entry["reason"] for entry in ledger] == [reason for reason, _ in steps]
    assert ledger[1]["deltas"] == {"on_hand": 0, "committed": 0, "reserved": 0, "damaged": 2, "quality_control": 0,
                                   "safety_stock": 0, "in_transit": 0}  # fmt: skip
    assert all(entry["reference"] == "TASK-7" for entry in ledger)
    only = await wms.client.get("/wms/v1/adjustments", params={"reason": "damaged", "location_id": "DC-EAST"})
    assert [entry["quantity"] for entry in only.json()] == [2]
    one = await wms.client.get(f"/wms/v1/adjustments/{ledger[0]['id']}")
    assert one.json() == ledger[0]


async def test_nothing_goes_negative_and_a_refused_change_writes_nothing(wms: Wms) -> None:
    assert (await wms.adjust("DC-EAST", "TEE-1", "received", 5)).status_code == 201

    for reason, quantity in (("shrinkage", 6), ("correction", -6), ("quality_release", 1), ("damaged", 6)):
        answer = await wms.adjust("DC-EAST", "TEE-1", reason, quantity)
        assert answer.status_code == 409, (reason, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "insufficient_stock"
    cycle = await wms.post("/cycle-counts", {"location_id": "DC-EAST", "sku": "TEE-1", "counted_quantity": 0})
    assert cycle.status_code == 201

    assert (await wms.position("DC-EAST", "TEE-1"))["on_hand"] == 0
    reasons = [e["reason"] for e in (await wms.client.get("/wms/v1/adjustments", params={"sku": "TEE-1"})).json()]
    assert reasons == ["received", "cycle_count"]


async def test_the_database_refuses_a_negative_state_too(settings: Settings) -> None:
    """Under the rules, the schema itself (migration wms_0002) refuses a negative state."""
    database = Database(settings.database_url_for("wms"))
    try:
        async with database.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO wms_inventory_position (tenant, location_code, sku, on_hand, committed, reserved, "
                    "damaged, quality_control, safety_stock, in_transit, version, updated_at) "
                    "VALUES ('demo', 'DC-EAST', 'TEE-1', 1, 0, 0, 0, 0, 0, 0, 1, CURRENT_TIMESTAMP)"
                )
            )
        for state in ("on_hand", "committed", "reserved", "damaged", "quality_control", "safety_stock", "in_transit"):
            with pytest.raises(IntegrityError):
                async with database.transaction() as session:
                    await session.execute(text(f"UPDATE wms_inventory_position SET {state} = -1"))
    finally:
        await database.dispose()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": None}, "reason"),
        ({"reason": "stolen_by_pirates"}, "reason"),
        ({"quantity": "three"}, "quantity"),
        ({"sku": "no spaces allowed"}, "sku"),
        ({"location_id": "dc-east"}, "location_id"),
    ],
)
async def test_a_missing_or_unknown_reason_or_field_is_422_naming_it(wms: Wms, change: dict, field: str) -> None:
    body = {"location_id": "DC-EAST", "sku": "TEE-1", "reason": "received", "quantity": 1, **change}
    body = {k: v for k, v in body.items() if v is not None}

    answer = await wms.post("/adjustments", body)

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid_request"
    assert [error["field"] for error in answer.json()["errors"]] == [field]
    assert await wms.table_count("wms_adjustment") == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"location_id": "NOWHERE", "sku": "TEE-1", "reason": "received", "quantity": 1}, "location_id"),
        ({"location_id": "DC-EAST", "sku": "TEE-1", "reason": "shrinkage", "quantity": -2}, "quantity"),
        ({"location_id": "DC-EAST", "sku": "TEE-1", "reason": "correction", "quantity": 0}, "quantity"),
    ],
)
async def test_rule_breaking_adjustments_are_422_naming_the_field(wms: Wms, body: dict, field: str) -> None:
    answer = await wms.post("/adjustments", body)

    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == field
    assert await wms.table_count("wms_adjustment") == 0


async def test_adjustments_need_a_key_and_a_retry_applies_once(wms: Wms) -> None:
    body = {"location_id": "DC-EAST", "sku": "TEE-1", "reason": "received", "quantity": 4}
    missing = await wms.post("/adjustments", body, key=None)
    first = await wms.post("/adjustments", body, key="receipt-PO-77")
    retry = await wms.post("/adjustments", body, key="receipt-PO-77")
    other = await wms.post("/adjustments", {**body, "quantity": 5}, key="receipt-PO-77")

    assert missing.status_code == 400
    assert [e["field"] for e in missing.json()["errors"]] == ["Idempotency-Key"]
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert (await wms.position("DC-EAST", "TEE-1"))["on_hand"] == 4


async def test_a_cycle_count_adjusts_the_difference(wms: Wms) -> None:
    assert (await wms.adjust("STORE-NYC", "TEE-1", "received", 10)).status_code == 201
    count = {"location_id": "STORE-NYC", "sku": "TEE-1", "counted_quantity": 7, "note": "aisle 4"}

    first = await wms.post("/cycle-counts", count, key=None)
    again = await wms.post("/cycle-counts", count, key=None)

    assert first.status_code == 201, first.text
    assert first.json()["previous_on_hand"] == 10
    assert first.json()["adjustment"]["reason"] == "cycle_count"
    assert first.json()["adjustment"]["quantity"] == -3
    assert first.json()["position"]["on_hand"] == 7
    assert again.json()["adjustment"] is None
    unknown = await wms.post("/cycle-counts", {**count, "location_id": "NOWHERE"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "location_id"


async def test_a_transfer_is_in_transit_until_received(wms: Wms) -> None:
    assert (await wms.adjust("DC-EAST", "TEE-1", "received", 10)).status_code == 201
    body = {"from_location_id": "DC-EAST", "to_location_id": "STORE-NYC", "lines": [{"sku": "TEE-1", "quantity": 4}]}

    shipped = await wms.post("/transfers", body)
    assert shipped.status_code == 201, shipped.text
    transfer = shipped.json()
    assert transfer["status"] == "in_transit"
    assert (await wms.position("DC-EAST", "TEE-1"))["on_hand"] == 6
    store = await wms.position("STORE-NYC", "TEE-1")
    assert (store["on_hand"], store["in_transit"]) == (0, 4)

    received = await wms.client.post(f"/wms/v1/transfers/{transfer['id']}/receive")
    again = await wms.client.post(f"/wms/v1/transfers/{transfer['id']}/receive")
    assert received.status_code == again.status_code == 200
    assert received.json()["status"] == "received"
    store = await wms.position("STORE-NYC", "TEE-1")
    assert (store["on_hand"], store["in_transit"]) == (4, 0)
    reasons = [
        e["reason"] for e in (await wms.client.get("/wms/v1/adjustments", params={"reference": transfer["id"]})).json()
    ]
    assert sorted(reasons) == ["transfer_in", "transfer_in_transit", "transfer_out"]

    too_many = await wms.post("/transfers", {**body, "lines": [{"sku": "TEE-1", "quantity": 7}]})
    same_place = await wms.post("/transfers", {**body, "to_location_id": "DC-EAST"})
    assert too_many.status_code == 409
    assert same_place.status_code == 422
    assert same_place.json()["errors"][0]["field"] == "to_location_id"
    assert (await wms.client.get("/wms/v1/transfers/TR-NOPE")).status_code == 404


async def test_locations_carry_kind_and_operator_and_filter_by_them(wms: Wms) -> None:
    three_pl = (await wms.client.get("/wms/v1/locations", params={"kind": "3pl"})).json()
    by_operator = (await wms.client.get("/wms/v1/locations", params={"operator": "acme-3pl"})).json()
    bad_kind = await wms.client.get("/wms/v1/locations", params={"kind": "warehouse"})

    assert [(loc["code"], loc["operator"]) for loc in three_pl] == [("3PL-ACME", "acme-3pl")]
    assert by_operator == three_pl
    assert bad_kind.status_code == 400
    assert bad_kind.json()["errors"][0]["field"] == "kind"
