"""One behavioural suite for every ERP backend: the reference backend (its own tables) and the NetSuite
connector against the NetSuite emulator on a real port. Each runs on SQLite and on PostgreSQL.

What a caller sees must not depend on the backend; where NetSuite is behind it, the emulator must also
hold the records the connector posted, in NetSuite's wire format."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.integration.erp_setup import ErpWorld, book, erp_database, key, sales_order, start_erp

__all__ = ["erp_database", "start_erp"]


@pytest.fixture(params=["reference", "netsuite"])
async def erp(request: pytest.FixtureRequest, start_erp: Any) -> ErpWorld:
    world: ErpWorld = await start_erp(request.param)
    return world


def held(world: ErpWorld, record_type: str, backend_id: str) -> dict[str, Any]:
    """The record the backend holds for a document (the reference backend's is the document itself)."""
    if world.netsuite is None:
        return {"id": backend_id}
    record = world.netsuite.records[record_type].get(backend_id)
    assert record is not None, f"NetSuite holds no {record_type} {backend_id}"
    return record


async def test_an_accepted_order_is_booked_once_and_readable(erp: ErpWorld) -> None:
    headers = key()
    first = await erp.client.post("/erp/v1/sales-orders", json=sales_order(), headers=headers)
    retry = await erp.client.post("/erp/v1/sales-orders", json=sales_order(), headers=headers)

    assert first.status_code == 201, first.text
    booked = first.json()
    assert booked["erp_order_ref"].startswith("SO-")
    assert booked["status"] == "booked"
    assert booked["legal_entity"] == "US01"
    assert booked["backend"] == erp.backend
    assert booked["total"] == {"amount": "101.00", "currency": "USD"}
    assert retry.status_code == 201 and retry.json() == booked
    assert retry.headers["idempotent-replayed"] == "true"
    assert (await erp.client.get(f"/erp/v1/sales-orders/{booked['erp_order_ref']}")).json() == booked
    found = await erp.client.get("/erp/v1/sales-orders", params={"source_id": "shopify-1001"})
    assert found.json() == {"sales_orders": [booked]}

    record = held(erp, "salesOrder", booked["backend_id"])
    if erp.netsuite is not None:
        assert record["externalId"] == booked["erp_order_ref"]
        assert erp.netsuite.records["customer"][record["entity"]["id"]]["externalId"] == "CUST-1001"
        assert [line["quantity"] for line in record["item"]["items"]] == [3, 1]
        assert len(erp.netsuite.records["salesOrder"]) == 1


async def test_the_same_source_order_under_another_key_is_a_conflict_naming_the_booking(erp: ErpWorld) -> None:
    booked = await book(erp.client)

    again = await erp.client.post("/erp/v1/sales-orders", json=sales_order(), headers=key())

    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_sales_order"
    assert again.json()["erp_order_ref"] == booked["erp_order_ref"]


async def test_a_refused_order_creates_nothing_anywhere(erp: ErpWorld) -> None:
    order = sales_order(customer={"customer_id": "CUST-1002", "tenant": "demo"})

    refused = await erp.client.post("/erp/v1/sales-orders", json=order, headers=key())

    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "sales_order_rejected"
    assert [reason["code"] for reason in refused.json()["reasons"]] == ["customer_on_credit_hold"]
    assert (await erp.client.get("/erp/v1/sales-orders", params={"source_id": "shopify-1001"})).json() == {
        "sales_orders": []
    }
    if erp.netsuite is not None:
        assert erp.netsuite.records["salesOrder"] == {}


async def test_partial_shipments_invoice_partially_and_add_up_to_the_order(erp: ErpWorld) -> None:
    booked = await book(erp.client)
    ref = booked["erp_order_ref"]

    first = await erp.client.post(f"/erp/v1/sales-orders/{ref}/shipments", json=shipment("SHP-1", L1=1), headers=key())
    assert first.status_code == 201, first.text
    assert (await erp.client.get(f"/erp/v1/sales-orders/{ref}")).json()["status"] == "partially_shipped"
    invoice_1 = await erp.client.post(
        f"/erp/v1/sales-orders/{ref}/invoices", json={"shipment_id": "SHP-1"}, headers=key()
    )
    assert invoice_1.status_code == 201, invoice_1.text
    inv1 = invoice_1.json()
    # 1 of 3 tees: 24.00 - 1.00 discount, 1.67 tax (5.01 / 3), plus the whole shipping and its 0.40 tax
    assert [(line["line_id"], line["quantity"], line["amount"]["amount"]) for line in inv1["lines"]] == [
        ("L1", 1, "23.00")
    ]
    assert inv1["tax"]["amount"] == "2.07"
    assert inv1["shipping"]["amount"] == "5.00"
    assert inv1["total"]["amount"] == "30.07"

    second = await erp.client.post(
        f"/erp/v1/sales-orders/{ref}/shipments", json=shipment("SHP-2", L1=2, L2=1), headers=key()
    )
    assert second.status_code == 201, second.text
    inv2 = (
        await erp.client.post(f"/erp/v1/sales-orders/{ref}/invoices", json={"shipment_id": "SHP-2"}, headers=key())
    ).json()
    assert inv2["shipping"]["amount"] == "0.00"
    assert Decimal(inv1["total"]["amount"]) + Decimal(inv2["total"]["amount"]) == Decimal("101.00")
    order = (await erp.client.get(f"/erp/v1/sales-orders/{ref}")).json()
    assert order["status"] == "shipped"
    assert order["invoiced_total"]["amount"] == "101.00"
    assert [line["invoiced_quantity"] for line in order["lines"]] == [3, 1]

    over = await erp.client.post(f"/erp/v1/sales-orders/{ref}/shipments", json=shipment("SHP-3", L2=1), headers=key())
    assert over.status_code == 409
    assert over.json()["code"] == "over_shipment"
    twice = await erp.client.post(f"/erp/v1/sales-orders/{ref}/invoices", json={"shipment_id": "SHP-1"}, headers=key())
    assert twice.status_code == 409
    assert twice.json()["invoice_id"] == inv1["invoice_id"]

    if erp.netsuite is not None:
        fulfillment = held(erp, "itemFulfillment", first.json()["backend_id"])
        assert fulfillment["item"]["items"] == [
            {"orderLine": 1, "quantity": 1, "itemreceive": True, "location": 6},
            {"orderLine": 2, "itemreceive": False},
        ]
        billed = held(erp, "invoice", inv1["backend_id"])
        assert [(i["orderLine"], i["quantity"]) for i in billed["item"]["items"]] == [(1, 1), (2, 0)]
        sales = held(erp, "salesOrder", booked["backend_id"])
        assert [(i["quantityFulfilled"], i["quantityBilled"]) for i in sales["item"]["items"]] == [(3, 3), (1, 1)]


async def test_units_cut_after_booking_are_neither_shipped_nor_billed(erp: ErpWorld) -> None:
    booked = await book(erp.client)
    ref = booked["erp_order_ref"]
    await erp.client.post(f"/erp/v1/sales-orders/{ref}/shipments", json=shipment("SHP-1", L1=1), headers=key())
    inv1 = await erp.client.post(f"/erp/v1/sales-orders/{ref}/invoices", json={"shipment_id": "SHP-1"}, headers=key())
    assert inv1.status_code == 201, inv1.text

    cut = {"lines": [{"line_id": "L1", "quantity": 1}, {"line_id": "L2", "quantity": 1}], "reason": "order edit"}
    cut_key = key()
    changed = await erp.client.post(f"/erp/v1/sales-orders/{ref}/line-cancellations", json=cut, headers=cut_key)
    replayed = await erp.client.post(f"/erp/v1/sales-orders/{ref}/line-cancellations", json=cut, headers=cut_key)
    too_many = await erp.client.post(
        f"/erp/v1/sales-orders/{ref}/line-cancellations",
        json={"lines": [{"line_id": "L1", "quantity": 2}]},
        headers=key(),
    )

    assert changed.status_code == 200, changed.text
    assert replayed.json() == changed.json(), "a retried cut replays, it does not cut twice"
    assert [(line["quantity"], line["cancelled_quantity"]) for line in changed.json()["lines"]] == [(3, 1), (1, 1)]
    assert too_many.status_code == 409
    assert (too_many.json()["code"], too_many.json()["lines"][0]["open"]) == ("over_cancellation", 1)
    over = await erp.client.post(f"/erp/v1/sales-orders/{ref}/shipments", json=shipment("SHP-X", L2=1), headers=key())
    assert over.status_code == 409 and over.json()["code"] == "over_shipment", "a cut unit cannot ship"

    await erp.client.post(f"/erp/v1/sales-orders/{ref}/shipments", json=shipment("SHP-2", L1=1), headers=key())
    inv2 = (
        await erp.client.post(f"/erp/v1/sales-orders/{ref}/invoices", json={"shipment_id": "SHP-2"}, headers=key())
    ).json()
    # the last tee takes what two tees carry (2.00 discount, 3.34 tax) less what the first was billed
    assert [(line["amount"]["amount"], line["tax"]["amount"]) for line in inv2["lines"]] == [("23.00", "1.67")]
    order = (await erp.client.get(f"/erp/v1/sales-orders/{ref}")).json()
    assert order["status"] == "shipped"
    assert order["invoiced_total"]["amount"] == "54.74", "two tees, shipping and their tax: nothing cut is billed"

    if erp.netsuite is not None:
        sales = held(erp, "salesOrder", booked["backend_id"])
        assert [(i["quantity"], i.get("isClosed")) for i in sales["item"]["items"]] == [(2, False), (1, True)]
        patches = [body for method, _path, body in erp.netsuite.requests if method == "PATCH"]
        assert patches == [
            {"item": {"items": [{"line": 1, "isClosed": False, "quantity": 2}, {"line": 2, "isClosed": True}]}}
        ]


async def test_credit_memos_never_exceed_the_invoice(erp: ErpWorld) -> None:
    ref = (await book(erp.client))["erp_order_ref"]
    await erp.client.post(f"/erp/v1/sales-orders/{ref}/shipments", json=shipment("SHP-1", L1=3, L2=1), headers=key())
    invoice = (
        await erp.client.post(f"/erp/v1/sales-orders/{ref}/invoices", json={"shipment_id": "SHP-1"}, headers=key())
    ).json()
    assert invoice["total"]["amount"] == "101.00"

    memo_body = {
        "invoice_id": invoice["invoice_id"],
        "amount": {"amount": "60.00", "currency": "USD"},
        "reason": "return",
        "source_id": "RMA-1",
    }
    headers = key()
    memo = await erp.client.post("/erp/v1/credit-memos", json=memo_body, headers=headers)
    replay = await erp.client.post("/erp/v1/credit-memos", json=memo_body, headers=headers)
    too_much = await erp.client.post(
        "/erp/v1/credit-memos", json={**memo_body, "amount": {"amount": "41.01", "currency": "USD"}}, headers=key()
    )
    rest = await erp.client.post(
        "/erp/v1/credit-memos", json={**memo_body, "amount": {"amount": "41.00", "currency": "USD"}}, headers=key()
    )

    assert memo.status_code == 201, memo.text
    assert memo.json()["credit_memo_id"].startswith("CM-")
    assert memo.json()["legal_entity"] == "US01"
    assert replay.json() == memo.json()
    assert too_much.status_code == 422
    assert too_much.json()["code"] == "credit_exceeds_invoice"
    assert too_much.json()["remaining"] == {"amount": "41.00", "currency": "USD"}
    assert rest.status_code == 201
    read = (await erp.client.get(f"/erp/v1/invoices/{invoice['invoice_id']}")).json()
    assert read["credited"]["amount"] == "101.00"
    memos = (await erp.client.get(f"/erp/v1/invoices/{invoice['invoice_id']}/credit-memos")).json()["credit_memos"]
    assert [m["amount"]["amount"] for m in memos] == ["60.00", "41.00"]
    if erp.netsuite is not None:
        assert len(erp.netsuite.records["creditMemo"]) == 2
        record = held(erp, "creditMemo", memo.json()["backend_id"])
        assert record["createdFrom"] == {"id": invoice["backend_id"]}
        assert record["item"]["items"][0]["amount"] == 60.0


async def test_ready_reflects_the_backend(erp: ErpWorld) -> None:
    ready = await erp.client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["backend"] == "ok"


def shipment(shipment_id: str, **quantities: int) -> dict[str, Any]:
    skus = {"L1": "TSHIRT-BLK-M", "L2": "CAP-NVY-OS"}
    return {
        "tenant": "demo",
        "shipment_id": shipment_id,
        "order_id": "shopify-1001",
        "location_id": "DC-EAST",
        "lines": [{"line_id": line, "sku": skus[line], "quantity": q} for line, q in quantities.items()],
        "shipped_at": "2026-11-21T09:00:00Z",
        "packages": [{"tracking_number": f"1Z{shipment_id}", "carrier": "UPS"}],
    }
