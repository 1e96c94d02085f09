"""Distributed mode: gateway, storefront, inventory, ERP and WMS as separate OS processes on loopback
ports, each on its own PostgreSQL database, events over Redis Streams — and the same answers as the
embedded product."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from omnigate.demo import seed_demo
from omnigate.runtime import EmbeddedProduct
from tests.conftest import REDIS_URL, create_postgres_database, delete_redis_keys, drop_postgres_database, fast_settings
from tests.conftest import sqlalchemy_postgres_url as postgres_url
from tests.helpers import eventually, fetch_token, onboard, running_in_own_task

ROOT = Path(__file__).resolve().parents[2]
OMNIGATE = str(Path(sys.executable).with_name("omnigate"))
SERVICES = (
    "erp",
    "wms",
    "tax",
    "shopify",
    "inventory",
    "orders",
    "returns",
    "storefront",
    "shopify_intake",
    "portal",
    "gateway",
)
WITH_DATABASE = ("erp", "wms", "tax", "shopify", "inventory", "orders", "returns", "shopify_intake", "gateway")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def cluster(
    postgres_available: None, redis_available: None, tmp_path: Path
) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """Start every service in its own process; yields the gateway's base URL and a client onboarded by the CLI."""
    databases = {name: await create_postgres_database() for name in WITH_DATABASE}
    ports = {name: free_port() for name in SERVICES}
    prefix = f"omnigate-e2e-{uuid.uuid4().hex[:8]}:"
    env = {
        **os.environ,
        "OMNIGATE_REDIS_URL": REDIS_URL,
        "OMNIGATE_BUS_PREFIX": prefix,
        "OMNIGATE_OUTBOX_POLL_INTERVAL": "0.05",
        "OMNIGATE_BUS_BLOCK_MS": "100",
        "OMNIGATE_DATA_DIR": str(tmp_path),
        "OMNIGATE_LOG_LEVEL": "WARNING",
    }
    for name, database in databases.items():
        env[f"OMNIGATE_{name.upper()}_DATABASE_URL"] = postgres_url(database)
    for name, port in ports.items():
        env[f"OMNIGATE_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
    processes: list[subprocess.Popen[bytes]] = []
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        subprocess.run([OMNIGATE, "db", "upgrade"], env=env, cwd=ROOT, check=True, timeout=120)
        subprocess.run([OMNIGATE, "seed"], env=env, cwd=ROOT, check=True, timeout=120)
        onboarded = subprocess.run(
            [OMNIGATE, "clients", "create", "--name", "e2e shop", "--scopes", "storefront:read", "--tenant", "demo"],
            env=env,
            cwd=ROOT,
            check=True,
            timeout=60,
            capture_output=True,
        )
        client = json.loads(onboarded.stdout)
        for name in SERVICES:
            log = (logs / f"{name}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [OMNIGATE, "serve", name, "--port", str(ports[name])],
                    env=env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        yield f"http://127.0.0.1:{ports['gateway']}", client
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        await delete_redis_keys(prefix)
        for database in databases.values():
            await drop_postgres_database(database)


async def embedded_answer(tmp_path: Path, sku: str) -> dict[str, object]:
    """The same question asked of the embedded product (SQLite, in-memory bus)."""
    from omnigate import migrations

    settings = fast_settings(tmp_path / "embedded")
    await asyncio.to_thread(migrations.upgrade, settings)
    await seed_demo(settings)
    onboarded = await onboard(settings, scopes=["storefront:read"])
    async with running_in_own_task(EmbeddedProduct(settings).running()) as product:
        transport = httpx.ASGITransport(app=product.asgi["gateway"])  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
            client.headers["Authorization"] = f"Bearer {token}"

            async def ask() -> httpx.Response:
                return await client.get("/storefront/v1/availability", params={"sku": sku})

            response = await eventually(ask, lambda r: r.status_code == 200 and len(r.json()["locations"]) == 3)
            return response.json()  # type: ignore[no-any-return]


async def test_separate_processes_answer_like_the_embedded_product(
    cluster: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base_url, onboarded = cluster
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:

        async def health() -> int:
            try:
                return (await client.get("/health")).status_code
            except httpx.TransportError:
                return 0

        await eventually(health, lambda status: status == 200, within=90)
        token = await fetch_token(client, onboarded["client_id"], onboarded["client_secret"])
        client.headers["Authorization"] = f"Bearer {token}"

        async def ask() -> httpx.Response:
            return await client.get("/storefront/v1/availability", params={"sku": "TSHIRT-BLK-M"})

        response = await eventually(ask, lambda r: r.status_code == 200 and len(r.json()["locations"]) == 3, within=60)
        unknown = await client.get("/storefront/v1/availability", params={"sku": "NO-SUCH-SKU"})

    distributed = response.json()
    assert distributed["available_to_sell"] == 146
    assert distributed == await embedded_answer(tmp_path, "TSHIRT-BLK-M")
    assert response.headers["x-trace-id"]
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_sku"
