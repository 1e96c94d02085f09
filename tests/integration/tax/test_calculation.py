"""Tax calculation through the gateway, on SQLite and PostgreSQL: the demo jurisdictions, precedence, shipping
taxability, exemptions, JPY rounding, unknown jurisdictions, the admin routes, scopes, bad input and readiness."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from omnigate.runtime import EmbeddedProduct
from system_apis.tax.app import SERVICE as TAX
from tests.conftest import fast_settings
from tests.helpers import fetch_token, onboard, running_in_own_task
from tests.integration.tax.baskets import ALBANY, AUSTIN, LA, LONDON, NYC, PORTLAND, TORONTO, basket


async def test_calculation_follows_the_most_specific_jurisdiction_and_its_shipping_rule(tax: httpx.AsyncClient) -> None:
    answers = {
        name: await tax.post("/tax/v1/calculate", json=basket(address, currency))
        for name, address, currency in [
            ("nyc", NYC, "USD"),
            ("albany", ALBANY, "USD"),
            ("portland", PORTLAND, "USD"),
            ("la", LA, "USD"),
            ("toronto", TORONTO, "CAD"),
            ("london", LONDON, "GBP"),
        ]
    }
    for answer in answers.values():
        assert answer.status_code == 200, answer.text

    def summary(name: str) -> tuple[str, list[tuple[str, str]], str, str]:
        body = answers[name].json()
        return (
            body["jurisdiction"]["code"],
            [(line["rate"], line["tax"]) for line in body["lines"]],
            body["shipping"]["tax"],
            body["total_tax"],
        )

    # NYC: clothing 0, 19.99 * 8.875% = 1.7741 -> 1.77, shipping 5.00 * 8.875% = 0.44375 -> 0.44
    assert summary("nyc") == ("US-NY-NYC", [("0", "0.00"), ("0.08875", "1.77")], "0.44", "2.21")
    # Rest of New York State: clothing 4%, standard 8%, shipping taxable
    assert summary("albany") == ("US-NY", [("0.04", "1.92"), ("0.08", "1.60")], "0.40", "3.92")
    assert summary("portland") == ("US-OR", [("0", "0.00"), ("0", "0.00")], "0.00", "0.00")
    # California: shipping not taxable; 48.00 * 7.25% = 3.48, 19.99 * 7.25% = 1.449275 -> 1.45
    assert summary("la") == ("US-CA", [("0.0725", "3.48"), ("0.0725", "1.45")], "0.00", "4.93")
    assert answers["la"].json()["shipping"]["taxable"] is False
    assert summary("toronto") == ("CA-ON", [("0.13", "6.24"), ("0.13", "2.60")], "0.65", "9.49")
    assert summary("london") == ("GB", [("0.2", "9.60"), ("0.2", "4.00")], "1.00", "14.60")
    nyc = answers["nyc"].json()
    assert (nyc["total_amount"], nyc["total_taxable"], nyc["currency"]) == ("72.99", "72.99", "USD")
    assert nyc["lines"][1]["jurisdiction"] == "US-NY-NYC"


async def test_an_unknown_jurisdiction_is_a_422_naming_the_address_fields(tax: httpx.AsyncClient) -> None:
    answer = await tax.post("/tax/v1/calculate", json=basket(AUSTIN))
    commit = await tax.post(
        "/tax/v1/transactions", json=basket(AUSTIN, order_id="ORD-TX"), headers={"Idempotency-Key": "tx-1"}
    )

    for response in (answer, commit):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["code"] == "unknown_jurisdiction"
        assert problem["fields"] == ["ship_to.country_code", "ship_to.region_code", "ship_to.postal_code"]
        assert problem["address"] == {"country_code": "US", "region_code": "US-TX", "postal_code": "78701"}
    assert (await tax.get("/tax/v1/transactions", params={"order_id": "ORD-TX"})).json() == {"transactions": []}


async def test_an_exemption_certificate_holds_in_its_scope_only(tax: httpx.AsyncClient) -> None:
    in_ny = await tax.post("/tax/v1/calculate", json=basket(NYC, customer_id="CUST-1003"))
    in_ca = await tax.post("/tax/v1/calculate", json=basket(LA, customer_id="CUST-1003"))
    expired = await tax.put(
        "/tax/v1/exemptions/CERT-OLD", json={"customer_id": "CUST-1001", "scope": "US-CA", "valid_until": "2020-12-31"}
    )
    still_taxed = await tax.post("/tax/v1/calculate", json=basket(LA, customer_id="CUST-1001"))
    listed = await tax.get("/tax/v1/exemptions", params={"customer_id": "CUST-1003"})

    assert in_ny.json()["total_tax"] == "0.00"
    assert in_ny.json()["exemption"] == {"certificate_id": "CERT-1003-NY", "scope": "US-NY", "valid_until": None}
    assert all(line["exempt"] for line in in_ny.json()["lines"])
    assert in_ca.json()["total_tax"] == "4.93"
    assert expired.status_code == 201, expired.text
    assert still_taxed.json()["total_tax"] == "4.93"
    assert [e["certificate_id"] for e in listed.json()["exemptions"]] == ["CERT-1003-NY"]


async def test_jpy_is_rounded_to_whole_yen(tax: httpx.AsyncClient) -> None:
    japan = {"name": "Japan (consumption tax)", "country_code": "JP", "rates": {"standard": "0.10", "food": "0.08"}}
    put = await tax.put("/tax/v1/jurisdictions/JP", json={**japan, "shipping_taxable": True})
    tokyo = {"line1": "1-1 Marunouchi", "city": "Tokyo", "postal_code": "100-0005", "country_code": "JP"}
    body = {
        "ship_to": tokyo,
        "currency": "JPY",
        "lines": [
            {"line_id": "a", "sku": "TEA-1", "tax_code": "food", "quantity": 3, "amount": "1005"},
            {"line_id": "b", "sku": "MUG-1", "quantity": 1, "amount": "1995"},
        ],
        "shipping": "555",
    }
    answer = await tax.post("/tax/v1/calculate", json=body)
    cents = await tax.post("/tax/v1/calculate", json={**body, "shipping": "555.5"})

    assert put.status_code == 201, put.text
    assert answer.status_code == 200, answer.text
    assert [line["tax"] for line in answer.json()["lines"]] == ["80", "200"]  # 80.4 -> 80, 199.5 -> 200
    assert (answer.json()["shipping"]["tax"], answer.json()["total_tax"]) == ("56", "336")
    assert cents.status_code == 400
    assert cents.json()["errors"][0]["field"] == "shipping"


@pytest.mark.parametrize(
    ("path", "body", "headers", "field"),
    [
        ("/tax/v1/calculate", {**basket(NYC), "currency": "XAU"}, {}, "currency"),
        ("/tax/v1/calculate", basket(NYC, shipping="-1.00"), {}, "shipping"),
        ("/tax/v1/calculate", basket(NYC, shipping="1.001"), {}, "shipping"),
        ("/tax/v1/calculate", {**basket(NYC), "lines": []}, {}, "lines"),
        ("/tax/v1/calculate", {**basket(NYC), "shipping": 1.5e308}, {}, "shipping"),
        ("/tax/v1/calculate", {**basket(NYC), "shipping": "NaN"}, {}, "shipping"),
        ("/tax/v1/calculate", {**basket(NYC), "shipping": "-Infinity"}, {}, "shipping"),
        (
            "/tax/v1/calculate",
            {**basket(NYC), "lines": [{"line_id": "1", "sku": "A", "quantity": 1, "amount": "1e30"}]},
            {},
            "lines[0].amount",
        ),
        (
            "/tax/v1/calculate",
            {**basket(NYC), "lines": [{"line_id": "1", "sku": "A", "quantity": 1, "amount": "1"}] * 2},
            {},
            "lines[1].line_id",
        ),
        ("/tax/v1/calculate", {**basket(NYC), "ship_to": {**NYC, "country_code": "usa"}}, {}, "ship_to.country_code"),
        ("/tax/v1/calculate", {**basket(NYC), "surprise": 1}, {}, "surprise"),
        ("/tax/v1/transactions", basket(NYC, order_id="ORD-5"), {}, None),
        ("/tax/v1/transactions", basket(NYC), {"Idempotency-Key": "k"}, "order_id"),
        ("/tax/v1/jurisdictions/XX", {"name": "X", "country_code": "US", "rates": {"food": "0"}}, {}, "rates"),
        ("/tax/v1/jurisdictions/XX", {"name": "X", "country_code": "US", "rates": {"standard": "1.5"}}, {}, "rates"),
        ("/tax/v1/jurisdictions/xx", {"name": "X", "country_code": "US", "rates": {"standard": "0"}}, {}, "code"),
        (
            "/tax/v1/jurisdictions/XX",
            {"name": "X", "country_code": "US", "region_code": "CA-ON", "rates": {"standard": "0"}},
            {},
            "region_code",
        ),
    ],
)
async def test_bad_input_is_a_4xx_problem_naming_the_field(
    tax: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str], field: str | None
) -> None:
    method = tax.put if "jurisdictions" in path else tax.post
    answer = await method(path, json=body, headers=headers)

    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    if field is None:
        assert answer.json()["code"] == "idempotency_key_required"
    else:
        problem = answer.json()
        assert problem["code"] == "invalid_request"
        assert any(field in error["field"] for error in problem["errors"]) or field in problem["detail"], problem


async def test_jurisdictions_are_listed_and_replaced_and_never_overlap(tax: httpx.AsyncClient) -> None:
    listed = await tax.get("/tax/v1/jurisdictions", params={"country_code": "US"})
    ny = {
        "name": "New York State",
        "country_code": "US",
        "region_code": "US-NY",
        "rates": {"standard": "0.085"},
        "shipping_taxable": True,
    }
    replaced = await tax.put("/tax/v1/jurisdictions/US-NY", json=ny)
    again = await tax.put("/tax/v1/jurisdictions/US-NY", json=ny)
    overlap = await tax.put("/tax/v1/jurisdictions/NY-AGAIN", json=ny)
    albany = await tax.post("/tax/v1/calculate", json=basket(ALBANY))
    mexico = {"name": "Mexico (IVA)", "country_code": "MX", "rates": {"standard": "0.16"}}
    racing = await asyncio.gather(*(tax.put("/tax/v1/jurisdictions/MX", json=mexico) for _ in range(4)))

    assert [j["code"] for j in listed.json()["jurisdictions"]] == ["US-CA", "US-NY", "US-NY-NYC", "US-OR"]
    assert (replaced.status_code, again.status_code) == (200, 200)
    assert replaced.json()["rates"] == {"standard": "0.085"}
    assert overlap.status_code == 409
    assert overlap.json() | {"jurisdiction": "US-NY"} == overlap.json()
    assert albany.json()["lines"][0]["rate"] == "0.085", "codes a jurisdiction does not list use standard"
    statuses = [answer.status_code for answer in racing]
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201, 409}, [a.text for a in racing]


async def test_scopes_guard_reads_and_writes(product: EmbeddedProduct, tax: httpx.AsyncClient) -> None:
    reader = await onboard(product.settings, scopes=["tax:read"])
    headers = {"Authorization": f"Bearer {await fetch_token(tax, reader.client_id, reader.client_secret)}"}

    listed = await tax.get("/tax/v1/jurisdictions", headers=headers)
    quoted = await tax.post("/tax/v1/calculate", json=basket(NYC), headers=headers)
    quoted_with_slash = await tax.post("/tax/v1/calculate/", json=basket(NYC), headers=headers)
    commit = await tax.post(
        "/tax/v1/transactions", json=basket(NYC, order_id="ORD-8"), headers={**headers, "Idempotency-Key": "c8"}
    )
    put = await tax.put("/tax/v1/exemptions/C-1", json={"customer_id": "X"}, headers=headers)

    assert listed.status_code == 200
    assert quoted.status_code == quoted_with_slash.status_code == 200, "a quote writes nothing: tax:read suffices"
    for refused in (commit, put):
        assert refused.status_code == 403
        assert 'scope="tax:write"' in refused.headers["www-authenticate"]


async def test_ready_reflects_the_database(product: EmbeddedProduct, tmp_path: Path) -> None:
    unreachable = fast_settings(tmp_path, database_urls={"tax": "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"})
    async with running_in_own_task(EmbeddedProduct(unreachable, services=[TAX]).running()) as broken:
        answers = []
        for running in (product, broken):
            transport = httpx.ASGITransport(app=running.asgi["tax"])  # type: ignore[arg-type]
            async with httpx.AsyncClient(transport=transport, base_url="http://tax.test") as client:
                answers.append(await client.get("/ready"))
    ready, not_ready = answers

    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert not_ready.status_code == 503
    assert not_ready.json()["code"] == "not_ready"
    assert not_ready.json()["checks"]["database"].startswith("failing")
