"""Admission: whether a request may go upstream now, by the caller's plan and the shared pool, and what the
``RateLimit`` headers (IETF draft -11) tell the caller about its quota."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from gateway.models import OAuthClient
from gateway.routes import GatewayPolicy, Route
from gateway.traffic.rate_limit import RateLimited, RateLimiter
from service_kit.database import Database

__all__ = ["Admission", "ClientPlans", "Quota"]


@dataclass(frozen=True)
class Quota:
    policy: str
    quota: int
    window: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Policy": f'"{self.policy}";q={self.quota};w={self.window}',
            "RateLimit": f'"{self.policy}";r={self.remaining};t={self.reset}',
        }


class ClientPlans:
    """Each client's current plan, cached for ``ttl`` seconds so a plan change applies without a restart."""

    def __init__(self, database: Database, *, ttl: float) -> None:
        self._database = database
        self._ttl = ttl
        self._cache: dict[str, tuple[str, float]] = {}

    async def plan_of(self, client_id: str, fallback: str) -> str:
        cached = self._cache.get(client_id)
        if cached is not None and time.monotonic() - cached[1] < self._ttl:
            return cached[0]
        async with self._database.reading() as session:
            client = await session.get(OAuthClient, client_id)
        plan = client.plan if client is not None else fallback
        self._cache[client_id] = (plan, time.monotonic())
        return plan


@dataclass(frozen=True)
class Admission:
    limiter: RateLimiter
    plans: ClientPlans

    async def admit(self, policy: GatewayPolicy, route: Route, *, caller: str, plan_name: str) -> Quota:
        """Take one request from the shared pool and the caller's plan, or raise a 429/503 problem."""
        reserve = 0 if route.route_class == "customer" else policy.pool.reserved_for_customer
        pool = await self.limiter.acquire("pool", policy.pool.limit, reserve=reserve)
        if not pool.allowed:
            raise RateLimited(
                "the gateway is keeping its remaining capacity for customer-facing traffic; retry shortly",
                retry_after=pool.retry_after,
                code="capacity_reserved",
            )
        name, plan = policy.plan(plan_name)
        limit = plan.limit
        decision = await self.limiter.acquire(f"plan:{name}:{caller}", limit)  # a new plan starts afresh
        quota = Quota(
            policy=name,
            quota=limit.capacity,
            window=max(1, math.ceil(limit.capacity * limit.period / limit.rate)),
            remaining=decision.remaining,
            reset=math.ceil(decision.reset_after),
        )
        if not decision.allowed:
            raise RateLimited(
                f"plan '{name}' allows {plan.rate} requests per {plan.period:g} s (bursts of {limit.capacity})",
                retry_after=decision.retry_after,
                headers=quota.headers(),
            )
        return quota
