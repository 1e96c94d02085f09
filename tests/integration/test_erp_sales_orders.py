"""ERP sales orders on the reference backend, on SQLite and PostgreSQL: every reject reason (by validate
and by book, with nothing created), idempotent booking under concurrent retries, tenant isolation,
problem answers for bad input, and the events the outbox records."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from service_kit.database import Database
from system_apis.erp.models import ErpOutbox, SalesOrderRecord
from tests.integration.erp_setup import ErpWorld, book, erp_database, key, sales_order, start_erp

__all__ = ["erp_database", "start_erp"]

ORDERS = "/erp/v1/sales-orders"


@pytest.fixture
async def erp(start_erp: Any) -> ErpWorld:
    world: ErpWorld = await start_erp("reference")
    return world


async def orders_in_database(world: ErpWorld) -> int:
    database = Database(world.settings.database_url_for("erp"))
    try:
        async with database.reading() as session:
            return int(await session.scalar(select(func.count()).select_from(SalesOrderRecord)) or 0)
    finally:
        await database.dispose()


def line(index: int, **changes: Any) -> list[dict[str, Any]]:
    lines = sales_order()["lines"]
    lines[index].update(changes)
    return lines


def in_currency(order: dict[str, Any], currency: str) -> dict[str, Any]:
    converted: dict[str, Any] = json.loads(json.dumps(order).replace('"USD"', f'"{currency}"'))
    return converted


REJECTIONS: list[tuple[str, dict[str, Any], str, str | None]] = [
    ("credit hold", {"customer": {"customer_id": "CUST-1002", "tenant": "demo"}}, "customer_on_credit_hold", None),
    ("blocked", {"customer": {"customer_id": "CUST-1004", "tenant": "demo"}}, "customer_blocked", None),
    ("unknown customer", {"customer": {"customer_id": "CUST-9999", "tenant": "demo"}}, "unknown_customer", None),
    ("unknown SKU", {"lines": line(1, sku="NOPE-1")}, "unknown_sku", "L2"),
    (
        "inactive SKU",
        {"lines": line(1, sku="SCARF-WOL-OS", unit_price={"amount": "39.00", "currency": "USD"})},
        "inactive_sku",
        "L2",
    ),
    ("price", {"lines": line(0, unit_price={"amount": "25.00", "currency": "USD"})}, "price_mismatch", "L1"),
    ("payment pending", {"financial_status": "pending"}, "payment_not_authorized", None),
    ("payment voided", {"financial_status": "voided"}, "payment_not_authorized", None),
    ("fraud", {"fraud_hold": True}, "fraud_hold", None),
    ("no address", {"shipping_address": None}, "missing_tax_jurisdiction", None),
    (
        "no US state",
        {
            "shipping_address": {
                "line1": "1 Main St",
                "city": "Springfield",
                "country_code": "US",
                "postal_code": "01101",
            }
        },
        "missing_tax_jurisdiction",
        None,
    ),
    ("legal entity", {"legal_entity": "XX99"}, "unknown_legal_entity", None),
]


@pytest.mark.parametrize(("case", "changes", "code", "line_id"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
async def test_each_reject_reason_by_validate_and_by_book(
    erp: ErpWorld, case: str, changes: dict[str, Any], code: str, line_id: str | None
) -> None:
    order = sales_order(**changes)

    validated = await erp.client.post(f"{ORDERS}/validate", json=order)
    booked = await erp.client.post(ORDERS, json=order, headers=key())

    assert validated.status_code == 200, validated.text
    assert validated.json()["accepted"] is False
    reasons = validated.json()["reasons"]
    assert [(r["code"], r.get("line_id")) for r in reasons] == [(code, line_id)], reasons
    assert booked.status_code == 422, booked.text
    assert booked.json()["code"] == "sales_order_rejected"
    assert booked.json()["reasons"] == reasons
    assert await orders_in_database(erp) == 0


async def test_an_order_in_another_currency_than_the_legal_entity_is_refused(erp: ErpWorld) -> None:
    answer = await erp.client.post(f"{ORDERS}/validate", json=in_currency(sales_order(), "EUR"))

    codes = [reason["code"] for reason in answer.json()["reasons"]]
    assert "currency_mismatch" in codes
    assert "price_mismatch" in codes, "USD list prices do not price a EUR line"


async def test_a_customer_over_its_credit_limit_is_refused(erp: ErpWorld) -> None:
    small = {"customer": {"customer_id": "CUST-1005", "tenant": "demo"}}
    await book(erp.client, **small)  # 101.00 of a 150.00 limit

    second = await erp.client.post(
        ORDERS, json=sales_order(order_id="shopify-1002", external_id="1002", **small), headers=key()
    )

    assert second.status_code == 422
    assert [r["code"] for r in second.json()["reasons"]] == ["credit_limit_exceeded"]
    assert "150.00" in second.json()["reasons"][0]["message"]


async def test_every_reason_is_listed_not_just_the_first(erp: ErpWorld) -> None:
    order = sales_order(
        customer={"customer_id": "CUST-1002", "tenant": "demo"},
        financial_status="pending",
        fraud_hold=True,
        lines=line(0, sku="NOPE-1"),
    )

    answer = await erp.client.post(f"{ORDERS}/validate", json=order)

    assert [r["code"] for r in answer.json()["reasons"]] == [
        "customer_on_credit_hold",
        "unknown_sku",
        "payment_not_authorized",
        "fraud_hold",
    ]


async def test_validate_accepts_a_good_order_and_writes_nothing(erp: ErpWorld) -> None:
    answer = await erp.client.post(f"{ORDERS}/validate", json=sales_order())

    assert answer.json() == {"accepted": True, "reasons": [], "legal_entity": "US01"}
    assert await orders_in_database(erp) == 0


async def test_the_customers_price_list_prices_its_orders(erp: ErpWorld) -> None:
    trade = {"customer": {"customer_id": "CUST-2001", "tenant": "demo"}}
    at_list = sales_order(**trade)
    at_trade = sales_order(**trade, lines=line(0, unit_price={"amount": "12.00", "currency": "USD"}))

    refused = (await erp.client.post(f"{ORDERS}/validate", json=at_list)).json()
    accepted = (await erp.client.post(f"{ORDERS}/validate", json=at_trade)).json()

    assert [r["code"] for r in refused["reasons"]] == ["price_mismatch"]
    assert "WHOLESALE-USD" in refused["reasons"][0]["message"]
    assert accepted["accepted"] is True, "the cap is not on the trade list: its list price applies"


async def test_a_guest_order_books_to_the_legal_entitys_guest_account(erp: ErpWorld) -> None:
    booked = await book(erp.client, customer=None)

    assert booked["customer_id"] == "WEB-GUEST"


async def test_concurrent_retries_with_one_key_book_exactly_one_order(erp: ErpWorld) -> None:
    headers = key()

    answers = await asyncio.gather(*(erp.client.post(ORDERS, json=sales_order(), headers=headers) for _ in range(6)))

    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    assert len({a.json()["erp_order_ref"] for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 5
    assert await orders_in_database(erp) == 1


async def test_concurrent_bookings_of_one_source_order_under_different_keys_make_one(erp: ErpWorld) -> None:
    answers = await asyncio.gather(*(erp.client.post(ORDERS, json=sales_order(), headers=key()) for _ in range(4)))

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 409, 409, 409], [a.text for a in answers]
    ref = next(a.json()["erp_order_ref"] for a in answers if a.status_code == 201)
    assert {a.json()["erp_order_ref"] for a in answers if a.status_code == 409} == {ref}
    assert await orders_in_database(erp) == 1


async def test_booking_needs_an_idempotency_key(erp: ErpWorld) -> None:
    answer = await erp.client.post(ORDERS, json=sales_order())

    assert answer.status_code == 400
    assert answer.json()["code"] == "idempotency_key_required"
    assert await orders_in_database(erp) == 0


async def test_one_tenant_never_sees_or_changes_anothers_documents(erp: ErpWorld) -> None:
    booked = await book(erp.client)
    ref = booked["erp_order_ref"]
    other = {"X-Omnigate-Tenant": "acme"}

    read = await erp.client.get(f"{ORDERS}/{ref}", headers=other)
    found = await erp.client.get(ORDERS, params={"source_id": "shopify-1001"}, headers=other)
    shipped = await erp.client.post(
        f"{ORDERS}/{ref}/shipments",
        json={
            "tenant": "acme",
            "shipment_id": "S",
            "order_id": "shopify-1001",
            "location_id": "DC-EAST",
            "lines": [{"line_id": "L1", "sku": "TSHIRT-BLK-M", "quantity": 1}],
            "shipped_at": "2026-11-21T09:00:00Z",
        },
        headers={**other, **key()},
    )
    posing = await erp.client.post(
        ORDERS, json=sales_order(tenant="acme", customer={"customer_id": "CUST-1001", "tenant": "acme"}), headers=key()
    )

    assert read.status_code == 404
    assert found.json() == {"sales_orders": []}
    assert shipped.status_code == 404
    assert posing.status_code == 422
    assert posing.json()["code"] == "tenant_mismatch"


BAD_REQUESTS: list[tuple[str, str, str, Any, int, str]] = [
    ("not JSON", "POST", ORDERS, b"{not json", 400, "bad_request"),
    ("negative quantity", "POST", ORDERS, sales_order(lines=line(0, quantity=-1)), 400, "invalid_request"),
    (
        "float-free money",
        "POST",
        ORDERS,
        sales_order(total={"amount": "abc", "currency": "USD"}),
        400,
        "invalid_request",
    ),
    (
        "mixed currencies",
        "POST",
        ORDERS,
        sales_order(shipping={"amount": "5.00", "currency": "EUR"}),
        400,
        "invalid_request",
    ),
    ("no lines", "POST", ORDERS, sales_order(lines=[]), 400, "invalid_request"),
    # a body field named like a dependency (``tenant``): Litestar called it a server error
    ("tenant not a string", "POST", f"{ORDERS}/validate", sales_order(tenant={}), 400, "invalid_request"),
    ("bad reference", "GET", f"{ORDERS}/not-a-ref", None, 400, "invalid_request"),
    ("unknown reference", "GET", f"{ORDERS}/SO-999999", None, 404, "unknown_sales_order"),
    ("unknown invoice", "GET", "/erp/v1/invoices/INV-999999", None, 404, "unknown_invoice"),
    ("unknown credit memo", "GET", "/erp/v1/credit-memos/CM-999999", None, 404, "unknown_credit_memo"),
    (
        "credit on no invoice",
        "POST",
        "/erp/v1/credit-memos",
        {"invoice_id": "INV-999999", "amount": {"amount": "1.00", "currency": "USD"}, "reason": "x"},
        404,
        "unknown_invoice",
    ),
    ("missing source id", "GET", ORDERS, None, 400, "invalid_request"),
]


@pytest.mark.parametrize(
    ("case", "method", "path", "body", "status", "code"), BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS]
)
async def test_bad_input_is_a_problem_naming_it_never_a_500(
    erp: ErpWorld, case: str, method: str, path: str, body: Any, status: int, code: str
) -> None:
    content = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": "application/json", **key()}

    answer = await erp.client.request(method, path, content=content, headers=headers)

    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == code


async def test_shipments_that_do_not_match_the_order_are_refused(erp: ErpWorld) -> None:
    ref = (await book(erp.client))["erp_order_ref"]

    async def ship(**changes: Any) -> httpx.Response:
        body = {
            "tenant": "demo",
            "shipment_id": "SHP-X",
            "order_id": "shopify-1001",
            "location_id": "DC-EAST",
            "lines": [{"line_id": "L1", "sku": "TSHIRT-BLK-M", "quantity": 1}],
            "shipped_at": "2026-11-21T09:00:00Z",
            **changes,
        }
        return await erp.client.post(f"{ORDERS}/{ref}/shipments", json=body, headers=key())

    unknown_line = await ship(lines=[{"line_id": "L9", "sku": "TSHIRT-BLK-M", "quantity": 1}])
    wrong_sku = await ship(lines=[{"line_id": "L1", "sku": "CAP-NVY-OS", "quantity": 1}])
    other_order = await ship(order_id="shopify-7")
    zero = await ship(lines=[{"line_id": "L1", "sku": "TSHIRT-BLK-M", "quantity": 0}])
    split_over = await ship(lines=[{"line_id": "L1", "sku": "TSHIRT-BLK-M", "quantity": 2}] * 2)
    good = await ship()
    same_id = await ship()
    not_shipped = await erp.client.post(f"{ORDERS}/{ref}/invoices", json={"shipment_id": "SHP-NONE"}, headers=key())

    assert (unknown_line.status_code, unknown_line.json()["code"]) == (422, "unknown_order_line")
    assert (wrong_sku.status_code, wrong_sku.json()["code"]) == (422, "sku_mismatch")
    assert (other_order.status_code, other_order.json()["code"]) == (422, "order_mismatch")
    assert (zero.status_code, zero.json()["code"]) == (400, "invalid_request")
    assert (split_over.status_code, split_over.json()["code"]) == (409, "over_shipment")
    assert split_over.json()["lines"] == [{"line_id": "L1", "ordered": 3, "shipped": 0, "cancelled": 0, "requested": 4}]
    assert good.status_code == 201, good.text
    assert (same_id.status_code, same_id.json()["code"]) == (409, "duplicate_shipment")
    assert (not_shipped.status_code, not_shipped.json()["code"]) == (404, "unknown_shipment")


async def test_credit_memo_amounts_must_be_positive_whole_cents_in_the_invoice_currency(erp: ErpWorld) -> None:
    ref = (await book(erp.client))["erp_order_ref"]
    shipment = {
        "tenant": "demo",
        "shipment_id": "SHP-1",
        "order_id": "shopify-1001",
        "location_id": "DC-EAST",
        "lines": [{"line_id": "L2", "sku": "CAP-NVY-OS", "quantity": 1}],
        "shipped_at": "2026-11-21T09:00:00Z",
    }
    await erp.client.post(f"{ORDERS}/{ref}/shipments", json=shipment, headers=key())
    invoice = (await erp.client.post(f"{ORDERS}/{ref}/invoices", json={"shipment_id": "SHP-1"}, headers=key())).json()

    async def credit(amount: str, currency: str = "USD") -> httpx.Response:
        body = {"invoice_id": invoice["invoice_id"], "amount": {"amount": amount, "currency": currency}, "reason": "x"}
        return await erp.client.post("/erp/v1/credit-memos", json=body, headers=key())

    assert (await credit("0.00")).json()["code"] == "invalid_amount"
    assert (await credit("-1.00")).json()["code"] == "invalid_amount"
    assert (await credit("1.005")).json()["code"] == "invalid_amount"
    assert (await credit("1.00", "EUR")).json()["code"] == "currency_mismatch"
    assert (await credit("1.00")).status_code == 201


async def test_each_document_is_announced_in_order_on_the_erp_stream(erp: ErpWorld) -> None:
    ref = (await book(erp.client))["erp_order_ref"]
    shipment = {
        "tenant": "demo",
        "shipment_id": "SHP-1",
        "order_id": "shopify-1001",
        "location_id": "DC-EAST",
        "lines": [{"line_id": "L2", "sku": "CAP-NVY-OS", "quantity": 1}],
        "shipped_at": "2026-11-21T09:00:00Z",
    }
    await erp.client.post(f"{ORDERS}/{ref}/shipments", json=shipment, headers=key())
    invoice = (await erp.client.post(f"{ORDERS}/{ref}/invoices", json={"shipment_id": "SHP-1"}, headers=key())).json()
    memo = {"invoice_id": invoice["invoice_id"], "amount": {"amount": "5.00", "currency": "USD"}, "reason": "goodwill"}
    assert (await erp.client.post("/erp/v1/credit-memos", json=memo, headers=key())).status_code == 201

    database = Database(erp.settings.database_url_for("erp"))
    try:
        async with database.reading() as session:
            rows = (
                await session.execute(
                    select(ErpOutbox.stream, ErpOutbox.event_type, ErpOutbox.aggregate_id, ErpOutbox.sequence)
                    .where(ErpOutbox.event_type.like("erp.%"))
                    .order_by(ErpOutbox.id)
                )
            ).all()
    finally:
        await database.dispose()
    assert [tuple(row) for row in rows] == [
        ("erp.events", "erp.sales_order.booked", ref, 1),
        ("erp.events", "erp.shipment.posted", ref, 2),
        ("erp.events", "erp.invoice.posted", ref, 3),
        ("erp.events", "erp.credit_memo.posted", ref, 4),
    ]


async def test_line_discounts_split_over_shipments_lose_no_cent(erp: ErpWorld) -> None:
    usd = lambda amount: {"amount": amount, "currency": "USD"}  # noqa: E731
    lines = line(0, discount=usd("1.00"))
    ref = (await book(erp.client, lines=lines, discounts=usd("1.00"), total=usd("103.00")))["erp_order_ref"]
    totals = []
    discounts = []
    for number, lines_shipped in enumerate(
        [[("L1", "TSHIRT-BLK-M")], [("L1", "TSHIRT-BLK-M")], [("L1", "TSHIRT-BLK-M"), ("L2", "CAP-NVY-OS")]], 1
    ):
        shipment = {
            "tenant": "demo",
            "shipment_id": f"SHP-{number}",
            "order_id": "shopify-1001",
            "location_id": "DC-EAST",
            "lines": [{"line_id": line_id, "sku": sku, "quantity": 1} for line_id, sku in lines_shipped],
            "shipped_at": "2026-11-21T09:00:00Z",
        }
        assert (await erp.client.post(f"{ORDERS}/{ref}/shipments", json=shipment, headers=key())).status_code == 201
        invoice = (
            await erp.client.post(f"{ORDERS}/{ref}/invoices", json={"shipment_id": f"SHP-{number}"}, headers=key())
        ).json()
        totals.append(invoice["total"]["amount"])
        discounts.append(invoice["lines"][0]["discount"]["amount"])

    assert discounts == ["0.33", "0.33", "0.34"], "pro rata, the last units take the remainder"
    assert totals == ["30.74", "25.34", "46.92"]
    assert sum(map(Decimal, totals)) == Decimal("103.00")
