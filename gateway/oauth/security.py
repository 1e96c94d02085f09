"""What the gateway's OAuth pieces share in one process: keys, deny-list, limiter; built at start-up."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import select

from gateway.models import IssuedToken
from gateway.oauth.revocation import InMemoryRevocationList, RedisRevocationList, RevocationList
from gateway.oauth.signing_keys import KeyEncryption, KeyRing
from gateway.oauth.throttle import TokenEndpointThrottle
from gateway.traffic.admission import Admission, ClientPlans
from gateway.traffic.gate import Gate, LocalGate, RedisGate
from gateway.traffic.rate_limit import InMemoryRateLimiter, RateLimiter, RedisRateLimiter
from service_kit.database import Database
from service_kit.settings import Settings

__all__ = ["GatewaySecurity", "security_lifespan"]


@dataclass(frozen=True)
class GatewaySecurity:
    settings: Settings
    key_ring: KeyRing
    revocations: RevocationList
    limiter: RateLimiter
    throttle: TokenEndpointThrottle
    admission: Admission

    @property
    def issuer(self) -> str:
        return self.settings.oauth_issuer


async def _revoked_tokens(database: Database) -> list[tuple[str, float]]:
    now = datetime.now(UTC)
    async with database.reading() as session:
        rows = await session.execute(
            select(IssuedToken.jti, IssuedToken.expires_at).where(
                IssuedToken.revoked_at.is_not(None), IssuedToken.expires_at > now
            )
        )
        return [(jti, exp.timestamp()) for jti, exp in rows]


def security_lifespan(settings: Settings) -> Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]:
    """A lifespan hook: after the gateway's database is up, load keys and restore the deny-list."""
    return functools.partial(_security_lifespan, settings=settings)


@contextlib.asynccontextmanager
async def _security_lifespan(app: Litestar, *, settings: Settings) -> AsyncIterator[None]:
    database: Database = app.state.database
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    revocations: RevocationList
    limiter: RateLimiter
    gate: Gate
    if redis is not None:
        revocations = RedisRevocationList(redis, prefix=settings.bus_prefix)
        limiter = RedisRateLimiter(redis, prefix=settings.bus_prefix)
        gate = RedisGate(redis, prefix=settings.bus_prefix)
    else:
        revocations = InMemoryRevocationList()
        limiter = InMemoryRateLimiter()
        gate = LocalGate(revocations, limiter)
    key_ring = KeyRing(
        database, KeyEncryption.from_settings(settings), refresh_interval=settings.signing_key_refresh_interval
    )
    try:
        await key_ring.ensure_active_key(alg="RS256", token_ttl=settings.access_token_ttl)
        await revocations.restore(await _revoked_tokens(database))
        app.state.security = GatewaySecurity(
            settings=settings,
            key_ring=key_ring,
            revocations=revocations,
            limiter=limiter,
            throttle=TokenEndpointThrottle(limiter),
            admission=Admission(gate, ClientPlans(database, ttl=settings.client_plan_cache_ttl)),
        )
        yield
    finally:
        if redis is not None:
            await redis.aclose()
