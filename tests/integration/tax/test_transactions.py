"""Committed tax transactions through the gateway, on SQLite and PostgreSQL: exactly one transaction per order
even under concurrent retries, refunds that never reverse more than was committed, events, and tenancy."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from canonical.streams import TAX_EVENTS
from omnigate.runtime import EmbeddedProduct
from system_apis.tax.models import TaxOutbox, TransactionLineRecord, TransactionRecord
from tests.helpers import fetch_token, onboard
from tests.integration.tax.baskets import ALBANY, LA, NYC, basket, count


async def test_concurrent_commit_retries_make_exactly_one_transaction(
    product: EmbeddedProduct, tax: httpx.AsyncClient
) -> None:
    body = basket(NYC, order_id="ORD-1001", document_reference="SO-77")
    headers = {"Idempotency-Key": "commit-ORD-1001"}

    answers = await asyncio.gather(*(tax.post("/tax/v1/transactions", json=body, headers=headers) for _ in range(5)))

    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    assert len({a.json()["transaction_id"] for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 4
    transaction = answers[0].json()
    assert (transaction["status"], transaction["total_tax"], transaction["document_reference"]) == (
        "committed",
        "2.21",
        "SO-77",
    )
    assert await count(product, TransactionRecord) == 1
    assert await count(product, TransactionLineRecord) == 2
    assert await count(product, TaxOutbox, TaxOutbox.event_type == "tax.transaction.committed") == 1
    assert await count(product, TaxOutbox, TaxOutbox.stream != TAX_EVENTS) == 0
    shown = await tax.get(f"/tax/v1/transactions/{transaction['transaction_id']}")
    found = await tax.get("/tax/v1/transactions", params={"order_id": "ORD-1001"})
    assert shown.json() == transaction
    assert found.json() == {"transactions": [transaction]}


async def test_the_same_order_under_other_keys_is_a_409_naming_the_transaction(
    product: EmbeddedProduct, tax: httpx.AsyncClient
) -> None:
    body = basket(NYC, order_id="ORD-2002")

    answers = await asyncio.gather(
        *(tax.post("/tax/v1/transactions", json=body, headers={"Idempotency-Key": f"key-{i}"}) for i in range(4))
    )
    later = await tax.post("/tax/v1/transactions", json=body, headers={"Idempotency-Key": "key-later"})

    created = [a for a in answers if a.status_code == 201]
    assert len(created) == 1, [a.text for a in answers]
    transaction_id = created[0].json()["transaction_id"]
    for refused in [*(a for a in answers if a.status_code != 201), later]:
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "order_already_committed"
        assert refused.json()["transaction_id"] == transaction_id
    assert await count(product, TransactionRecord) == 1


async def test_refunds_reverse_part_then_the_rest_and_never_more(
    product: EmbeddedProduct, tax: httpx.AsyncClient
) -> None:
    body = basket(
        NYC,
        order_id="ORD-3003",
        lines=[
            {"line_id": "1", "sku": "HOODIE-GRY-M", "quantity": 3, "amount": "10.00"},  # tax 0.8875 -> 0.89
            {"line_id": "2", "sku": "CAP-NVY-OS", "quantity": 1, "amount": "19.99"},  # tax 1.77
        ],
    )
    committed = (await tax.post("/tax/v1/transactions", json=body, headers={"Idempotency-Key": "c"})).json()
    path = f"/tax/v1/transactions/{committed['transaction_id']}/refunds"

    async def refund(key: str, **request: Any) -> httpx.Response:
        return await tax.post(path, json=request, headers={"Idempotency-Key": key})

    one = await refund("r1", lines=[{"line_id": "1", "quantity": 1}], reference="RMA-1")
    replay = await refund("r1", lines=[{"line_id": "1", "quantity": 1}], reference="RMA-1")
    two = await refund("r2", lines=[{"line_id": "1", "quantity": 1}])
    last = await refund("r3", lines=[{"line_id": "1", "quantity": 1}])
    too_many = await refund("r4", lines=[{"line_id": "1", "quantity": 1}])
    too_much_shipping = await refund("r5", shipping="5.01")
    adjustment = await refund("r6", lines=[{"line_id": "2", "amount": "5.00"}], shipping="2.00")
    rest = await refund("r7", full=True)
    nothing_left = await refund("r8", full=True)

    assert one.status_code == 201, one.text
    assert replay.json() == one.json() and replay.headers["idempotent-replayed"] == "true"
    assert [(r.json()["lines"][0]["amount"], r.json()["lines"][0]["tax"]) for r in (one, two, last)] == [
        ("3.33", "0.30"),  # 0.89 * 3.33 / 10.00 = 0.296... -> 0.30
        ("3.33", "0.30"),
        ("3.34", "0.29"),  # the last unit reverses exactly what is left
    ]
    assert one.json()["reference"] == "RMA-1"
    assert too_many.status_code == 409
    assert too_many.json()["code"] == "refund_exceeds_committed"
    assert too_many.json()["remaining_quantity"] == 0
    assert too_much_shipping.status_code == 409
    assert too_much_shipping.json()["code"] == "refund_exceeds_committed"
    assert too_much_shipping.json()["remaining_shipping"] == "5.00"
    assert too_many.json()["remaining_amount"] == "0.00"
    assert adjustment.status_code == 201, adjustment.text
    # 1.77 * 5.00 / 19.99 = 0.4427 -> 0.44; shipping 0.44 * 2.00 / 5.00 = 0.176 -> 0.18
    assert (adjustment.json()["lines"][0]["tax"], adjustment.json()["shipping_tax"]) == ("0.44", "0.18")
    assert rest.status_code == 201, rest.text
    assert [(line["line_id"], line["amount"], line["tax"]) for line in rest.json()["lines"]] == [("2", "14.99", "1.33")]
    assert (rest.json()["shipping_amount"], rest.json()["shipping_tax"]) == ("3.00", "0.26")
    assert nothing_left.status_code == 409
    assert nothing_left.json()["code"] == "already_refunded"

    final = (await tax.get(f"/tax/v1/transactions/{committed['transaction_id']}")).json()
    assert final["status"] == "refunded"
    assert final["refunded_tax"] == final["total_tax"] == committed["total_tax"] == "3.10"
    assert final["refunded_amount"] == final["total_amount"] == "34.99"
    assert [line["refunded_quantity"] for line in final["lines"]] == [3, 1]
    assert len(final["refunds"]) == 5
    assert await count(product, TaxOutbox, TaxOutbox.event_type == "tax.refund.recorded") == 5


async def test_a_partial_refund_marks_the_transaction_partially_refunded(tax: httpx.AsyncClient) -> None:
    committed = (
        await tax.post("/tax/v1/transactions", json=basket(LA, order_id="ORD-4"), headers={"Idempotency-Key": "c4"})
    ).json()
    path = f"/tax/v1/transactions/{committed['transaction_id']}/refunds"

    refund = await tax.post(path, json={"lines": [{"line_id": "1", "quantity": 1}]}, headers={"Idempotency-Key": "p"})
    shown = (await tax.get(f"/tax/v1/transactions/{committed['transaction_id']}")).json()

    assert refund.json()["total_tax"] == "1.74"  # 3.48 / 2
    assert shown["status"] == "partially_refunded"
    assert shown["lines"][0]["refunded_quantity"] == 1


async def test_refund_input_errors_are_4xx(tax: httpx.AsyncClient) -> None:
    committed = (
        await tax.post("/tax/v1/transactions", json=basket(NYC, order_id="ORD-6"), headers={"Idempotency-Key": "c6"})
    ).json()
    path = f"/tax/v1/transactions/{committed['transaction_id']}/refunds"
    cases = [
        ({}, "lines"),
        ({"full": True, "shipping": "1.00"}, "full"),
        ({"lines": [{"line_id": "9", "quantity": 1}]}, "lines[0].line_id"),
        ({"lines": [{"line_id": "1", "quantity": 1, "amount": "1.00"}]}, "lines[0]"),
        ({"lines": [{"line_id": "1", "amount": "0.001"}]}, "lines[0].amount"),
        ({"lines": [{"line_id": "1", "quantity": 0}]}, "lines[0].quantity"),
    ]
    for index, (body, field) in enumerate(cases):
        answer = await tax.post(path, json=body, headers={"Idempotency-Key": f"bad-{index}"})
        assert answer.status_code == 400, (body, answer.text)
        assert any(field == error["field"] for error in answer.json()["errors"]), (body, answer.json())
    unknown = await tax.post(
        "/tax/v1/transactions/txn_00000000000000000000000000000000/refunds",
        json={"full": True},
        headers={"Idempotency-Key": "u"},
    )
    malformed = await tax.get("/tax/v1/transactions/not-an-id")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_transaction"
    assert malformed.status_code == 400


async def test_tenants_never_see_each_others_tax(product: EmbeddedProduct, tax: httpx.AsyncClient) -> None:
    async def token(tenant: str) -> dict[str, str]:
        client = await onboard(product.settings, scopes=["tax:read", "tax:write"], tenants=[tenant])
        return {"Authorization": f"Bearer {await fetch_token(tax, client.client_id, client.client_secret)}"}

    demo_transaction = (
        await tax.post("/tax/v1/transactions", json=basket(NYC, order_id="ORD-7"), headers={"Idempotency-Key": "c7"})
    ).json()
    acme = await token("acme")
    path = f"/tax/v1/transactions/{demo_transaction['transaction_id']}"

    shown = await tax.get(path, headers=acme)
    found = await tax.get("/tax/v1/transactions", params={"order_id": "ORD-7"}, headers=acme)
    refunded = await tax.post(f"{path}/refunds", json={"full": True}, headers={**acme, "Idempotency-Key": "x"})
    calculated = await tax.post("/tax/v1/calculate", json=basket(NYC), headers=acme)
    jurisdictions = await tax.get("/tax/v1/jurisdictions", headers=acme)
    await tax.put(
        "/tax/v1/jurisdictions/US-NY",
        json={"name": "NY", "country_code": "US", "region_code": "US-NY", "rates": {"standard": "0.5"}},
        headers=acme,
    )
    own_order = await tax.post(
        "/tax/v1/transactions", json=basket(ALBANY, order_id="ORD-7"), headers={**acme, "Idempotency-Key": "c7"}
    )

    assert shown.status_code == 404
    assert found.json() == {"transactions": []}
    assert refunded.status_code == 404
    assert calculated.status_code == 422 and calculated.json()["code"] == "unknown_jurisdiction"
    assert jurisdictions.json() == {"jurisdictions": []}
    assert own_order.status_code == 201, "the same order id and key are acme's own"
    assert own_order.json()["lines"][1]["rate"] == "0.5"
    assert (await tax.get(path)).json()["status"] == "committed"
    demo_ny = await tax.get("/tax/v1/jurisdictions/US-NY")
    assert demo_ny.json()["rates"]["standard"] == "0.08"
