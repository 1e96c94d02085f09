"""Kill a consumer process mid-stream: its unacknowledged event is redelivered and applied exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy import func, select

from canonical.streams import WMS_EVENTS
from omnigate import migrations
from process_apis.inventory.models import InventoryInbox, StockPosition
from service_kit.database import Database
from service_kit.events.bus import RedisEventBus
from tests.conftest import REDIS_URL, create_postgres_database, drop_postgres_database, fast_settings
from tests.conftest import sqlalchemy_postgres_url as postgres_url
from tests.helpers import eventually, position_changed

ROOT = Path(__file__).resolve().parents[2]
SKUS = [f"SKU-{n}" for n in range(1, 7)]


def start_consumer(url: str, prefix: str, name: str, stall_on: str | None = None) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        str(ROOT / "tests/e2e/consumer_process.py"),
        "--database-url",
        url,
        "--redis-url",
        REDIS_URL,
        "--prefix",
        prefix,
        "--name",
        name,
    ]
    if stall_on:
        command += ["--stall-on", stall_on]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )


async def test_killed_consumer_event_is_redelivered_and_processed_once(
    postgres_available: None, redis_available: None, tmp_path: Path
) -> None:
    name = await create_postgres_database()
    prefix = f"omnigate-crash-{uuid.uuid4().hex[:8]}:"
    url = postgres_url(name)
    bus = RedisEventBus(Redis.from_url(REDIS_URL), prefix=prefix)
    database = Database(url)
    processes: list[subprocess.Popen[str]] = []
    try:
        await asyncio.to_thread(migrations.upgrade, fast_settings(tmp_path, database_url=url), ["inventory"])
        await bus.ensure_group(WMS_EVENTS, "inventory")
        for on_hand, sku in enumerate(SKUS, start=10):
            await bus.publish(WMS_EVENTS, position_changed(sku, on_hand=on_hand))

        doomed = start_consumer(url, prefix, "doomed", stall_on="SKU-3")
        processes.append(doomed)
        assert doomed.stdout is not None
        lines = await asyncio.wait_for(asyncio.to_thread(_read_until_stalled, doomed.stdout), timeout=60)
        assert lines == ["APPLIED SKU-1", "APPLIED SKU-2", "APPLIED SKU-3", "STALLED"]
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        assert await bus.pending_count(WMS_EVENTS, "inventory") == 1, "SKU-3 was applied but never acked"

        survivor = start_consumer(url, prefix, "survivor")
        processes.append(survivor)

        async def applied() -> int:
            async with database.transaction() as session:
                return int(await session.scalar(select(func.count()).select_from(InventoryInbox)) or 0)

        await eventually(applied, lambda n: n == len(SKUS), within=60)
        await eventually(lambda: bus.pending_count(WMS_EVENTS, "inventory"), lambda n: n == 0, within=30)

        async with database.transaction() as session:
            positions = {p.sku: p.on_hand for p in await session.scalars(select(StockPosition))}
        assert positions == {sku: on_hand for on_hand, sku in enumerate(SKUS, start=10)}
        assert await applied() == len(SKUS), "the redelivered SKU-3 was deduplicated, not applied twice"
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        await database.dispose()
        keys = [key async for key in bus._redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await bus._redis.delete(*keys)
        await bus.aclose()
        await drop_postgres_database(name)


def _read_until_stalled(stream) -> list[str]:  # type: ignore[no-untyped-def]
    lines = []
    for line in stream:
        lines.append(line.strip())
        if line.strip() == "STALLED":
            break
    return lines
