"""Abuse limits on the token endpoints: requests per source address and per client, and a slow-down after
failed client authentication. Nothing locks for good: failures drain at a steady rate, so a legitimate
client waits seconds, while guessing a 256-bit secret stays hopeless."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.traffic.rate_limit import Limit, RateLimited, RateLimiter

__all__ = ["TokenEndpointThrottle"]


PER_ADDRESS = Limit(rate=20, burst=40)
PER_CLIENT = Limit(rate=10, burst=20)
FAILURES = Limit(rate=1, period=30.0, burst=5)
"""Five failed authentications in a row, then one more try every 30 seconds."""


@dataclass(frozen=True)
class TokenEndpointThrottle:
    limiter: RateLimiter
    per_address: Limit = PER_ADDRESS
    per_client: Limit = PER_CLIENT
    failures: Limit = FAILURES

    def _failure_keys(self, address: str, client_id: str | None) -> list[str]:
        return [f"oauth-fail:addr:{address}", *([f"oauth-fail:client:{client_id}:{address}"] if client_id else [])]

    async def admit(self, address: str, client_id: str | None) -> None:
        """Refuse with a 429 problem before any secret is checked, when this caller is over a limit."""
        for key in self._failure_keys(address, client_id):
            decision = await self.limiter.acquire(key, self.failures, record=False)
            if not decision.allowed:
                raise RateLimited(
                    "too many failed client authentications from this address; try again later",
                    retry_after=decision.retry_after,
                )
        checks = [(f"oauth:addr:{address}", self.per_address)]
        if client_id:
            checks.append((f"oauth:client:{client_id}", self.per_client))
        for key, limit in checks:
            decision = await self.limiter.acquire(key, limit)
            if not decision.allowed:
                raise RateLimited("too many token requests", retry_after=decision.retry_after)

    async def failed(self, address: str, client_id: str | None) -> None:
        for key in self._failure_keys(address, client_id):
            await self.limiter.acquire(key, self.failures)
