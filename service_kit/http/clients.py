"""One pooled, traced, resilient httpx client per upstream service."""

from __future__ import annotations

import httpx
from opentelemetry.instrumentation.httpx import AsyncOpenTelemetryTransport

from service_kit.http.registry import ServiceRegistry
from service_kit.http.resilience import CircuitBreaker, ResilientTransport
from service_kit.settings import HttpClientSettings

__all__ = ["ServiceClients"]


class ServiceClients:
    """Hands out the client for an upstream, built once and closed with the service."""

    def __init__(self, registry: ServiceRegistry, settings: HttpClientSettings) -> None:
        self._registry = registry
        self._settings = settings
        self._clients: dict[str, httpx.AsyncClient] = {}
        self.breakers: dict[str, CircuitBreaker] = {}

    def get(self, upstream: str) -> httpx.AsyncClient:
        if (client := self._clients.get(upstream)) is not None:
            return client
        s = self._settings
        limits = httpx.Limits(max_connections=s.max_connections, max_keepalive_connections=s.max_connections)
        breaker = CircuitBreaker(failure_threshold=s.breaker_failure_threshold, reset_timeout=s.breaker_reset_timeout)
        resilient = ResilientTransport(
            self._registry.transport(upstream, limits),
            upstream=upstream,
            breaker=breaker,
            retries=s.retries,
            backoff=s.retry_backoff,
        )
        client = httpx.AsyncClient(
            base_url=self._registry.base_url(upstream),
            transport=AsyncOpenTelemetryTransport(resilient),
            timeout=httpx.Timeout(
                connect=s.connect_timeout, read=s.read_timeout, write=s.write_timeout, pool=s.pool_timeout
            ),
            limits=limits,
        )
        self._clients[upstream] = client
        self.breakers[upstream] = breaker
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
