"""Fulfillment requests (warehouse releases): commit on release, pick, cancel only before pick, partial and
split shipments as ShipmentNotices (never more than is open), events on wms.events; return receipts by
condition; idempotency and tenant isolation."""

from __future__ import annotations

import httpx
import msgspec
from sqlalchemy import select

from canonical import FulfillmentRequest, ShipmentNotice
from canonical.events import INVENTORY_POSITION_CHANGED, decode_envelope
from canonical.streams import WMS_EVENTS
from canonical.warehouse import FULFILLMENT_REQUEST_RELEASED, SHIPMENT_CONFIRMED
from service_kit.database import Database
from system_apis.wms.models import WmsOutbox
from tests.helpers import fetch_token, onboard
from tests.integration.wms.conftest import Wms


async def _stocked(wms: Wms, **units: int) -> None:
    for sku, quantity in units.items():
        assert (await wms.adjust("DC-EAST", sku.replace("_", "-"), "received", quantity)).status_code == 201


async def _events(wms: Wms) -> list[tuple[str, dict]]:
    database = Database(wms.product.settings.database_url_for("wms"))
    try:
        async with database.transaction() as session:
            rows = (await session.scalars(select(WmsOutbox).order_by(WmsOutbox.id))).all()
            assert {row.stream for row in rows} == {WMS_EVENTS}
            return [(row.event_type, decode_envelope(row.envelope).payload) for row in rows]
    finally:
        await database.dispose()


async def test_release_commits_and_split_partial_shipments_ship_it(wms: Wms) -> None:
    await _stocked(wms, TEE_1=10, CAP_1=5)
    released = await wms.release([("L1", "TEE-1", 3), ("L2", "CAP-1", 2)], order_id="ORD-9")
    assert released.status_code == 201, released.text
    request = released.json()
    assert request["status"] == "released" and request["id"].startswith("FR-")
    assert (await wms.position("DC-EAST", "TEE-1"))["committed"] == 3
    assert (await wms.position("DC-EAST", "TEE-1"))["available_to_sell"] == 7

    first = wms.notice(request, "SHP-1", [("L1", "TEE-1", 1), ("L1", "TEE-1", 1), ("L2", "CAP-1", 2)], packages=2)
    partial = await wms.post(f"/fulfillment-requests/{request['id']}/shipments", first, key=None)
    assert partial.status_code == 201, partial.text
    assert partial.json()["status"] == "partially_shipped"
    assert [(l["shipped_quantity"], l["quantity"]) for l in partial.json()["lines"]] == [(2, 3), (2, 2)]  # noqa: E741
    tee = await wms.position("DC-EAST", "TEE-1")
    assert (tee["on_hand"], tee["committed"]) == (8, 1)

    over = await wms.post(f"/fulfillment-requests/{request['id']}/shipments",
                          wms.notice(request, "SHP-2", [("L1", "TEE-1", 2)]), key=None)  # fmt: skip
    assert over.status_code == 409
    assert over.json()["code"] == "over_shipment"
    assert over.json()["errors"][0]["field"] == "lines[0].quantity"

    replay = await wms.post(f"/fulfillment-requests/{request['id']}/shipments", first, key=None)
    assert replay.status_code == 201
    assert (await wms.position("DC-EAST", "TEE-1"))["on_hand"] == 8, "the same shipment twice ships once"

    last = await wms.post(f"/fulfillment-requests/{request['id']}/shipments",
                          wms.notice(request, "SHP-2", [("L1", "TEE-1", 1)]), key=None)  # fmt: skip
    assert last.json()["status"] == "shipped"
    assert [s["shipment_id"] for s in last.json()["shipments"]] == ["SHP-1", "SHP-2"]
    assert len(last.json()["shipments"][0]["packages"]) == 2
    tee = await wms.position("DC-EAST", "TEE-1")
    assert (tee["on_hand"], tee["committed"]) == (7, 0)
    cap = await wms.position("DC-EAST", "CAP-1")
    assert (cap["on_hand"], cap["committed"]) == (3, 0)

    by_order = (await wms.client.get("/wms/v1/fulfillment-requests", params={"order_id": "ORD-9"})).json()
    assert [r["id"] for r in by_order] == [request["id"]]
    msgspec.convert(by_order[0], FulfillmentRequest, strict=False)

    events = await _events(wms)
    types = [event_type for event_type, _ in events]
    assert FULFILLMENT_REQUEST_RELEASED in types
    shipped = [msgspec.convert(p, ShipmentNotice, strict=False) for t, p in events if t == SHIPMENT_CONFIRMED]
    assert [notice.shipment_id for notice in shipped] == ["SHP-1", "SHP-2"]
    assert shipped[0].packages[1].carrier == "UPS"
    assert types.count(INVENTORY_POSITION_CHANGED) == 2 + 2 + 3  # receipts, commits, shipments (per SKU)


