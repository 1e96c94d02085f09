"""Admission: whether a request may go upstream now, by the caller's plan and the shared pool, and what the
``RateLimit`` headers (IETF draft -11) tell the caller about its quota."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

from gateway.models import OAuthClient
from gateway.oauth.access_tokens import InvalidAccessToken, token_revoked
from gateway.routes import GatewayPolicy, Route
from gateway.traffic.gate import Bucket, Gate
from gateway.traffic.rate_limit import RateLimited
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
    """Each client's current plan and standing, cached for ``ttl`` seconds: a plan change applies without a
    restart, and a client disabled or deleted since its tokens were issued is refused within ``ttl`` seconds
    (its tokens would otherwise keep working until they expire)."""

    def __init__(self, database: Database, *, ttl: float) -> None:
        self._database = database
        self._ttl = ttl
        self._cache: dict[str, tuple[str | None, float]] = {}
        """client id → (plan, or ``None`` when the client is no longer active; when it was read)."""
        self._loading: dict[str, asyncio.Lock] = {}
        """One read per client at a time: concurrent requests of a client whose entry went stale wait for it."""

    def _fresh(self, client_id: str) -> tuple[str | None, float] | None:
        entry = self._cache.get(client_id)
        return entry if entry is not None and time.monotonic() - entry[1] < self._ttl else None

    async def plan_of(self, client_id: str) -> str:
        """The client's plan; :class:`InvalidAccessToken` when it is disabled, pending or deleted."""
        entry = self._fresh(client_id)
        if entry is None:
            async with self._loading.setdefault(client_id, asyncio.Lock()):
                if (entry := self._fresh(client_id)) is None:
                    async with self._database.reading() as session:
                        client = await session.get(OAuthClient, client_id)
                    active = client is not None and client.status == "active"
                    entry = self._cache[client_id] = (
                        client.plan if client is not None and active else None,
                        time.monotonic(),
                    )
        if entry[0] is None:
            raise InvalidAccessToken("the access token's client is disabled or no longer exists")
        return entry[0]


@dataclass(frozen=True)
class Admission:
    gate: Gate
    plans: ClientPlans

    async def admit(
        self, policy: GatewayPolicy, route: Route, *, caller: str, plan_name: str, jti: str | None = None
    ) -> Quota:
        """Refuse a revoked token (``jti``), then take one request from the shared pool and the caller's plan, or
        raise a 401/429/503 problem; one round trip to the shared store for all three."""
        reserve = 0 if route.route_class == "customer" else policy.pool.reserved_for_customer
        name, plan = policy.plan(plan_name)
        limit = plan.limit
        verdict = await self.gate.check(
            jti,
            [
                Bucket("pool", policy.pool.limit, reserve=reserve),
                Bucket(f"plan:{name}:{caller}", limit),  # a new plan starts afresh
            ],
        )
        if verdict.revoked:
            raise token_revoked()
        pool = verdict.decisions[0]
        if not pool.allowed:
            raise RateLimited(
                "the gateway is keeping its remaining capacity for customer-facing traffic; retry shortly",
                retry_after=pool.retry_after,
                code="capacity_reserved",
            )
        decision = verdict.decisions[1]
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
