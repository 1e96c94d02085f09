"""The deny-list of revoked token ids (``jti``), checked on every request.

Access tokens are stateless JWTs, so revocation needs a shared list: in Redis every gateway process sees a
revocation on its next request; in memory (embedded mode, one process) it is restored from the database at
start. An entry lives only until the token would have expired anyway.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Protocol

from redis.asyncio import Redis

from gateway.traffic.rate_limit import HASH_TAG

__all__ = ["InMemoryRevocationList", "RedisRevocationList", "RevocationList", "revocation_key"]


def revocation_key(prefix: str, jti: str) -> str:
    """The deny-list entry of ``jti``, in the cluster slot of the rate limits (one script checks both)."""
    return f"{prefix}{HASH_TAG}:revoked:{jti}"


class RevocationList(Protocol):
    async def revoke(self, jti: str, expires_at: float) -> None:
        """Refuse ``jti`` until ``expires_at`` (epoch seconds), when the token dies by itself."""
        ...

    async def is_revoked(self, jti: str) -> bool: ...

    async def restore(self, entries: Iterable[tuple[str, float]]) -> None:
        """Load revocations recorded in the database (a restarted process must not forget them)."""
        ...


class InMemoryRevocationList:
    def __init__(self) -> None:
        self._revoked: dict[str, float] = {}

    async def revoke(self, jti: str, expires_at: float) -> None:
        self._revoked[jti] = expires_at

    async def is_revoked(self, jti: str) -> bool:
        expires_at = self._revoked.get(jti)
        if expires_at is None:
            return False
        if expires_at < time.time():
            del self._revoked[jti]
            return False
        return True

    async def restore(self, entries: Iterable[tuple[str, float]]) -> None:
        for jti, expires_at in entries:
            await self.revoke(jti, expires_at)


class RedisRevocationList:
    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def _key(self, jti: str) -> str:
        return revocation_key(self._prefix, jti)

    async def revoke(self, jti: str, expires_at: float) -> None:
        ttl_ms = max(1, int((expires_at - time.time()) * 1000))
        await self._redis.set(self._key(jti), b"1", px=ttl_ms)

    async def is_revoked(self, jti: str) -> bool:
        return bool(await self._redis.exists(self._key(jti)))

    async def restore(self, entries: Iterable[tuple[str, float]]) -> None:
        for jti, expires_at in entries:
            if expires_at > time.time():
                await self.revoke(jti, expires_at)
