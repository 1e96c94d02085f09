"""The NetSuite connector against the emulator on a real port: what only NetSuite can answer (records it
lacks, credentials it refuses, outages), TBA and OAuth 2.0 bearer authentication, and recovery of a
record posted before our side crashed."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

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


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"creditHoldOverride": {"id": "ON", "refName": "On"}}, "customer_on_credit_hold"),
        ({"isInactive": True}, "customer_blocked"),
        ({"creditLimit": 150.0, "balance": 40.0, "unbilledOrders": 20.0}, "credit_limit_exceeded"),
    ],
)
async def test_the_customers_standing_in_netsuite_decides_not_our_copy(
    netsuite: ErpWorld, fields: dict[str, Any], code: str
) -> None:
    assert netsuite.netsuite is not None
    customer = netsuite.netsuite.by_external_id("customer", "CUST-1001")
    assert customer is not None
    customer.update(fields)  # changed in NetSuite; our table still says active with no limit

    decision = await netsuite.client.post(f"{ORDERS}/validate", json=sales_order())
    booking = await netsuite.client.post(ORDERS, json=sales_order(), headers=key())

    assert decision.status_code == 200
    assert [reason["code"] for reason in decision.json()["reasons"]] == [code]
    assert booking.status_code == 422
    assert [reason["code"] for reason in booking.json()["reasons"]] == [code]
    assert netsuite.netsuite.records["salesOrder"] == {}

    customer.update({"creditHoldOverride": {"id": "OFF", "refName": "Off"}, "isInactive": False})
    waived = await netsuite.client.post(ORDERS, json=sales_order(), headers=key())
    assert waived.status_code == 201, "with the hold overridden off, no limit applies"


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


@pytest.mark.parametrize("algorithm", ["PS256", "ES256"])
async def test_the_client_credentials_flow_fetches_a_token_once_and_again_when_it_expires(
    start_erp: Any, algorithm: Any
) -> None:
    world: ErpWorld = await start_erp("netsuite", m2m=algorithm)
    emulator = world.netsuite
    assert emulator is not None

    booked = await book(world.client)

    assert emulator.records["salesOrder"][booked["backend_id"]]["externalId"] == booked["erp_order_ref"]
    grants = [body for method, path, body in emulator.requests if path.endswith("/oauth2/v1/token")]
    assert len(grants) == 1, "one token serves every call while it is valid"
    assert grants[0]["iss"] == "m2m-client-omnigate"
    assert grants[0]["aud"] == f"{emulator.base_url}/services/rest/auth/oauth2/v1/token"
    assert grants[0]["scope"] == ["rest_webservices"] and grants[0]["exp"] - grants[0]["iat"] <= 3600

    emulator.issued.clear()  # NetSuite no longer knows the token (revoked, or expired early): 401, then a new one
    ref = booked["erp_order_ref"]
    read = await world.client.post(f"{ORDERS}/{ref}/shipments", json=_shipment(), headers=key())
    assert read.status_code == 201, read.text
    assert len([p for _m, p, _b in emulator.requests if p.endswith("/oauth2/v1/token")]) == 2


async def test_an_assertion_netsuite_cannot_verify_is_a_bad_gateway_naming_the_grant_error(start_erp: Any) -> None:
    world: ErpWorld = await start_erp("netsuite", m2m="PS256")
    assert world.netsuite is not None
    other = rsa.generate_private_key(65537, 2048).public_key()
    world.netsuite.credentials = dataclasses.replace(
        world.netsuite.credentials,
        public_key_pem=other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    )  # the mapped certificate was replaced in NetSuite

    answer = await world.client.post(ORDERS, json=sales_order(), headers=key())

    assert answer.status_code == 502
    assert answer.json()["code"] == "erp_backend_error"
    assert "invalid_grant" in answer.json()["detail"] and "signature" in answer.json()["detail"]
    assert world.netsuite.records["salesOrder"] == {}


def _shipment() -> dict[str, Any]:
    return {
        "tenant": "demo",
        "shipment_id": "SHP-M2M",
        "order_id": "shopify-1001",
        "location_id": "DC-EAST",
        "lines": [{"line_id": "L1", "sku": "TSHIRT-BLK-M", "quantity": 1}],
        "shipped_at": "2026-11-21T09:00:00Z",
        "packages": [{"tracking_number": "1ZM2M", "carrier": "UPS"}],
    }


def test_incomplete_netsuite_settings_fail_at_start_up_naming_the_variables() -> None:
    with pytest.raises(ConfigurationError, match="OMNIGATE_NETSUITE_TOKEN_SECRET"):
        build_backend(ErpSettings(backend="netsuite", netsuite_endpoint="https://x", netsuite_credit_item="9"))
    settings = ErpSettings.from_env(
        {"OMNIGATE_ERP_BACKEND": "netsuite", "OMNIGATE_NETSUITE_LOCATIONS": "DC-EAST=6, DC-WEST=7"}
    )
    assert settings.netsuite_locations == {"DC-EAST": "6", "DC-WEST": "7"}
    with pytest.raises(ConfigurationError, match="OMNIGATE_NETSUITE_SUBSIDIARIES"):
        ErpSettings.from_env({"OMNIGATE_NETSUITE_SUBSIDIARIES": "US01"})
    m2m = {"backend": "netsuite", "netsuite_endpoint": "https://x", "netsuite_credit_item": "9"}
    with pytest.raises(ConfigurationError, match="OMNIGATE_NETSUITE_CERTIFICATE_ID"):
        build_backend(ErpSettings(**m2m, netsuite_client_id="c", netsuite_private_key_file="/nonexistent.pem"))
    with pytest.raises(ConfigurationError, match=r"cannot read /nonexistent\.pem"):
        build_backend(
            ErpSettings(
                **m2m, netsuite_client_id="c", netsuite_certificate_id="k", netsuite_private_key_file="/nonexistent.pem"
            )
        )
