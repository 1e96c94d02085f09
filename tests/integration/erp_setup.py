"""Fixtures for the ERP system API run on its own: its database migrated (SQLite and PostgreSQL), its
master data loaded through its own routes, on the reference backend or on NetSuite (the emulator on a
real loopback port). Test modules import what they use from here."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from omnigate import migrations
from service_kit.app import ServiceRuntime
from service_kit.events.bus import InMemoryEventBus
from service_kit.http.registry import ServiceRegistry
from service_kit.settings import Settings
from system_apis.erp.app import build_app
from system_apis.erp.settings import ErpSettings
from tests.conftest import fast_settings
from tests.emulators.netsuite import NetSuiteEmulator, running_netsuite
from tests.helpers import running_in_own_task

__all__ = ["ErpWorld", "book", "erp_database", "key", "sales_order", "start_erp"]

TENANT = "demo"
_CUSTOMERS: dict[str, dict[str, Any]] = {
    "CUST-1001": {
        "email": "ada@example.com",
        "credit_limit": {"amount": "5000.00", "currency": "USD"},
        "price_list": "RETAIL-USD",
    },
    "CUST-1002": {"email": "grace@example.com", "status": "credit_hold"},
    "CUST-1004": {"email": "blocked@example.com", "status": "blocked"},
    "CUST-1005": {"email": "small@example.com", "credit_limit": {"amount": "150.00", "currency": "USD"}},
    "CUST-2001": {"email": "trade@example.com", "price_list": "WHOLESALE-USD"},
    "WEB-GUEST": {},
}
_ITEMS = {"TSHIRT-BLK-M": ("24.00", True), "CAP-NVY-OS": ("19.99", True), "SCARF-WOL-OS": ("39.00", False)}


@dataclass
class ErpWorld:
    """The ERP under test, as its callers see it, and the NetSuite emulator behind it (if any)."""

    client: httpx.AsyncClient
    backend: str
    netsuite: NetSuiteEmulator | None
    settings: Settings


def key() -> dict[str, str]:
    """A fresh ``Idempotency-Key`` header."""
    return {"Idempotency-Key": uuid.uuid4().hex}


def sales_order(**changes: Any) -> dict[str, Any]:
    """A paid Shopify order of CUST-1001: 3 tees (3.00 off) and a cap, shipped to New York, total 101.00."""
    order: dict[str, Any] = {
        "tenant": TENANT,
        "order_id": "shopify-1001",
        "channel": "shopify",
        "external_id": "1001",
        "order_number": "#1001",
        "currency": "USD",
        "lines": [
            {
                "line_id": "L1",
                "sku": "TSHIRT-BLK-M",
                "title": "Classic Tee",
                "quantity": 3,
                "unit_price": {"amount": "24.00", "currency": "USD"},
                "discount": {"amount": "3.00", "currency": "USD"},
                "tax": {"amount": "5.01", "currency": "USD"},
            },
            {
                "line_id": "L2",
                "sku": "CAP-NVY-OS",
                "title": "Canvas Cap",
                "quantity": 1,
                "unit_price": {"amount": "19.99", "currency": "USD"},
                "tax": {"amount": "1.60", "currency": "USD"},
            },
        ],
        "shipping": {"amount": "5.00", "currency": "USD"},
        "discounts": {"amount": "3.00", "currency": "USD"},
        "tax": {"amount": "7.01", "currency": "USD"},
        "total": {"amount": "101.00", "currency": "USD"},
        "financial_status": "paid",
        "placed_at": "2026-11-20T10:00:00Z",
        "updated_at": "2026-11-20T10:00:00Z",
        "customer": {"customer_id": "CUST-1001", "tenant": TENANT},
        "shipping_address": {
            "line1": "120 Spring St",
            "city": "New York",
            "region_code": "US-NY",
            "postal_code": "10012",
            "country_code": "US",
        },
    }
    order.update(copy.deepcopy(changes))
    return order


async def book(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    answer = await client.post("/erp/v1/sales-orders", json=sales_order(**changes), headers=key())
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.fixture
async def erp_database(database_url: str, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings whose ERP database (SQLite or a fresh PostgreSQL one) is migrated to its head."""
    settings = fast_settings(tmp_path, database_url=database_url)
    await asyncio.to_thread(migrations.upgrade, settings, ["erp"])
    yield settings


