"""Rate limits by GCRA (the generic cell rate algorithm): one timestamp per key, exact and O(1).

In Redis the whole decision is one Lua script on one key, timed by the Redis server's clock, so every
gateway process sharing that Redis enforces one limit together (not one limit each). Embedded mode keeps the
same arithmetic in memory.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from service_kit.problems import Problem

__all__ = [
    "HASH_TAG",
    "Decision",
    "InMemoryRateLimiter",
    "Limit",
    "RateLimited",
    "RateLimiter",
    "RedisRateLimiter",
    "limiter_key",
]

HASH_TAG = "{gateway}"
"""Redis Cluster hash tag of every key the gateway's per-request script touches (buckets and deny-list), so that
one script may touch several of them (see ``gateway.traffic.gate``)."""


def limiter_key(prefix: str, key: str) -> str:
    return f"{prefix}{HASH_TAG}:ratelimit:{key}"


@dataclass(frozen=True)
class Limit:
    """``rate`` requests per ``period`` seconds, with bursts up to ``burst`` requests."""

    rate: int
    period: float = 1.0
    burst: int | None = None

    @property
    def capacity(self) -> int:
        return self.burst or self.rate

    @property
    def interval_us(self) -> int:
        """Emission interval: microseconds one request's cell occupies."""
        return max(1, round(self.period * 1_000_000 / self.rate))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    """Requests still allowed right now."""
    retry_after: float
    """Seconds until the request would be allowed (0 when allowed)."""
    reset_after: float
    """Seconds until the bucket is full again."""


class RateLimiter(Protocol):
    async def acquire(
        self, key: str, limit: Limit, *, cost: int = 1, record: bool = True, reserve: int = 0
    ) -> Decision:
        """Take ``cost`` cells from ``key``'s bucket; with ``record=False`` only ask whether it would fit.

        ``reserve`` cells must stay free after this request: lower-priority traffic passes it so that it can
        never drain the bucket that higher-priority traffic (passing 0) shares with it.
        """
        ...


def _decide(tat: float, now: float, limit: Limit, cost: int, reserve: int) -> tuple[Decision, float]:
    interval = limit.interval_us
    tolerance = interval * limit.capacity
    tat = max(tat, now)
    new_tat = tat + cost * interval
    allowed_at = new_tat + reserve * interval - tolerance
    if allowed_at > now:
        return Decision(False, 0, (allowed_at - now) / 1e6, (tat - now) / 1e6), tat
    remaining = math.floor((tolerance - (new_tat - now)) / interval)
    return Decision(True, remaining, 0.0, (new_tat - now) / 1e6), new_tat


class InMemoryRateLimiter:
    """One process's limits (embedded mode)."""

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}

    async def acquire(
        self, key: str, limit: Limit, *, cost: int = 1, record: bool = True, reserve: int = 0
    ) -> Decision:
        now = time.time() * 1e6
        decision, tat = _decide(self._tat.get(key, now), now, limit, cost, reserve)
        if record and decision.allowed:
            self._tat[key] = tat
            if len(self._tat) > 100_000:
                self._forget_idle(now)
        return decision

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, tat in self._tat.items() if tat <= now]:
            del self._tat[key]


_GCRA = """
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local record = ARGV[4] == '1'
local reserve = tonumber(ARGV[5])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + cost * interval
local allowed_at = new_tat + reserve * interval - tolerance
if allowed_at > now then
  return {0, 0, tostring(allowed_at - now), tostring(tat - now)}
end
if record and cost > 0 then
  redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
end
return {1, math.floor((tolerance - (new_tat - now)) / interval), '0', tostring(new_tat - now)}
"""


class RedisRateLimiter:
    """Limits shared by every gateway process on one Redis; one key per bucket (all in one cluster slot)."""

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(_GCRA)

    async def acquire(
        self, key: str, limit: Limit, *, cost: int = 1, record: bool = True, reserve: int = 0
    ) -> Decision:
        allowed, remaining, retry_us, reset_us = await self._script(
            keys=[limiter_key(self._prefix, key)],
            args=[limit.interval_us, limit.capacity, cost, "1" if record else "0", reserve],
        )
        return Decision(bool(allowed), int(remaining), float(retry_us) / 1e6, float(reset_us) / 1e6)


class RateLimited(Problem):
    status = 429
    code = "rate_limited"
    title_text = "Too many requests"

    def __init__(
        self, detail: str, *, retry_after: float, headers: dict[str, str] | None = None, code: str | None = None
    ) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            detail,
            code=code,
            extra={"retry_after": seconds},
            headers={**(headers or {}), "Retry-After": str(seconds)},
        )
