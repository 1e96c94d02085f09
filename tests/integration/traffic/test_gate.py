"""The per-request gate (deny-list, shared pool, caller's plan in one round trip) decides as the deny-list and the
limiter asked one by one would: a revoked token takes nothing, a refusal stops at the bucket that refused, and in
Redis every key the script touches lies in one cluster slot."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.crc import key_slot

from gateway.oauth.revocation import InMemoryRevocationList, RedisRevocationList, RevocationList, revocation_key
from gateway.traffic.gate import Bucket, Gate, LocalGate, RedisGate
from gateway.traffic.rate_limit import InMemoryRateLimiter, Limit, RateLimiter, RedisRateLimiter, limiter_key
from tests.conftest import REDIS_URL

POOL = Limit(rate=1, period=60.0, burst=3)
PLAN = Limit(rate=1, period=60.0, burst=2)


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Gate, RevocationList, RateLimiter]]:
    if request.param == "memory":
        revocations = InMemoryRevocationList()
        limiter = InMemoryRateLimiter()
        yield LocalGate(revocations, limiter), revocations, limiter
        return
    request.getfixturevalue("redis_available")
    prefix = f"omnigate-gate-{uuid.uuid4().hex[:8]}:"
    redis = Redis.from_url(REDIS_URL)
    try:
        yield (
            RedisGate(redis, prefix=prefix),
            RedisRevocationList(redis, prefix=prefix),
            RedisRateLimiter(redis, prefix=prefix),
        )
    finally:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_buckets_are_taken_in_order_until_one_refuses(stores: tuple[Gate, RevocationList, RateLimiter]) -> None:
    gate, _, limiter = stores
    buckets = [Bucket("pool", POOL), Bucket("plan:p:client:a", PLAN)]
    first, second, third = [await gate.check("jti-1", buckets) for _ in range(3)]
    assert [d.allowed for d in first.decisions] == [True, True]
    assert [d.remaining for d in first.decisions] == [2, 1]
    assert [d.remaining for d in second.decisions] == [1, 0]
    assert not third.revoked
    assert [d.allowed for d in third.decisions] == [True, False], "the plan refuses; the pool's cell is taken"
    assert third.decisions[1].retry_after > 0
    # the pool now has no cell left: the next request stops there and leaves other plans untouched
    refused = await gate.check("jti-2", [Bucket("pool", POOL), Bucket("plan:p:client:b", PLAN)])
    assert [d.allowed for d in refused.decisions] == [False]
    untouched = await limiter.acquire("plan:p:client:b", PLAN, record=False)
    assert untouched.remaining == 1, "client b's plan still has its whole burst (2, of which this probe would take 1)"


async def test_a_reserve_keeps_cells_free_for_others(stores: tuple[Gate, RevocationList, RateLimiter]) -> None:
    gate, _, _ = stores
    sync = [Bucket("pool", POOL, reserve=2)]
    assert [d.allowed for d in (await gate.check(None, sync)).decisions] == [True]
    assert [d.allowed for d in (await gate.check(None, sync)).decisions] == [False], "two cells stay reserved"
    assert [d.allowed for d in (await gate.check(None, [Bucket("pool", POOL)])).decisions] == [True]


async def test_a_revoked_token_is_refused_and_takes_nothing(stores: tuple[Gate, RevocationList, RateLimiter]) -> None:
    gate, revocations, limiter = stores
    await revocations.revoke("jti-gone", time.time() + 60)
    verdict = await gate.check("jti-gone", [Bucket("pool", POOL), Bucket("plan:p:client:a", PLAN)])
    assert verdict.revoked
    assert verdict.decisions == []
    assert (await limiter.acquire("pool", POOL, record=False)).remaining == 2, "the pool is still full (3, less 1)"


async def test_checks_made_at_once_are_exact_together(stores: tuple[Gate, RevocationList, RateLimiter]) -> None:
    """Concurrent checks (sent to Redis as one batch) are decided one by one, in arrival order: exactly the burst
    is admitted, and a revoked token among them is refused without taking a cell."""
    gate, revocations, _ = stores
    await revocations.revoke("jti-gone", time.time() + 60)
    plan = Limit(rate=1, period=60.0, burst=5)
    jtis = [f"jti-{i}" if i != 3 else "jti-gone" for i in range(12)]
    verdicts = await asyncio.gather(*(gate.check(jti, [Bucket("plan:p:client:a", plan)]) for jti in jtis))
    assert verdicts[3].revoked
    admitted = [i for i, verdict in enumerate(verdicts) if verdict.decisions and verdict.decisions[0].allowed]
    assert admitted == [0, 1, 2, 4, 5], "the first five live tokens, in the order they asked"
    assert [verdicts[i].decisions[0].remaining for i in admitted] == [4, 3, 2, 1, 0]


async def test_a_script_redis_lost_is_loaded_again(redis_available: None) -> None:
    """After a Redis restart or ``SCRIPT FLUSH`` the next checks load the script again instead of failing."""
    prefix = f"omnigate-gate-{uuid.uuid4().hex[:8]}:"
    async with Redis.from_url(REDIS_URL) as redis:
        gate = RedisGate(redis, prefix=prefix)
        await gate.check(None, [Bucket("pool", POOL)])
        await redis.script_flush()
        verdicts = await asyncio.gather(*(gate.check(None, [Bucket("pool", POOL)]) for _ in range(3)))
        await redis.delete(limiter_key(prefix, "pool"))
    assert [v.decisions[0].allowed for v in verdicts] == [True, True, False], "burst 3, one cell taken before"


def test_every_key_of_the_script_shares_one_cluster_slot() -> None:
    keys = [revocation_key("p:", "some-jti"), limiter_key("p:", "pool"), limiter_key("p:", "plan:gold:client:x")]
    assert len({key_slot(key.encode()) for key in keys}) == 1
    assert all(key.startswith("p:") for key in keys), "keys stay under the deployment's prefix"
