"""The NetSuite connector against the emulator on a real port: what only NetSuite can answer (records it
lacks, credentials it refuses, outages), TBA and OAuth 2.0 bearer authentication, and recovery of a
record posted before our side crashed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from service_kit.settings import ConfigurationError
from system_apis.erp.adapters.netsuite_auth import TokenBasedAuthentication
from system_apis.erp.settings import ErpSettings, build_backend
from tests.integration.erp_setup import ErpWorld, book, erp_database, key, sales_order, start_erp

__all__ = ["erp_database", "start_erp"]

ORDERS = "/erp/v1/sales-orders"


@pytest.fixture
async def netsuite(start_erp: Any) -> ErpWorld:
    world: ErpWorld = await start_erp("netsuite")
    assert world.netsuite is not None
    return world


async def test_a_customer_netsuite_does_not_know_is_refused_and_nothing_is_created(netsuite: ErpWorld) -> None:
    assert netsuite.netsuite is not None
    netsuite.netsuite.records["customer"].clear()

    answer = await netsuite.client.post(ORDERS, json=sales_order(), headers=key())

    assert answer.status_code == 422
    assert [r["code"] for r in answer.json()["reasons"]] == ["unknown_customer"]
    assert netsuite.netsuite.records["salesOrder"] == {}
    assert (await netsuite.client.get(ORDERS, params={"source_id": "shopify-1001"})).json() == {"sales_orders": []}
    retried = await netsuite.client.post(ORDERS, json=sales_order(), headers=key())
    assert retried.status_code == 422, "nothing was half-written: the retry is judged afresh"


async def test_an_order_netsuite_holds_from_before_a_crash_is_found_not_duplicated(netsuite: ErpWorld) -> None:
    assert netsuite.netsuite is not None
    customer = netsuite.netsuite.by_external_id("customer", "CUST-1001")
    assert customer is not None
    earlier = netsuite.netsuite.add("salesOrder", "SO-000001", entity={"id": customer["id"]}, item={"items": []})

    booked = await book(netsuite.client)

    assert booked["erp_order_ref"] == "SO-000001"
    assert booked["backend_id"] == earlier
    assert len(netsuite.netsuite.records["salesOrder"]) == 1


async def test_refused_credentials_are_a_bad_gateway_and_write_nothing(netsuite: ErpWorld) -> None:
    assert netsuite.netsuite is not None
    netsuite.netsuite.credentials = type(netsuite.netsuite.credentials)(token_secret="rotated")

    answer = await netsuite.client.post(ORDERS, json=sales_order(), headers=key())

    assert answer.status_code == 502
    assert answer.json()["code"] == "erp_backend_error"
    assert "INVALID_LOGIN" in answer.json()["detail"]
    assert (await netsuite.client.get(ORDERS, params={"source_id": "shopify-1001"})).json() == {"sales_orders": []}


async def test_an_outage_is_unavailable_and_ready_says_so(netsuite: ErpWorld) -> None:
    assert netsuite.netsuite is not None
    netsuite.netsuite.fail_with = 503

    answer = await netsuite.client.post(ORDERS, json=sales_order(), headers=key())
    ready = await netsuite.client.get("/ready")

    assert answer.status_code == 503
    assert answer.json()["code"] == "erp_unavailable"
    assert ready.status_code == 503
    assert ready.json()["checks"]["backend"].startswith("failing")
    netsuite.netsuite.fail_with = None
    assert (await netsuite.client.get("/ready")).status_code == 200
    assert (await netsuite.client.post(ORDERS, json=sales_order(), headers=key())).status_code == 201


async def test_every_request_is_signed_with_tba_hmac_sha256(netsuite: ErpWorld) -> None:
    assert netsuite.netsuite is not None
    await book(netsuite.client)

    methods = {(method, path.split("/")[5]) for method, path, _body in netsuite.netsuite.requests}
    assert ("POST", "salesOrder") in methods
    assert ("GET", "customer") in methods and ("GET", "inventoryItem") in methods
    url = f"{netsuite.netsuite.base_url}/services/rest/record/v1/customer"
    auth = TokenBasedAuthentication(
        account="1234567_SB1",
        consumer_key="ck-omnigate",
        consumer_secret="cs-omnigate",
        token_id="tk-omnigate",
        token_secret="ts-omnigate",
    )
    async with httpx.AsyncClient() as raw:
        signed = await raw.get(url, params={"limit": "1"}, auth=auth)
        unsigned = await raw.get(url)
        header = auth.authorization("GET", httpx.URL(url))
        tampered = await raw.get(url, params={"limit": "2"}, headers={"Authorization": header})
        first = await raw.get(url, headers={"Authorization": (header := auth.authorization("GET", httpx.URL(url)))})
        replayed = await raw.get(url, headers={"Authorization": header})
    assert signed.status_code == first.status_code == 200
    for refused in (unsigned, tampered, replayed):
        assert refused.status_code == 401
        assert refused.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
    assert 'oauth_signature_method="HMAC-SHA256"' in header and header.startswith('OAuth realm="1234567_SB1"')


async def test_an_oauth2_bearer_token_works_as_well(start_erp: Any) -> None:
    world: ErpWorld = await start_erp("netsuite", bearer=True)

    booked = await book(world.client)

    assert world.netsuite is not None
    assert world.netsuite.records["salesOrder"][booked["backend_id"]]["externalId"] == booked["erp_order_ref"]


def test_incomplete_netsuite_settings_fail_at_start_up_naming_the_variables() -> None:
    with pytest.raises(ConfigurationError, match="OMNIGATE_NETSUITE_TOKEN_SECRET"):
        build_backend(ErpSettings(backend="netsuite", netsuite_endpoint="https://x", netsuite_credit_item="9"))
    settings = ErpSettings.from_env(
        {"OMNIGATE_ERP_BACKEND": "netsuite", "OMNIGATE_NETSUITE_LOCATIONS": "DC-EAST=6, DC-WEST=7"}
    )
    assert settings.netsuite_locations == {"DC-EAST": "6", "DC-WEST": "7"}
    with pytest.raises(ConfigurationError, match="OMNIGATE_NETSUITE_SUBSIDIARIES"):
        ErpSettings.from_env({"OMNIGATE_NETSUITE_SUBSIDIARIES": "US01"})