async def test_a_shipment_must_match_its_request(wms: Wms) -> None:
    await _stocked(wms, TEE_1=5)
    request = (await wms.release([("L1", "TEE-1", 2)])).json()
    url = f"/fulfillment-requests/{request['id']}/shipments"

    cases = {
        "lines[0].line_id": wms.notice(request, "S1", [("L9", "TEE-1", 1)]),
        "lines[0].sku": wms.notice(request, "S1", [("L1", "CAP-1", 1)]),
        "order_id": {**wms.notice(request, "S1", [("L1", "TEE-1", 1)]), "order_id": "OTHER"},
        "tenant": {**wms.notice(request, "S1", [("L1", "TEE-1", 1)]), "tenant": "acme"},
    }
    for field, body in cases.items():
        answer = await wms.post(url, body, key=None)
        assert answer.status_code == 422, (field, answer.text)
        assert answer.json()["errors"][0]["field"] == field
    for field, value in (("lines", []), ("tenant", {})):
        malformed = await wms.post(url, {**wms.notice(request, "S1", [("L1", "TEE-1", 1)]), field: value}, key=None)
        assert malformed.status_code == 400, malformed.text
        assert malformed.json()["errors"][0]["field"] == field
    assert (await wms.position("DC-EAST", "TEE-1"))["on_hand"] == 5


async def test_cancel_before_pick_releases_units_and_after_pick_is_409(wms: Wms) -> None:
    await _stocked(wms, TEE_1=10)
    request = (await wms.release([("L1", "TEE-1", 4), ("L2", "TEE-1", 2)])).json()
    base = f"/wms/v1/fulfillment-requests/{request['id']}"

    some = await wms.client.post(f"{base}/cancel", json={"lines": [{"line_id": "L1", "quantity": 3}]})
    assert some.status_code == 200, some.text
    assert some.json()["status"] == "released"
    assert (await wms.position("DC-EAST", "TEE-1"))["committed"] == 3
    too_many = await wms.client.post(f"{base}/cancel", json={"lines": [{"line_id": "L1", "quantity": 2}]})
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "lines[0].quantity"

    everything = await wms.client.post(f"{base}/cancel")
    assert everything.json()["status"] == "cancelled"
    assert [line["cancelled_quantity"] for line in everything.json()["lines"]] == [4, 2]
    assert (await wms.position("DC-EAST", "TEE-1"))["committed"] == 0
    assert (await wms.client.post(f"{base}/cancel")).status_code == 200, "cancelling again changes nothing"
    assert (await wms.client.post(f"{base}/pick")).status_code == 409

    picked = (await wms.release([("L1", "TEE-1", 1)], order_id="ORD-2")).json()
    pick = await wms.client.post(f"/wms/v1/fulfillment-requests/{picked['id']}/pick")
    assert pick.json()["status"] == "picked" and pick.json()["picked_at"]
    late = await wms.client.post(f"/wms/v1/fulfillment-requests/{picked['id']}/cancel")
    assert late.status_code == 409
    assert late.json()["code"] == "already_picked"
    assert (await wms.position("DC-EAST", "TEE-1"))["committed"] == 1


async def test_release_needs_a_key_stock_and_a_known_location_and_retries_apply_once(wms: Wms) -> None:
    await _stocked(wms, TEE_1=3)

    no_key = await wms.release([("L1", "TEE-1", 1)], key=None)
    short = await wms.release([("L1", "TEE-1", 4)])
    nowhere = await wms.release([("L1", "TEE-1", 1)], location="NOWHERE")
    twice = await wms.release([("L1", "TEE-1", 1), ("L1", "TEE-1", 1)])
    first = await wms.release([("L1", "TEE-1", 2)], key="order-ORD-1-release")
    retry = await wms.release([("L1", "TEE-1", 2)], key="order-ORD-1-release")

    assert no_key.status_code == 400
    assert short.status_code == 409 and short.json()["code"] == "insufficient_stock"
    assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["field"] == "location_id"
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "lines[1].line_id"
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert (await wms.position("DC-EAST", "TEE-1"))["committed"] == 2
    assert (await wms.client.get("/wms/v1/fulfillment-requests/FR-NOPE")).status_code == 404


