"""The NetSuite connector and its emulator against real SuiteTalk REST bodies (``tests/fixtures/netsuite``).

What the connector posts must have the shape NetSuite documents for the same call (references as ``{"id": ...}``,
lines under ``item.items``, transforms naming ``orderLine`` and ``quantity``), and the emulator must accept the
documented bodies themselves, so neither side of the tests drifts into a format of its own.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.contract.test_erp_backends import shipment
from tests.emulators.netsuite import NetSuiteEmulator
from tests.helpers import vendor_fixtures
from tests.integration.erp_setup import ErpWorld, book, erp_database, key, start_erp

__all__ = ["erp_database", "start_erp"]

FIXTURES = vendor_fixtures("netsuite")
INVOICE_FROM_ORDER = "case-7-create-invoice-or-cash-sales-from-sales-order__json0"


def documented(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return body


def shape_mismatches(sent: Any, documented: Any, path: str = "$") -> list[str]:
    """Where ``sent`` differs in structure from ``documented``: a documented key missing, or another JSON type
    (NetSuite sends ids both as strings and as numbers, so either counts as an id)."""
    if isinstance(documented, dict):
        if not isinstance(sent, dict):
            return [f"{path}: an object is documented, {type(sent).__name__} was sent"]
        return [
            problem
            for name, value in documented.items()
            for problem in (
                shape_mismatches(sent[name], value, f"{path}.{name}") if name in sent else [f"{path}.{name}: missing"]
            )
        ]
    if isinstance(documented, list):
        if not isinstance(sent, list) or not sent:
            return [f"{path}: a non-empty array is documented"]
        return [problem for item in sent for problem in shape_mismatches(item, documented[0], f"{path}[]")]
    if path.endswith(".id"):
        return [] if isinstance(sent, str | int) else [f"{path}: an id is documented"]
    if isinstance(documented, bool) or isinstance(sent, bool):
        return [] if type(sent) is type(documented) else [f"{path}: a boolean is documented"]
    if isinstance(documented, int | float):
        return [] if isinstance(sent, int | float) else [f"{path}: a number is documented"]
    return [] if isinstance(sent, type(documented)) else [f"{path}: {type(documented).__name__} is documented"]


def posted(emulator: NetSuiteEmulator, path_end: str) -> list[Any]:
    return [body for method, path, body in emulator.requests if method == "POST" and path.endswith(path_end)]


@pytest.fixture
async def netsuite(start_erp: Any) -> ErpWorld:
    world: ErpWorld = await start_erp("netsuite")
    return world


async def test_what_the_connector_posts_has_the_documented_shape(netsuite: ErpWorld) -> None:
    emulator = netsuite.netsuite
    assert emulator is not None
    ref = (await book(netsuite.client))["erp_order_ref"]
    orders = f"/erp/v1/sales-orders/{ref}"
    shipped = await netsuite.client.post(f"{orders}/shipments", json=shipment("SHP-1", L1=1), headers=key())
    assert shipped.status_code == 201, shipped.text
    invoiced = await netsuite.client.post(f"{orders}/invoices", json={"shipment_id": "SHP-1"}, headers=key())
    assert invoiced.status_code == 201, invoiced.text

    [sales_order] = posted(emulator, "/record/v1/salesOrder")
    [fulfillment] = posted(emulator, "/!transform/itemFulfillment")
    [invoice] = posted(emulator, "/!transform/invoice")

    assert shape_mismatches(sales_order, documented("case-1-create-your-sales-order__json0")) == []
    fulfilled, skipped = documented("case-6-fulfill-sales-order__json0")["item"]["items"]
    sent_fulfilled, sent_skipped = fulfillment["item"]["items"]
    assert shape_mismatches(sent_fulfilled, fulfilled) == []
    assert shape_mismatches(sent_skipped, {"orderLine": 2, "itemreceive": False}) == []
    assert set(skipped) == {"orderLine", "location", "itemreceive"}, "the documented way to leave a line out"
    assert shape_mismatches(invoice, documented(INVOICE_FROM_ORDER)) == []


async def test_the_emulator_accepts_the_documented_bodies(netsuite: ErpWorld) -> None:
    """NetSuite's own examples, posted as they are: create an order, fulfil it, bill it."""
    emulator = netsuite.netsuite
    assert emulator is not None
    emulator.records["customer"]["110"] = {"id": "110", "companyName": "Documented customer"}
    emulator.records["inventoryItem"]["98"] = {"id": "98", "itemId": "DOCUMENTED"}
    record = f"{emulator.base_url}/services/rest/record/v1"
    credentials = emulator.credentials
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {credentials.access_token}"}) as http:
        created = await http.post(f"{record}/salesOrder", json=documented("case-1-create-your-sales-order__json1"))
        assert created.status_code == 204, created.text
        order = created.headers["location"].rsplit("/", 1)[1]
        assert emulator.records["salesOrder"][order]["otherrefnum"] == "11037"

        fulfilment = documented("case-6-fulfill-sales-order__json0")
        fulfilment["item"]["items"] = fulfilment["item"]["items"][:1]  # the documented order had a 4th line
        fulfilled = await http.post(f"{record}/salesOrder/{order}/!transform/itemFulfillment", json=fulfilment)
        assert fulfilled.status_code == 204, fulfilled.text

        billing = {"item": {"items": [{"orderLine": 1, "quantity": 1}]}}
        assert shape_mismatches(billing, documented(INVOICE_FROM_ORDER)) == []
        billed = await http.post(f"{record}/salesOrder/{order}/!transform/invoice", json=billing)
        assert billed.status_code == 204, billed.text

        fetched = (await http.get(f"{record}/salesOrder/{order}")).json()
    retrieved = documented("case-3-retrieve-sales-order__json0")
    assert {"id", "entity"} <= set(fetched) & set(retrieved)
    [line] = fetched["item"]["items"]
    assert (line["quantityFulfilled"], line["quantityBilled"]) == (1, 1)
