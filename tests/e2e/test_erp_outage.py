"""The ERP goes down while Shopify sends a burst of orders: every webhook is still acknowledged, the orders wait,
and once the ERP is back each completes exactly once (one sales order per Shopify order, one set of holds).

The ERP is a real process (``omnigate serve erp``) that the test stops and starts again on the same port; every
other service runs embedded, on PostgreSQL and Redis, and reaches it over HTTP as in distributed mode.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.oauth.scopes import SCOPES
from omnigate import migrations
from omnigate.catalog import SERVICES
from omnigate.demo import seed_demo
from omnigate.runtime import EmbeddedProduct
from tests.conftest import REDIS_URL, create_postgres_database, delete_redis_keys, drop_postgres_database, fast_settings
from tests.conftest import sqlalchemy_postgres_url as postgres_url
from tests.e2e.test_distributed import OMNIGATE, ROOT, free_port
from tests.helpers import eventually, fetch_token, onboard, running_in_own_task
from tests.order_flow import order_of
from tests.shopify_deliveries import deliver, storefront_order

ORDERS = range(7001, 7009)
LINES = [("TSHIRT-BLK-M", 1, "24.00")]


class ErpProcess:
    """``omnigate serve erp`` on a fixed port, which can be stopped and started again."""

    def __init__(self, env: dict[str, str], port: int, logs: Path) -> None:
        self.env, self.port, self.logs = env, port, logs
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        log = (self.logs / f"erp-{self.starts}.log").open("wb")
        command = [OMNIGATE, "serve", "erp", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        async with httpx.AsyncClient(timeout=2) as http:

            async def ready() -> bool:
                try:
                    return (await http.get(f"{self.url}/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, bool, within=60)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture
async def world(
    postgres_available: None, redis_available: None, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, ErpProcess]]:
    """The embedded product without its ERP, which runs in its own process; yields a back-office client."""
    database = await create_postgres_database()
    prefix = f"omnigate-outage-{uuid.uuid4().hex[:8]}:"
    port = free_port()
    settings = fast_settings(
        tmp_path,
        database_url=postgres_url(database),
        redis_url=REDIS_URL,
        bus="redis",
        bus_prefix=prefix,
        service_urls={"erp": f"http://127.0.0.1:{port}"},
    )
    env = {
        **os.environ,
        "OMNIGATE_DATA_DIR": str(tmp_path),
        "OMNIGATE_DATABASE_URL": postgres_url(database),
        "OMNIGATE_REDIS_URL": REDIS_URL,
        "OMNIGATE_BUS_PREFIX": prefix,
        "OMNIGATE_OUTBOX_POLL_INTERVAL": "0.05",
        "OMNIGATE_BUS_BLOCK_MS": "100",
        "OMNIGATE_LOG_LEVEL": "WARNING",
    }
    erp = ErpProcess(env, port, tmp_path)
    try:
        await asyncio.to_thread(migrations.upgrade, settings)
        await seed_demo(settings)
        await erp.start()
        product = EmbeddedProduct(settings, services=[service for service in SERVICES if service.name != "erp"])
        async with running_in_own_task(product.running()):
            transport = httpx.ASGITransport(app=product.asgi["gateway"])  # type: ignore[arg-type]
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as gateway:
                client = await onboard(settings, scopes=[s for s in SCOPES if not s.startswith("admin:")])
                token = await fetch_token(gateway, client.client_id, client.client_secret)
                gateway.headers["Authorization"] = f"Bearer {token}"

                async def sellable() -> int:
                    answer = await gateway.get("/inventory/v1/availability", params={"sku": LINES[0][0]})
                    return int(answer.json()["available_to_sell"]) if answer.status_code == 200 else 0

                await eventually(sellable, lambda units: units >= len(ORDERS), within=60)
                yield gateway, erp
    finally:
        erp.stop()
        await delete_redis_keys(prefix)
        await drop_postgres_database(database)


async def test_orders_taken_while_the_erp_is_down_complete_once_each_when_it_returns(
    world: tuple[httpx.AsyncClient, ErpProcess],
) -> None:
    shop, erp = world
    erp.stop()

    for order_id in ORDERS:  # a burst, and Shopify's at-least-once delivery of each
        order = storefront_order(order_id, LINES)
        await deliver(shop, order, webhook_id=f"wh-{order_id}")
        await deliver(shop, order, webhook_id=f"wh-{order_id}")

    async def all_waiting() -> list[dict[str, Any]]:
        await asyncio.sleep(0.5)  # eight reads a round: stay well inside the client's rate limit (50 a second)
        return [await order_of(shop, order_id) for order_id in ORDERS]

    waiting = await eventually(all_waiting, lambda orders: all(o["state"] is not None for o in orders), within=30)
    await asyncio.sleep(2)  # the saga has tried the ERP by now
    waiting = await all_waiting()
    assert all(o["erp_order_ref"] is None for o in waiting), "nothing is booked while the ERP is down"
    assert {o["state"] for o in waiting} <= {"received"}, waiting

    await erp.start()
    done = await eventually(
        all_waiting, lambda orders: all(o["state"] in ("released", "on_hold", "rejected") for o in orders), within=150
    )

    assert {o["state"] for o in done} == {"released"}, done
    references = [o["erp_order_ref"] for o in done]
    assert len(set(references)) == len(ORDERS), "one ERP sales order per Shopify order"
    for order in done:
        booked = (await shop.get("/erp/v1/sales-orders", params={"source_id": order["order_id"]})).json()
        assert [sales_order["erp_order_ref"] for sales_order in booked["sales_orders"]] == [order["erp_order_ref"]]
        assert [(line["reserved"], line["backordered"]) for line in order["lines"]] == [(1, 0)], order
    listed = [(await shop.get("/portal/v1/orders", params={"source_id": str(o)})).json() for o in ORDERS]
    assert all(len(found) == 1 for found in listed), "two deliveries of each webhook made one order each"