async def test_return_receipts_restock_resellable_and_set_aside_damaged(wms: Wms) -> None:
    await _stocked(wms, TEE_1=2)
    body = {"location_id": "DC-EAST", "order_id": "ORD-1", "return_authorization_id": "RMA-5",
            "lines": [{"sku": "TEE-1", "quantity": 2, "condition": "resellable", "line_id": "L1"},
                      {"sku": "TEE-1", "quantity": 1, "condition": "damaged"}]}  # fmt: skip

    receipt = await wms.post("/return-receipts", body, key="rma-5-receipt")
    retry = await wms.post("/return-receipts", body, key="rma-5-receipt")
    bad = await wms.post("/return-receipts", {**body, "lines": [{"sku": "TEE-1", "quantity": 1, "condition": "meh"}]})

    assert receipt.status_code == 201, receipt.text
    assert retry.json()["id"] == receipt.json()["id"]
    position = await wms.position("DC-EAST", "TEE-1")
    assert (position["on_hand"], position["damaged"], position["available_to_sell"]) == (5, 1, 4)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "lines[0].condition"
    listed = (await wms.client.get("/wms/v1/return-receipts", params={"order_id": "ORD-1"})).json()
    assert [r["id"] for r in listed] == [receipt.json()["id"]]
    reasons = {
        e["reason"]
        for e in (await wms.client.get("/wms/v1/adjustments", params={"reference": receipt.json()["id"]})).json()
    }
    assert reasons == {"return_restock", "return_damaged"}


async def test_another_tenant_sees_and_changes_nothing(wms: Wms, anonymous_gateway: httpx.AsyncClient) -> None:
    await _stocked(wms, TEE_1=5)
    request = (await wms.release([("L1", "TEE-1", 2)])).json()
    other = await onboard(wms.product.settings, scopes=["wms:read", "wms:write"], tenants=["acme"])
    token = await fetch_token(anonymous_gateway, other.client_id, other.client_secret)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=anonymous_gateway._transport, base_url="http://gateway.test",
                                 headers=headers) as acme:  # fmt: skip
        seen = await acme.get(f"/wms/v1/fulfillment-requests/{request['id']}")
        cancel = await acme.post(f"/wms/v1/fulfillment-requests/{request['id']}/cancel")
        positions = await acme.get("/wms/v1/inventory-positions")
        ledger = await acme.get("/wms/v1/adjustments")
        shrink = {"location_id": "DC-EAST", "sku": "TEE-1", "reason": "shrinkage", "quantity": 1}
        adjust = await acme.post("/wms/v1/adjustments", headers={"Idempotency-Key": "k"}, json=shrink)

    assert seen.status_code == cancel.status_code == 404
    assert positions.json() == [] and ledger.json() == []
    assert adjust.status_code == 422 and adjust.json()["errors"][0]["field"] == "location_id"
    position = await wms.position("DC-EAST", "TEE-1")
    assert (position["on_hand"], position["committed"]) == (5, 2)


async def test_a_3pl_client_with_wms_write_confirms_shipments_and_wms_read_alone_cannot(
    wms: Wms, anonymous_gateway: httpx.AsyncClient
) -> None:
    await _stocked(wms, TEE_1=5)
    request = (await wms.release([("L1", "TEE-1", 2)])).json()
    notice = wms.notice(request, "3PL-S1", [("L1", "TEE-1", 2)])
    partner = await onboard(wms.product.settings, scopes=["wms:write"], name="Acme Logistics")
    reader = await onboard(wms.product.settings, scopes=["wms:read"], name="Reader")
    answers = []
    for client in (reader, partner):
        token = await fetch_token(anonymous_gateway, client.client_id, client.client_secret)
        url = f"/wms/v1/fulfillment-requests/{request['id']}/shipments"
        answers.append(await anonymous_gateway.post(url, json=notice, headers={"Authorization": f"Bearer {token}"}))

    refused, accepted = answers
    assert refused.status_code == 403
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["status"] == "shipped"
