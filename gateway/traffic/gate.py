"""The per-request check that needs shared state: is the token on the deny-list, and may the request take a cell
from each of its rate-limit buckets (the shared pool, then the caller's plan)?

With Redis this is one Lua script, so one round trip per proxied request instead of one per question, and the
whole decision is atomic. Every key it touches carries the hash tag ``{gateway}`` (``rate_limit.HASH_TAG``), so in
a Redis Cluster they share one slot: the pool bucket is a single key that every request touches anyway, so the
node that holds it is the one that sees every request already; the plans and the deny-list beside it add no
round trips there. In embedded mode the same questions go to the in-memory deny-list and limiter in turn.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Sequence
from dataclasses import dataclass, field
from hashlib import sha1
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from gateway.oauth.revocation import RevocationList, revocation_key
from gateway.traffic.rate_limit import Decision, Limit, RateLimiter, limiter_key
from service_kit.problems import ServiceUnavailable

__all__ = ["Bucket", "Gate", "LocalGate", "RedisGate", "Verdict"]


@dataclass(frozen=True)
class Bucket:
    """One cell to take from ``key``'s bucket, leaving ``reserve`` cells free (see ``RateLimiter.acquire``)."""

    key: str
    limit: Limit
    reserve: int = 0


@dataclass(frozen=True)
class Verdict:
    revoked: bool = False
    """The token is on the deny-list: nothing was taken from any bucket."""
    decisions: list[Decision] = field(default_factory=list)
    """One per bucket in order, up to and including the first that refused (later buckets were not touched)."""


class Gate(Protocol):
    async def check(self, jti: str | None, buckets: Sequence[Bucket]) -> Verdict:
        """Refuse a revoked ``jti``; else take one cell from each bucket in order, stopping at the first refusal."""
        ...


class LocalGate:
    """The deny-list and the limiter asked in turn (embedded mode: both are in this process's memory)."""

    def __init__(self, revocations: RevocationList, limiter: RateLimiter) -> None:
        self._revocations = revocations
        self._limiter = limiter

    async def check(self, jti: str | None, buckets: Sequence[Bucket]) -> Verdict:
        if jti is not None and await self._revocations.is_revoked(jti):
            return Verdict(revoked=True)
        decisions = []
        for bucket in buckets:
            decision = await self._limiter.acquire(bucket.key, bucket.limit, reserve=bucket.reserve)
            decisions.append(decision)
            if not decision.allowed:
                break
        return Verdict(decisions=decisions)


# KEYS: the deny-list entry (when ARGV[1] is '1'), then one key per bucket. ARGV: that flag, then per bucket its
# emission interval (µs), capacity and reserve. The arithmetic is rate_limit._GCRA's, bucket after bucket.
_CHECK = """
local first = 1
if ARGV[1] == '1' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return {-1} end
  first = 2
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local out = {}
for i = first, #KEYS do
  local arg = 2 + (i - first) * 3
  local interval = tonumber(ARGV[arg])
  local tolerance = interval * tonumber(ARGV[arg + 1])
  local reserve = tonumber(ARGV[arg + 2])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allowed_at = new_tat + reserve * interval - tolerance
  if allowed_at > now then
    table.insert(out, 0)
    table.insert(out, 0)
    table.insert(out, tostring(allowed_at - now))
    table.insert(out, tostring(tat - now))
    return out
  end
  redis.call('SET', KEYS[i], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
  table.insert(out, 1)
  table.insert(out, math.floor((tolerance - (new_tat - now)) / interval))
  table.insert(out, '0')
  table.insert(out, tostring(new_tat - now))
end
return out
"""


class RedisGate:
    """Deny-list and buckets in one script on the Redis every gateway process shares (one round trip).

    Checks that arrive together are sent together: every check queued while the event loop works through its
    ready callbacks goes out as one pipeline (one write, one read, one connection), a script call each. Under
    load that is most of what Redis costs the gateway (the client's per-command work, not Redis's); alone, a check
    waits for no other. Each script still runs atomically, in arrival order, so limits stay exact.
    """

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._sha = sha1(_CHECK.encode()).hexdigest()
        self._queued: list[tuple[list[str], list[str | int], asyncio.Future[Any]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def check(self, jti: str | None, buckets: Sequence[Bucket]) -> Verdict:
        keys = [revocation_key(self._prefix, jti)] if jti is not None else []
        args: list[str | int] = ["1" if jti is not None else "0"]
        for bucket in buckets:
            keys.append(limiter_key(self._prefix, bucket.key))
            args += [bucket.limit.interval_us, bucket.limit.capacity, bucket.reserve]
        raw = await self._run(keys, args)
        if raw and raw[0] == -1:
            return Verdict(revoked=True)
        return Verdict(
            decisions=[
                Decision(bool(raw[i]), int(raw[i + 1]), float(raw[i + 2]) / 1e6, float(raw[i + 3]) / 1e6)
                for i in range(0, len(raw), 4)
            ]
        )

    def _run(self, keys: list[str], args: list[str | int]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        self._queued.append((keys, args, answer))
        if len(self._queued) == 1:  # the first of a batch: send it once the loop's ready callbacks have run
            loop.call_soon(self._send_queued, context=contextvars.Context())  # in no caller's trace
        return answer

    def _send_queued(self) -> None:
        batch, self._queued = self._queued, []
        task = asyncio.create_task(self._send(batch))
        self._sending.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[list[str], list[str | int], asyncio.Future[Any]]]) -> None:
        try:
            results = await self._evaluate([(keys, args) for keys, args, _ in batch])
        except Exception as exc:
            results = [exc] * len(batch)
        except BaseException:  # cancelled (shutting down): no request may wait for an answer that will not come
            for _, _, answer in batch:
                if not answer.done():
                    answer.set_exception(ServiceUnavailable("the gateway is shutting down; retry the request"))
            raise
        for (_, _, answer), result in zip(batch, results, strict=True):
            if answer.done():  # its request was cancelled (the caller went away)
                continue
            if isinstance(result, Exception):
                answer.set_exception(result)
            else:
                answer.set_result(result)

    async def _evaluate(self, calls: list[tuple[list[str], list[str | int]]]) -> list[Any]:
        """The script's answer (or error) for each call, in one pipeline; loaded first if Redis lost it (a restart
        or ``SCRIPT FLUSH``), then the calls it refused are sent again."""
        results = await self._pipeline(calls)
        missing = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
        if missing:
            await self._redis.script_load(_CHECK)
            for i, result in zip(missing, await self._pipeline([calls[i] for i in missing]), strict=True):
                results[i] = result
        return results

    async def _pipeline(self, calls: list[tuple[list[str], list[str | int]]]) -> list[Any]:
        pipe = self._redis.pipeline(transaction=False)
        for keys, args in calls:
            pipe.evalsha(self._sha, len(keys), *keys, *args)
        return await pipe.execute(raise_on_error=False)