async def _load_master_data(client: httpx.AsyncClient) -> None:
    async def put(path: str, body: dict[str, Any]) -> None:
        answer = await client.put(path, json=body)
        assert answer.status_code in (200, 201), answer.text

    await put(
        "/erp/v1/legal-entities/US01",
        {
            "name": "Omnigate Retail US Inc.",
            "currency": "USD",
            "country_code": "US",
            "is_default": True,
            "guest_customer_id": "WEB-GUEST",
        },
    )
    for sku, (price, active) in _ITEMS.items():
        await put(
            f"/erp/v1/items/{sku}",
            {"title": sku, "price": {"amount": price, "currency": "USD"}, "tax_code": "PC040100", "active": active},
        )
    await put(
        "/erp/v1/price-lists/RETAIL-USD",
        {
            "name": "Retail",
            "currency": "USD",
            "prices": [
                {"sku": "TSHIRT-BLK-M", "unit_price": {"amount": "24.00", "currency": "USD"}},
                {"sku": "CAP-NVY-OS", "unit_price": {"amount": "19.99", "currency": "USD"}},
            ],
        },
    )
    await put(
        "/erp/v1/price-lists/WHOLESALE-USD",
        {
            "name": "Wholesale",
            "currency": "USD",
            "prices": [{"sku": "TSHIRT-BLK-M", "unit_price": {"amount": "12.00", "currency": "USD"}}],
        },
    )
    for customer_id, customer in _CUSTOMERS.items():
        await put(f"/erp/v1/customers/{customer_id}", customer)


def netsuite_settings(
    emulator: NetSuiteEmulator, *, bearer: bool = False, m2m: Literal["PS256", "ES256"] | None = None
) -> ErpSettings:
    """Connector settings for the emulator: TBA, a static bearer token, or the client credentials flow with a
    freshly made key pair (the public half mapped in the emulator, the private half in a PEM file)."""
    credentials = emulator.credentials
    if m2m is not None:
        private = ec.generate_private_key(ec.SECP256R1()) if m2m == "ES256" else rsa.generate_private_key(65537, 2048)
        public_pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        emulator.credentials = dataclasses.replace(credentials, public_key_pem=public_pem)
        key_file = Path(tempfile.mkdtemp(prefix="netsuite-m2m-")) / "private_key.pem"
        key_file.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return ErpSettings(
            backend="netsuite",
            netsuite_endpoint=emulator.base_url,
            netsuite_client_id=credentials.client_id,
            netsuite_certificate_id=credentials.certificate_id,
            netsuite_private_key_file=str(key_file),
            netsuite_jwt_algorithm=m2m,
            netsuite_credit_item="9",
        )
    if bearer:
        return ErpSettings(
            backend="netsuite",
            netsuite_endpoint=emulator.base_url,
            netsuite_access_token=credentials.access_token,
            netsuite_credit_item="9",
        )
    return ErpSettings(
        backend="netsuite",
        netsuite_endpoint=emulator.base_url,
        netsuite_account=credentials.account,
        netsuite_consumer_key=credentials.consumer_key,
        netsuite_consumer_secret=credentials.consumer_secret,
        netsuite_token_id=credentials.token_id,
        netsuite_token_secret=credentials.token_secret,
        netsuite_credit_item="9",
        netsuite_locations={"DC-EAST": "6"},
    )


def seed_netsuite(emulator: NetSuiteEmulator) -> None:
    """The same customers (with their standing: inactive, credit hold, limit) and items, as NetSuite holds them
    (our ids as external ids)."""
    for customer_id, customer in _CUSTOMERS.items():
        standing: dict[str, Any] = {"isInactive": customer.get("status") == "blocked", "balance": 0.0}
        if customer.get("status") == "credit_hold":
            standing["creditHoldOverride"] = {"id": "ON", "refName": "On"}
        if limit := customer.get("credit_limit"):
            standing["creditLimit"] = float(limit["amount"])
        emulator.add("customer", customer_id, companyName=customer_id, **standing)
    for sku, (price, _active) in _ITEMS.items():
        emulator.add("inventoryItem", sku, itemId=sku, basePrice=float(Decimal(price)))


@pytest.fixture
async def start_erp(erp_database: Settings) -> AsyncIterator[Any]:
    """``await start_erp(backend)``: the ERP running on ``reference`` or ``netsuite`` (emulated)."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(
            backend: str, *, bearer: bool = False, m2m: Literal["PS256", "ES256"] | None = None
        ) -> ErpWorld:
            emulator = None
            erp_settings = ErpSettings()
            if backend == "netsuite":
                emulator = await stack.enter_async_context(running_netsuite())
                seed_netsuite(emulator)
                erp_settings = netsuite_settings(emulator, bearer=bearer, m2m=m2m)
            runtime = ServiceRuntime(settings=erp_database, registry=ServiceRegistry(), bus=InMemoryEventBus())
            app = build_app(runtime, erp_settings)
            await stack.enter_async_context(running_in_own_task(app.lifespan()))
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://erp.test",
                    headers={"X-Omnigate-Tenant": TENANT},
                )
            )
            await _load_master_data(client)
            return ErpWorld(client=client, backend=backend, netsuite=emulator, settings=erp_database)

        yield start
