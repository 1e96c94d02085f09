"""``omnigate dlq``: an operator lists what a consumer gave up on and replays it, from another process."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from subprocess import PIPE

import pytest
from redis.asyncio import Redis

from canonical.streams import WMS_EVENTS
from service_kit.events.bus import RedisEventBus
from tests.conftest import REDIS_URL
from tests.helpers import position_changed


async def dlq(*args: str, prefix: str, bus: str = "redis") -> tuple[int, str, str]:
    env = {**os.environ, "OMNIGATE_BUS": bus, "OMNIGATE_REDIS_URL": REDIS_URL, "OMNIGATE_BUS_PREFIX": prefix}
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("omnigate")), "dlq", *args, env=env, stdout=PIPE, stderr=PIPE
    )
    stdout, stderr = await process.communicate()
    return process.returncode or 0, stdout.decode(), stderr.decode()


@pytest.fixture
async def bus(redis_available: None) -> AsyncIterator[tuple[RedisEventBus, str]]:
    prefix = f"omnigate-test-{uuid.uuid4().hex[:8]}:"
    bus = RedisEventBus(Redis.from_url(REDIS_URL), prefix=prefix)
    try:
        yield bus, prefix
    finally:
        cleanup = Redis.from_url(REDIS_URL)
        keys = [key async for key in cleanup.scan_iter(match=f"{prefix}*")]
        if keys:
            await cleanup.delete(*keys)
        await cleanup.aclose()
        await bus.aclose()


async def test_a_dead_letter_is_listed_and_replayed_from_the_command_line(bus: tuple[RedisEventBus, str]) -> None:
    events, prefix = bus
    await events.ensure_group(WMS_EVENTS, "inventory")
    poison = position_changed("POISON")
    await events.publish(WMS_EVENTS, poison)
    [delivery] = await events.receive(WMS_EVENTS, "inventory", "c1", count=1, block_ms=50, claim_idle_ms=1000)
    await events.dead_letter(delivery, "inventory", "ValueError: cannot apply")

    code, listed, stderr = await dlq("list", prefix=prefix)
    assert code == 0, stderr
    [line] = listed.splitlines()
    dead = json.loads(line)
    assert (dead["stream"], dead["group"], dead["error"]) == (WMS_EVENTS, "inventory", "ValueError: cannot apply")
    assert dead["envelope"]["event_id"] == str(poison.event_id)

    code, replayed, stderr = await dlq("replay", WMS_EVENTS, dead["dead_letter_id"], prefix=prefix)
    assert code == 0, stderr
    [again] = await events.receive(WMS_EVENTS, "inventory", "c1", count=1, block_ms=50, claim_idle_ms=1000)
    assert again.message_id == replayed.strip()
    assert again.envelope == poison
    assert (await dlq("list", WMS_EVENTS, prefix=prefix))[1] == ""

    code, _, stderr = await dlq("replay", WMS_EVENTS, dead["dead_letter_id"], prefix=prefix)
    assert code == 1
    assert dead["dead_letter_id"] in stderr


async def test_the_embedded_bus_is_refused_with_a_reason() -> None:
    code, _, stderr = await dlq("list", prefix="unused:", bus="memory")
    assert code == 1
    assert "OMNIGATE_BUS=redis" in stderr
